package io.meridian.node.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Scenario FED-16, ../shared/SCENARIOS.md: Core owns {@code data/t.parquet} (v1, 1 MiB), Edge
 * caches it under a read lease, Core overwrites it with v2 (900 KiB). At Edge, right away and again
 * after the lease period, HEAD, full GET and two ranges are each all v1 or all v2, never a mix, and
 * every read that starts after the overwrite was acknowledged is v2; evicting the entry twice works.
 * A second pass reads at Edge continuously while Core overwrites, to catch a mix in flight.
 */
class Fed16NoMixedVersionsTest {

    private static final long LEASE_MS = 1000;

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static S3Client core;
    static S3Client edge;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, List.of("core", "edge"), Map.of("lease.read-period", LEASE_MS + "ms"));
        core = fed.client("core");
        edge = fed.client("edge");
        core.createBucket(b -> b.bucket("data"));
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The two versions, and what each read must match. */
    record Version(byte[] body, String etag) {
        byte[] range(long from, long toInclusive) {
            return Arrays.copyOfRange(body, (int) from, (int) toInclusive + 1);
        }
    }

    /** Which version a response is, checking that its body, length and ETag all belong to it. */
    private static Version whole(ResponseBytes<GetObjectResponse> r, Version v1, Version v2, String range) {
        String etag = r.response().eTag().replace("\"", "");
        Version v = etag.equals(v1.etag()) ? v1 : etag.equals(v2.etag()) ? v2 : null;
        assertThat(v).as("ETag %s is neither version's", etag).isNotNull();
        byte[] body = r.asByteArray();
        assertThat(r.response().contentLength()).isEqualTo((long) body.length);
        if (range == null) {
            assertThat(md5(body)).as("full body matches its ETag").isEqualTo(v.etag());
        } else {
            long size = v.body().length;
            long from = range.startsWith("-") ? size - Long.parseLong(range.substring(1)) : Long.parseLong(range.split("-")[0]);
            long to = range.startsWith("-") ? size - 1 : Long.parseLong(range.split("-")[1]);
            assertThat(body).as("range %s is of the version its ETag names", range).isEqualTo(v.range(from, to));
            assertThat(r.response().contentRange()).isEqualTo("bytes " + from + "-" + to + "/" + size);
        }
        return v;
    }

    private static ResponseBytes<GetObjectResponse> get(String key, String range) {
        return edge.getObjectAsBytes(b -> b.bucket("data").key(key).range(range == null ? null : "bytes=" + range));
    }

    private static void everyReadAtEdgeIs(String key, Version expected, Version v1, Version v2) {
        HeadObjectResponse head = edge.headObject(b -> b.bucket("data").key(key));
        assertThat(head.eTag().replace("\"", "")).isEqualTo(expected.etag());
        assertThat(head.contentLength()).isEqualTo((long) expected.body().length);
        assertThat(whole(get(key, null), v1, v2, null)).isSameAs(expected);
        assertThat(whole(get(key, "0-3"), v1, v2, "0-3")).isSameAs(expected);
        assertThat(whole(get(key, "-8"), v1, v2, "-8")).isSameAs(expected);
    }

    @Test
    void afterAnOverwriteEveryReadAtEdgeIsWhollyTheNewVersion() throws Exception {
        Version v1 = new Version(bytes(1 << 20, 1), null);
        v1 = new Version(v1.body(), md5(v1.body()));
        Version v2 = new Version(bytes(900 << 10, 2), null);
        v2 = new Version(v2.body(), md5(v2.body()));
        byte[] b1 = v1.body();
        core.putObject(b -> b.bucket("data").key("t.parquet"), RequestBody.fromBytes(b1));

        assertThat(whole(get("t.parquet", null), v1, v2, null)).isSameAs(v1);
        assertThat(get("t.parquet", null).response().sdkHttpResponse().firstMatchingHeader("x-meridian-cache"))
                .contains("hit");

        byte[] b2 = v2.body();
        core.putObject(b -> b.bucket("data").key("t.parquet"), RequestBody.fromBytes(b2));
        everyReadAtEdgeIs("t.parquet", v2, v1, v2);
        // After the lease period, as Edge counts it.
        fed.clock("edge").jump(java.time.Duration.ofMillis(LEASE_MS + 200));
        everyReadAtEdgeIs("t.parquet", v2, v1, v2);

        for (int i = 0; i < 2; i++) {
            RawS3.Response evicted = RawS3.send(fed.adminUrl("edge"), "POST",
                    "/_meridian/admin/v1/cache/evict?bucket=data&key=t.parquet", new byte[0]);
            assertThat(evicted.status()).as(evicted.body()).isEqualTo(200);
        }
        everyReadAtEdgeIs("t.parquet", v2, v1, v2);
    }

    @Test
    void readsAtEdgeDuringOverwritesNeverMixVersions() throws Exception {
        Version a = new Version(bytes(1 << 20, 3), null);
        a = new Version(a.body(), md5(a.body()));
        Version b = new Version(bytes(900 << 10, 4), null);
        b = new Version(b.body(), md5(b.body()));
        Version v1 = a;
        Version v2 = b;
        core.putObject(r -> r.bucket("data").key("flip"), RequestBody.fromBytes(v1.body()));
        get("flip", null);

        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> readers = new ArrayList<>();
        String[] ranges = {null, "0-3", "-8", "524280-524300"};
        for (int t = 0; t < 3; t++) {
            int id = t;
            Thread reader = new Thread(() -> {
                int n = 0;
                while (!stop.get()) {
                    String range = ranges[(id + n++) % ranges.length];
                    try {
                        whole(get("flip", range), v1, v2, range);
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                }
            });
            reader.start();
            readers.add(reader);
        }
        for (int i = 0; i < 10; i++) {
            Version next = i % 2 == 0 ? v2 : v1;
            core.putObject(r -> r.bucket("data").key("flip"), RequestBody.fromBytes(next.body()));
            // A read that starts after the overwrite was acknowledged sees it.
            assertThat(whole(get("flip", null), v1, v2, null)).isSameAs(next);
            if (i == 5) {
                RawS3.send(fed.adminUrl("edge"), "POST", "/_meridian/admin/v1/cache/evict?bucket=data&prefix=",
                        new byte[0]);
            }
        }
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertThat(failures).isEmpty();
    }
}
