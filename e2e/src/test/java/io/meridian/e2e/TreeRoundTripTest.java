package io.meridian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.launch.LocalFederation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Real directory trees uploaded at us-east with the AWS SDK (thousands of small files in deep
 * folders with names clients must encode, and the JDK's lib/ with files over 100 MB, uploaded in
 * parts), then listed and read back byte for byte at eu-west and ap-south, and again after the
 * owning site restarts.
 */
class TreeRoundTripTest {

    private static final long MULTIPART_THRESHOLD = 16L << 20;
    private static final int PART_SIZE = 8 << 20;

    @TempDir
    static Path dir;

    static LocalFederation federation;

    @BeforeAll
    static void start() throws Exception {
        federation = E2eFederation.start(dir);
    }

    @AfterAll
    static void stop() {
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void treesUploadedAtOneSiteReadBackIdenticallyAtTheOthersAndAfterARestart() throws Exception {
        Map<String, Path> files = new TreeMap<>();
        collect(Path.of("/usr/share/doc"), "doc/", files);
        collect(Path.of(System.getProperty("java.home"), "lib"), "jdk-lib/", files);
        assertThat(files).hasSizeGreaterThan(1000);
        assertThat(files.keySet()).anyMatch(k -> k.contains("+"));

        Map<String, String> expected = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (S3Client east = S3Clients.forEndpoint(federation.spec("us-east").s3Url())) {
            east.createBucket(b -> b.bucket("trees"));
            long t0 = System.nanoTime();
            List<Future<?>> uploads = new ArrayList<>();
            for (Map.Entry<String, Path> e : files.entrySet()) {
                uploads.add(pool.submit(() -> {
                    expected.put(e.getKey(), upload(east, e.getKey(), e.getValue()));
                    return null;
                }));
            }
            for (Future<?> f : uploads) {
                f.get();
            }
            System.out.printf("uploaded %d files in %.1f s%n", files.size(), (System.nanoTime() - t0) / 1e9);

            for (String site : List.of("eu-west", "ap-south")) {
                verify(site, expected, pool);
            }
            federation.restart("us-east");
            federation.awaitReady(java.time.Duration.ofMinutes(2));
            for (String site : List.of("eu-west", "ap-south", "us-east")) {
                verify(site, expected, pool);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One PUT of more bytes than a site's heap, sent to a site that does not own the bucket and
     * read back at the third: the body must stream through the forwarding site, the owner and the
     * reading site's cache without ever being held whole in memory.
     */
    @Test
    void aSinglePutLargerThanTheHeapStreamsThroughANonOwner() throws Exception {
        long size = 600L << 20;
        try (S3Client east = S3Clients.forEndpoint(federation.spec("us-east").s3Url());
             S3Client west = S3Clients.forEndpoint(federation.spec("eu-west").s3Url());
             S3Client south = S3Clients.forEndpoint(federation.spec("ap-south").s3Url())) {
            east.createBucket(b -> b.bucket("large"));
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long t0 = System.nanoTime();
            west.putObject(b -> b.bucket("large").key("600m.bin"), RequestBody.fromContentProvider(
                    () -> new PatternStream(size, sent), size, "application/octet-stream"));
            System.out.printf("600 MiB PUT through eu-west in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            String expected = HexFormat.of().formatHex(sent.digest());
            t0 = System.nanoTime();
            try (InputStream in = south.getObject(b -> b.bucket("large").key("600m.bin"))) {
                assertThat(sha256(in)).isEqualTo(expected);
            }
            System.out.printf("600 MiB GET at ap-south in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertThat(east.headObject(b -> b.bucket("large").key("600m.bin")).contentLength()).isEqualTo(size);
            east.deleteObject(b -> b.bucket("large").key("600m.bin"));
        }
    }

    /** A stream of {@code size} pseudo-random bytes that also feeds a digest as it is read. */
    private static final class PatternStream extends InputStream {
        private final java.util.Random random = new java.util.Random(600);
        private final MessageDigest digest;
        private long remaining;

        PatternStream(long size, MessageDigest digest) {
            this.remaining = size;
            this.digest = digest;
            digest.reset();
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            digest.update(chunk);
            remaining -= n;
            return n;
        }
    }

    private static void collect(Path root, String prefix, Map<String, Path> into) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isReadable(p))
                    .forEach(p -> into.put(prefix + root.relativize(p).toString().replace('\\', '/'), p));
        }
    }

    /** Uploads one file, in parts if it is large, and returns its SHA-256. */
    private static String upload(S3Client s3, String key, Path file) throws IOException {
        long size = Files.size(file);
        if (size < MULTIPART_THRESHOLD) {
            s3.putObject(b -> b.bucket("trees").key(key), RequestBody.fromFile(file));
            return sha256(file);
        }
        String upload = s3.createMultipartUpload(b -> b.bucket("trees").key(key)).uploadId();
        List<CompletedPart> parts = new ArrayList<>();
        byte[] buf = new byte[PART_SIZE];
        try (InputStream in = Files.newInputStream(file)) {
            int number = 1;
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                int part = number++;
                String etag = s3.uploadPart(b -> b.bucket("trees").key(key).uploadId(upload).partNumber(part),
                        RequestBody.fromBytes(java.util.Arrays.copyOf(buf, n))).eTag();
                parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
        }
        String etag = s3.completeMultipartUpload(b -> b.bucket("trees").key(key).uploadId(upload)
                .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())).eTag();
        assertThat(etag).endsWith("-" + parts.size() + "\"");
        return sha256(file);
    }

    private static void verify(String site, Map<String, String> expected, ExecutorService pool) throws Exception {
        long t0 = System.nanoTime();
        try (S3Client s3 = S3Clients.forEndpoint(federation.spec(site).s3Url())) {
            List<String> listed = new ArrayList<>();
            s3.listObjectsV2Paginator(b -> b.bucket("trees")).contents().stream().map(S3Object::key)
                    .forEach(listed::add);
            assertThat(listed).as("keys listed at %s", site).containsExactlyInAnyOrderElementsOf(expected.keySet());
            List<Future<String>> checks = new ArrayList<>();
            for (String key : listed) {
                checks.add(pool.submit(() -> {
                    try (InputStream in = s3.getObject(b -> b.bucket("trees").key(key))) {
                        String actual = sha256(in);
                        return actual.equals(expected.get(key)) ? null : key;
                    }
                }));
            }
            List<String> mismatched = new ArrayList<>();
            for (Future<String> f : checks) {
                String bad = f.get();
                if (bad != null) {
                    mismatched.add(bad);
                }
            }
            assertThat(mismatched).as("objects whose SHA-256 differs at %s", site).isEmpty();
        }
        System.out.printf("verified %d objects at %s in %.1f s%n", expected.size(), site, (System.nanoTime() - t0) / 1e9);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
