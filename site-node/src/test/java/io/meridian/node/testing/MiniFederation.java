package io.meridian.node.testing;

import static org.awaitility.Awaitility.await;

import io.meridian.cache.time.DriftingClock;
import io.meridian.cache.time.MonotonicClock;
import io.meridian.node.SiteNode;
import io.meridian.node.config.SiteConfig;
import io.meridian.node.launch.LocalFederation;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A whole federation in one JVM for fast tests: N sites, each a real {@link SiteNode} with its own
 * data directory and real ports on loopback (Raft, mesh, S3, admin), with named fault hooks: cut,
 * slow or pause mesh links and sites ({@link #faults()}), kill and restart a site, and make a site's
 * lease clock run fast or slow or jump ({@link #clock}).
 */
public final class MiniFederation implements AutoCloseable {

    public static final String ACCESS_KEY = LocalFederation.DEMO_ACCESS_KEY;
    public static final String SECRET_KEY = LocalFederation.DEMO_SECRET_KEY;

    private final Path root;
    private final List<String> names;
    private final Map<String, Map<String, String>> settings = new LinkedHashMap<>();
    private final Map<String, SiteNode> nodes = new LinkedHashMap<>();
    private final Map<String, S3Client> clients = new HashMap<>();
    private final LinkFaults faults = new LinkFaults();
    private final Map<String, DriftingClock> clocks = new java.util.concurrent.ConcurrentHashMap<>();

    private MiniFederation(Path root, List<String> names, Map<String, String> extra) throws IOException {
        this.root = root;
        this.names = List.copyOf(names);
        Map<String, int[]> ports = new LinkedHashMap<>();
        for (String name : names) {
            ports.put(name, new int[] {freePort(), freePort(), freePort(), freePort()});
        }
        String peers = names.stream().map(n -> n + "@127.0.0.1:" + ports.get(n)[3]).collect(Collectors.joining(","));
        for (String name : names) {
            int[] p = ports.get(name);
            Map<String, String> s = new HashMap<>(extra);
            s.put("site.name", name);
            s.put("site.region", name + "-1");
            s.put("data.dir", root.resolve(name).toString());
            s.put("s3.port", Integer.toString(p[0]));
            s.put("admin.port", Integer.toString(p[1]));
            s.put("mesh.port", Integer.toString(p[2]));
            s.put("raft.port", Integer.toString(p[3]));
            s.put("federation.peers", peers);
            s.put("bootstrap.access-key", ACCESS_KEY);
            s.put("bootstrap.secret-key", SECRET_KEY);
            s.put("bootstrap.tenant", "demo");
            s.put("raft.election-timeout-min", "300ms");
            s.put("raft.election-timeout-max", "600ms");
            settings.put(name, s);
        }
    }

    /** Starts {@code names.size()} sites under {@code root} and waits until all are ready. */
    public static MiniFederation start(Path root, List<String> names, Map<String, String> extra) throws IOException {
        // Ports are chosen free, then bound a moment later: another process may take one in
        // between. Then start again on fresh ports (and a fresh directory).
        for (int attempt = 0; ; attempt++) {
            MiniFederation f = new MiniFederation(attempt == 0 ? root : root.resolve("retry-" + attempt), names, extra);
            try {
                for (String name : names) {
                    f.startSite(name);
                }
                f.awaitReady();
                return f;
            } catch (RuntimeException | IOException e) {
                f.close();
                if (attempt >= 2 || !portTaken(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean portTaken(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.BindException || String.valueOf(c.getMessage()).contains("Address already in use")) {
                return true;
            }
            for (Throwable s : c.getSuppressed()) {
                if (portTaken(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    public static MiniFederation start(Path root, String... names) throws IOException {
        return start(root, List.of(names), Map.of());
    }

    private void startSite(String name) throws IOException {
        // A restarted process counts from a new origin; its rate error stays what it was.
        DriftingClock previous = clocks.get(name);
        DriftingClock clock = new DriftingClock(MonotonicClock.system(), previous == null ? 0 : previous.rate());
        clocks.put(name, clock);
        SiteNode node = new SiteNode(SiteConfig.load(null, settings.get(name)), Clock.systemUTC(),
                new SiteNode.Hooks(clock, faults));
        nodes.put(name, node);
        node.start();
    }

    /** The faults every site's mesh messages pass through: cut, slow or pause links and sites. */
    public LinkFaults faults() {
        return faults;
    }

    /** The monotonic clock {@code name}'s leases run on: make it run fast or slow, or jump. */
    public DriftingClock clock(String name) {
        return clocks.get(name);
    }

    /** Stops a site abruptly as far as others can tell (its data stays); {@link #startAgain} brings it back. */
    public void kill(String name) {
        nodes.get(name).close();
        closeClient(name);
    }

    /** Starts a killed site again on its data, and waits until it is ready. */
    public void startAgain(String name) throws IOException {
        startSite(name);
        awaitReady();
    }

    public void awaitReady() {
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes.values().stream()
                .allMatch(n -> n.isReady() && n.federation().sites().size() == names.size()));
    }

    /** Stops a site (its data stays) and starts it again. */
    public void restart(String name) throws IOException {
        nodes.get(name).close();
        closeClient(name);
        startSite(name);
        awaitReady();
    }

    public SiteNode site(String name) {
        return nodes.get(name);
    }

    public List<String> names() {
        return names;
    }

    public String s3Url(String name) {
        return "http://127.0.0.1:" + nodes.get(name).s3Port();
    }

    public String adminUrl(String name) {
        return "http://127.0.0.1:" + nodes.get(name).adminPort();
    }

    /** Returns an AWS SDK client for a site, as a user would configure it. */
    public synchronized S3Client client(String name) {
        return clients.computeIfAbsent(name, n -> s3Client(s3Url(n), ACCESS_KEY, SECRET_KEY));
    }

    public static S3Client s3Client(String endpoint, String accessKey, String secretKey) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    private synchronized void closeClient(String name) {
        S3Client c = clients.remove(name);
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void close() {
        clients.values().forEach(S3Client::close);
        clients.clear();
        List<Thread> stoppers = new ArrayList<>();
        for (SiteNode node : nodes.values()) {
            Thread t = new Thread(node::close);
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Returns a port free now, chosen below the kernel's ephemeral range: a port from that range
     * ({@code new ServerSocket(0)}) can be taken by an outgoing connection before a site binds it.
     */
    private static int freePort() throws IOException {
        int ephemeralLow;
        try {
            ephemeralLow = Integer.parseInt(java.nio.file.Files.readString(
                    Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            ephemeralLow = 32_768;
        }
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 100 && ephemeralLow > 11_000; attempt++) {
            int port = 10_000 + random.nextInt(ephemeralLow - 10_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
