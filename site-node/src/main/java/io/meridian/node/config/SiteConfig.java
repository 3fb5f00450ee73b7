package io.meridian.node.config;

import static com.google.common.base.Preconditions.checkArgument;

import io.meridian.cache.time.DriftBound;
import io.meridian.consensus.Member;
import io.meridian.namespace.SiteNames;
import io.meridian.namespace.SiteRole;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything one site needs to run. Each setting has one home: its key in a properties file, its
 * default and its unit are defined by the {@link Key} constants below, and the command line's
 * flags set the same keys.
 */
public record SiteConfig(
        String name,
        String region,
        SiteRole role,
        Path dataDir,
        String bindHost,
        String advertiseHost,
        int s3Port,
        int adminPort,
        int meshPort,
        int raftPort,
        String federationName,
        List<Member> peers,
        @Nullable BootstrapKey bootstrapKey,
        long cacheMaxBytes,
        int cacheMaxEntries,
        long minPartSize,
        Duration meshFirstByteTimeout,
        Duration meshAnswerTimeout,
        Duration meshIdleTimeout,
        Duration electionTimeoutMin,
        Duration electionTimeoutMax,
        List<String> virtualHostSuffixes,
        Duration readLeasePeriod,
        DriftBound drift,
        @Nullable String meshAdvertiseAddress) {

    /** An access key the site creates in the federation if it does not exist yet (the demo's key). */
    public record BootstrapKey(String accessKeyId, String secret, String tenant) {
        @Override
        public String toString() {
            return "BootstrapKey[" + accessKeyId + ", tenant=" + tenant + "]";
        }
    }

    /** A configuration key with its default and what it means. */
    public enum Key {
        SITE_NAME("site.name", null, "this site's name: a-z, 0-9 and '-'"),
        SITE_REGION("site.region", null, "the region the site is in, e.g. eu-west-1; the site name if not set"),
        SITE_ROLE("site.role", "core", "core (votes in the federation) or edge"),
        DATA_DIR("data.dir", null, "directory holding the site's data"),
        BIND_HOST("bind.host", "127.0.0.1", "address the ports listen on"),
        ADVERTISE_HOST("advertise.host", null, "address other sites and clients use; bind.host if not set"),
        S3_PORT("s3.port", "9001", "S3 and data APIs"),
        ADMIN_PORT("admin.port", "9101", "admin API, /metrics, /health"),
        MESH_PORT("mesh.port", "9201", "inter-site gRPC"),
        RAFT_PORT("raft.port", "9301", "federation consensus (Raft)"),
        FEDERATION_NAME("federation.name", "meridian", "name of the federation; all sites must agree"),
        FEDERATION_PEERS("federation.peers", null,
                "the core sites as name@host:raftPort,...; this site alone if not set"),
        BOOTSTRAP_ACCESS_KEY("bootstrap.access-key", null, "access key id to create if absent (admin role)"),
        BOOTSTRAP_SECRET_KEY("bootstrap.secret-key", null, "its secret"),
        BOOTSTRAP_TENANT("bootstrap.tenant", "default", "its tenant"),
        CACHE_MAX_BYTES("cache.max-bytes", "4GiB", "disk space for objects cached from other sites"),
        CACHE_MAX_ENTRIES("cache.max-entries", "100000",
                "how many objects the cache holds at most (their metadata stays in memory)"),
        MIN_PART_SIZE("s3.min-part-size", "5MiB", "smallest multipart part but the last, as in S3"),
        MESH_FIRST_BYTE_TIMEOUT("mesh.first-byte-timeout", "15s", "how long a read waits for the owner's first answer"),
        MESH_ANSWER_TIMEOUT("mesh.answer-timeout", "120s",
                "how long a forwarded request waits for the owner's answer once its body is sent"),
        MESH_IDLE_TIMEOUT("mesh.idle-timeout", "30s", "how long a call between sites may move no data"),
        ELECTION_TIMEOUT_MIN("raft.election-timeout-min", "1000ms", "lower bound of the Raft election timeout"),
        ELECTION_TIMEOUT_MAX("raft.election-timeout-max", "2000ms", "upper bound of the Raft election timeout"),
        VIRTUAL_HOST_SUFFIXES("s3.virtual-host-suffixes", "localhost",
                "suffixes for virtual-hosted-style requests (bucket.suffix), comma-separated"),
        READ_LEASE_PERIOD("lease.read-period", "5s",
                "how long a read lease lets another site answer from its cache (R); 0 grants none"),
        DRIFT_RATE("lease.drift-rate", "0.01",
                "how far two sites' clocks may disagree about a duration, as a fraction of it"),
        DRIFT_MARGIN("lease.drift-margin", "50ms", "a fixed allowance added to the drift rate's"),
        MESH_ADVERTISE_ADDRESS("mesh.advertise-address", null,
                "host:port other sites reach this site's mesh at (e.g. through a proxy); advertise.host:mesh.port"
                        + " if not set");

        private final String property;
        private final @Nullable String defaultValue;
        private final String description;

        Key(String property, @Nullable String defaultValue, String description) {
            this.property = property;
            this.defaultValue = defaultValue;
            this.description = description;
        }

        public String property() {
            return property;
        }

        public @Nullable String defaultValue() {
            return defaultValue;
        }

        public String description() {
            return description;
        }

        static Key of(String property) {
            for (Key k : values()) {
                if (k.property.equals(property)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown configuration key '" + property + "'; known keys: "
                    + Arrays.stream(values()).map(Key::property).toList());
        }
    }

    public SiteConfig {
        SiteNames.check(name);
        checkArgument(!peers.isEmpty(), "peers must not be empty");
        checkArgument(electionTimeoutMax.compareTo(electionTimeoutMin) > 0,
                "raft.election-timeout-max must exceed raft.election-timeout-min");
        checkArgument(!readLeasePeriod.isNegative(), "lease.read-period must not be negative");
    }

    /** Returns the address other sites reach this site's Raft port at. */
    public String raftAddress() {
        return advertiseHost + ":" + raftPort;
    }

    /** Returns the address other sites reach this site's mesh port at. */
    public String meshAddress() {
        return meshAdvertiseAddress != null ? meshAdvertiseAddress : advertiseHost + ":" + meshPort;
    }

    /**
     * Builds a configuration from a properties file (may be null) and overrides (for example from
     * command-line flags), which win.
     *
     * @throws IllegalArgumentException naming the key whose value is missing or wrong
     */
    public static SiteConfig load(@Nullable Path file, Map<String, String> overrides) throws IOException {
        Map<String, String> values = new TreeMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            for (String k : p.stringPropertyNames()) {
                Key.of(k);
                values.put(k, p.getProperty(k).trim());
            }
        }
        overrides.forEach((k, v) -> {
            Key.of(k);
            if (v != null) {
                values.put(k, v);
            }
        });
        return from(values);
    }

    private static SiteConfig from(Map<String, String> v) {
        String name = required(v, Key.SITE_NAME);
        String bind = get(v, Key.BIND_HOST);
        String advertise = v.getOrDefault(Key.ADVERTISE_HOST.property, bind);
        int raftPort = port(v, Key.RAFT_PORT);
        String peersSpec = v.get(Key.FEDERATION_PEERS.property);
        List<Member> peers = peersSpec == null || peersSpec.isBlank()
                ? List.of(new Member(name, advertise + ":" + raftPort))
                : Member.parseList(peersSpec);
        SiteRole role = SiteRole.parse(get(v, Key.SITE_ROLE));
        if (role == SiteRole.CORE && peers.stream().noneMatch(m -> m.id().equals(name))) {
            throw new IllegalArgumentException("federation.peers must include this core site '" + name + "'");
        }
        String ak = v.get(Key.BOOTSTRAP_ACCESS_KEY.property);
        String sk = v.get(Key.BOOTSTRAP_SECRET_KEY.property);
        BootstrapKey bootstrap = null;
        if (ak != null || sk != null) {
            if (ak == null || sk == null) {
                throw new IllegalArgumentException("bootstrap.access-key and bootstrap.secret-key go together");
            }
            bootstrap = new BootstrapKey(ak, sk, get(v, Key.BOOTSTRAP_TENANT));
        }
        List<String> suffixes = new ArrayList<>();
        for (String s : get(v, Key.VIRTUAL_HOST_SUFFIXES).split(",")) {
            if (!s.isBlank()) {
                suffixes.add(s.trim());
            }
        }
        return new SiteConfig(name, v.getOrDefault(Key.SITE_REGION.property, name), role,
                Path.of(required(v, Key.DATA_DIR)), bind, advertise,
                port(v, Key.S3_PORT), port(v, Key.ADMIN_PORT), port(v, Key.MESH_PORT), raftPort,
                get(v, Key.FEDERATION_NAME), peers, bootstrap,
                bytes(v, Key.CACHE_MAX_BYTES), positiveInt(v, Key.CACHE_MAX_ENTRIES), bytes(v, Key.MIN_PART_SIZE),
                duration(v, Key.MESH_FIRST_BYTE_TIMEOUT), duration(v, Key.MESH_ANSWER_TIMEOUT),
                duration(v, Key.MESH_IDLE_TIMEOUT), duration(v, Key.ELECTION_TIMEOUT_MIN),
                duration(v, Key.ELECTION_TIMEOUT_MAX), List.copyOf(suffixes), duration(v, Key.READ_LEASE_PERIOD),
                drift(v), v.get(Key.MESH_ADVERTISE_ADDRESS.property));
    }

    private static DriftBound drift(Map<String, String> v) {
        double rate;
        try {
            rate = Double.parseDouble(get(v, Key.DRIFT_RATE));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Key.DRIFT_RATE.property + " must be a fraction such as 0.01, got '"
                    + get(v, Key.DRIFT_RATE) + "'");
        }
        try {
            return new DriftBound(rate, duration(v, Key.DRIFT_MARGIN));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Key.DRIFT_RATE.property + ": " + e.getMessage());
        }
    }

    private static String get(Map<String, String> v, Key k) {
        String value = v.get(k.property);
        return value != null ? value : k.defaultValue;
    }

    private static String required(Map<String, String> v, Key k) {
        String value = get(v, k);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(k.property + " is required (" + k.description + ")");
        }
        return value;
    }

    private static int port(Map<String, String> v, Key k) {
        String value = get(v, k);
        try {
            int p = Integer.parseInt(value);
            checkArgument(p >= 0 && p <= 65535);
            return p;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(k.property + " must be a port number 0-65535, got '" + value + "'");
        }
    }

    private static int positiveInt(Map<String, String> v, Key k) {
        String value = get(v, k);
        try {
            int n = Integer.parseInt(value.trim());
            checkArgument(n > 0);
            return n;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(k.property + " must be a positive whole number, got '" + value + "'");
        }
    }

    private static long bytes(Map<String, String> v, Key k) {
        try {
            return Sizes.parseBytes(get(v, k));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(k.property + ": " + e.getMessage());
        }
    }

    private static Duration duration(Map<String, String> v, Key k) {
        try {
            return Sizes.parseDuration(get(v, k));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(k.property + ": " + e.getMessage());
        }
    }
}
