package io.meridian.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskCacheTest {

    @TempDir
    Path dir;

    private static DiskCache.Cached<String> put(DiskCache<String, String> cache, String key, String version, int size)
            throws IOException {
        DiskCache<String, String>.Writer w = cache.writer(key, version, "meta-" + version);
        w.write(ByteBuffer.wrap(bytes(version, size)));
        return w.commit();
    }

    private static byte[] bytes(String version, int size) {
        byte[] b = new byte[size];
        byte[] v = version.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            b[i] = v[i % v.length];
        }
        return b;
    }

    private static byte[] readAll(DiskCache.Cached<String> c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) c.size());
        long pos = 0;
        while (buf.hasRemaining()) {
            int n = c.channel().read(buf, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        return buf.array();
    }

    @Test
    void committedVersionIsReadBackWithItsMetadata() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 1 << 20)) {
            put(cache, "b/k", "v1", 100).close();

            try (DiskCache.Cached<String> c = cache.open("b/k").orElseThrow()) {
                assertThat(c.version()).isEqualTo("v1");
                assertThat(c.meta()).isEqualTo("meta-v1");
                assertThat(readAll(c)).isEqualTo(bytes("v1", 100));
            }
            assertThat(cache.hits()).isEqualTo(1);
            assertThat(cache.open("b/other")).isEmpty();
            assertThat(cache.misses()).isEqualTo(1);
        }
    }

    @Test
    void emptyEntriesAreBoundedByCountToo() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 1 << 20, 3)) {
            for (int i = 0; i < 10; i++) {
                put(cache, "k" + i, "v", 0).close();
            }
            assertThat(cache.entryCount()).isEqualTo(3);
            assertThat(cache.version("k9")).contains("v");
            assertThat(cache.version("k0")).isEmpty();
            assertThat(cache.evictions()).isEqualTo(7);
        }
    }

    @Test
    void evictsLeastRecentlyUsedToStayWithinCapacity() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 250)) {
            put(cache, "a", "va", 100).close();
            put(cache, "b", "vb", 100).close();
            cache.open("a").orElseThrow().close();
            put(cache, "c", "vc", 100).close();

            assertThat(cache.sizeBytes()).isLessThanOrEqualTo(250);
            assertThat(cache.version("a")).contains("va");
            assertThat(cache.version("b")).isEmpty();
            assertThat(cache.version("c")).contains("vc");
            assertThat(cache.evictions()).isEqualTo(1);
            try (var files = Files.list(dir)) {
                assertThat(files.count()).isEqualTo(2);
            }
        }
    }

    @Test
    void aReaderKeepsItsVersionWhileItIsReplacedAndEvicted() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 150)) {
            put(cache, "k", "v1", 100).close();
            try (DiskCache.Cached<String> reading = cache.open("k").orElseThrow()) {
                put(cache, "k", "v2", 120).close();
                put(cache, "other", "v3", 140).close();

                assertThat(readAll(reading)).isEqualTo(bytes("v1", 100));
            }
            assertThat(cache.version("k")).isEmpty();
        }
    }

    @Test
    void anEntryLargerThanTheCacheIsStillReadableByItsWriter() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 50)) {
            try (DiskCache.Cached<String> c = put(cache, "big", "v", 80)) {
                assertThat(readAll(c)).isEqualTo(bytes("v", 80));
            }
            assertThat(cache.open("big")).isEmpty();
            assertThat(cache.sizeBytes()).isZero();
        }
    }

    @Test
    void abortedWritesLeaveNothingBehind() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 1000)) {
            DiskCache<String, String>.Writer w = cache.writer("k", "v", "m");
            w.write(ByteBuffer.wrap(new byte[10]));
            w.abort();

            assertThat(cache.open("k")).isEmpty();
            try (var files = Files.list(dir)) {
                assertThat(files.count()).isZero();
            }
        }
    }

    @Test
    void reopeningEmptiesTheDirectory() throws IOException {
        DiskCache<String, String> first = new DiskCache<>(dir, 1000);
        put(first, "k", "v", 10).close();

        try (DiskCache<String, String> second = new DiskCache<>(dir, 1000)) {
            assertThat(second.open("k")).isEqualTo(Optional.empty());
            try (var files = Files.list(dir)) {
                assertThat(files.count()).isZero();
            }
        }
    }

    @Test
    void invalidateIfDropsMatchingKeys() throws IOException {
        try (DiskCache<String, String> cache = new DiskCache<>(dir, 1000)) {
            put(cache, "b1/x", "v", 10).close();
            put(cache, "b1/y", "v", 10).close();
            put(cache, "b2/x", "v", 10).close();

            assertThat(cache.invalidateIf(k -> k.startsWith("b1/"))).isEqualTo(2);
            assertThat(cache.entryCount()).isEqualTo(1);
            assertThat(cache.sizeBytes()).isEqualTo(10);
        }
    }
}
