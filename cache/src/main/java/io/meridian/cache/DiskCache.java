package io.meridian.cache;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded cache of immutable byte versions on local disk, keyed by {@code K}, with metadata
 * {@code M} kept in memory beside each entry.
 *
 * <p>An entry is one version of one key: its bytes never change once committed, so a reader that
 * opened an entry reads one version only, even if a newer version replaces it or eviction removes
 * it meanwhile (an open file stays readable after it is unlinked). The least recently used entries
 * are evicted when the total size passes the capacity or the count passes the entry limit. The directory is emptied when the cache
 * opens: cached bytes are only trusted after revalidation, and their metadata lives in memory.
 *
 * <p>Thread-safe.
 */
public final class DiskCache<K, M> implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(DiskCache.class);

    private final Path dir;
    private final long capacityBytes;
    private final int maxEntries;
    private final LinkedHashMap<K, Entry<K, M>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long sizeBytes;
    private boolean closed;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    /**
     * Opens a cache in {@code dir} (created if needed, emptied if not) holding at most
     * {@code capacityBytes} of committed entries.
     */
    public DiskCache(Path dir, long capacityBytes) throws IOException {
        this(dir, capacityBytes, Integer.MAX_VALUE);
    }

    /**
     * As {@link #DiskCache(Path, long)}, holding at most {@code maxEntries} entries as well, so that
     * the metadata kept in memory stays bounded even for empty objects.
     */
    public DiskCache(Path dir, long capacityBytes, int maxEntries) throws IOException {
        checkArgument(capacityBytes > 0, "cache capacity must be positive, got %s", capacityBytes);
        checkArgument(maxEntries > 0, "cache entry limit must be positive, got %s", maxEntries);
        this.dir = dir;
        this.capacityBytes = capacityBytes;
        this.maxEntries = maxEntries;
        Files.createDirectories(dir);
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Opens the cached version of {@code key}, counting a hit or a miss. The caller owns the
     * returned handle and must close it.
     */
    public Optional<Cached<M>> open(K key) {
        Entry<K, M> entry;
        synchronized (this) {
            entry = entries.get(key);
        }
        if (entry != null) {
            try {
                FileChannel channel = FileChannel.open(entry.path, StandardOpenOption.READ);
                hits.incrementAndGet();
                return Optional.of(new Cached<>(entry.version, entry.meta, entry.size, channel));
            } catch (NoSuchFileException evictedMeanwhile) {
                // fall through: a miss
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open cached file " + entry.path, e);
            }
        }
        misses.incrementAndGet();
        return Optional.empty();
    }

    /** Returns the version and metadata cached for {@code key}, without opening its bytes. */
    public synchronized Optional<M> peek(K key) {
        Entry<K, M> entry = entries.get(key);
        return entry == null ? Optional.empty() : Optional.of(entry.meta);
    }

    /** Returns the cached version string of {@code key}, if any. */
    public synchronized Optional<String> version(K key) {
        Entry<K, M> entry = entries.get(key);
        return entry == null ? Optional.empty() : Optional.of(entry.version);
    }

    /** Starts writing a new version of {@code key}; nothing is visible until {@link Writer#commit}. */
    public Writer writer(K key, String version, M meta) throws IOException {
        checkState(!closed, "cache is closed");
        Path path = dir.resolve(UUID.randomUUID() + ".blob");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        return new Writer(key, version, meta, path, channel);
    }

    /** Replaces the metadata of a cached entry if it still holds {@code version}. */
    public synchronized void updateMeta(K key, String version, M meta) {
        Entry<K, M> entry = entries.get(key);
        if (entry != null && entry.version.equals(version)) {
            entries.put(key, new Entry<>(key, version, meta, entry.size, entry.path));
        }
    }

    /** Drops the cached version of {@code key}, if any; readers that opened it finish normally. */
    public void invalidate(K key) {
        Entry<K, M> removed;
        synchronized (this) {
            removed = entries.remove(key);
            if (removed != null) {
                sizeBytes -= removed.size;
            }
        }
        if (removed != null) {
            delete(removed.path);
        }
    }

    /** Drops every entry whose key matches {@code filter}; returns how many. */
    public int invalidateIf(java.util.function.Predicate<K> filter) {
        List<Entry<K, M>> removed = new ArrayList<>();
        synchronized (this) {
            Iterator<Entry<K, M>> it = entries.values().iterator();
            while (it.hasNext()) {
                Entry<K, M> e = it.next();
                if (filter.test(e.key)) {
                    it.remove();
                    sizeBytes -= e.size;
                    removed.add(e);
                }
            }
        }
        removed.forEach(e -> delete(e.path));
        return removed.size();
    }

    public synchronized long sizeBytes() {
        return sizeBytes;
    }

    public synchronized int entryCount() {
        return entries.size();
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    public long evictions() {
        return evictions.get();
    }

    @Override
    public void close() {
        List<Path> paths = new ArrayList<>();
        synchronized (this) {
            closed = true;
            entries.values().forEach(e -> paths.add(e.path));
            entries.clear();
            sizeBytes = 0;
        }
        paths.forEach(DiskCache::delete);
    }

    private void insert(Entry<K, M> entry) {
        List<Entry<K, M>> dropped = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                dropped.add(entry);
            } else {
                Entry<K, M> previous = entries.put(entry.key, entry);
                sizeBytes += entry.size;
                if (previous != null) {
                    sizeBytes -= previous.size;
                    dropped.add(previous);
                }
                Iterator<Map.Entry<K, Entry<K, M>>> lru = entries.entrySet().iterator();
                while ((sizeBytes > capacityBytes || entries.size() > maxEntries) && lru.hasNext()) {
                    Entry<K, M> victim = lru.next().getValue();
                    lru.remove();
                    sizeBytes -= victim.size;
                    dropped.add(victim);
                    evictions.incrementAndGet();
                }
            }
        }
        dropped.forEach(e -> delete(e.path));
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("Could not delete cached file {}", path, e);
        }
    }

    private record Entry<K, M>(K key, String version, M meta, long size, Path path) {}

    /** One opened cached version: its metadata and a read channel the caller must close. */
    public record Cached<M>(String version, M meta, long size, FileChannel channel) implements Closeable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Writes one new version; not thread-safe; exactly one of commit or abort must be called. */
    public final class Writer implements Closeable {
        private final K key;
        private final String version;
        private final M meta;
        private final Path path;
        private final FileChannel channel;
        private long written;
        private boolean done;

        private Writer(K key, String version, M meta, Path path, FileChannel channel) {
            this.key = key;
            this.version = version;
            this.meta = meta;
            this.path = path;
            this.channel = channel;
        }

        public void write(ByteBuffer data) throws IOException {
            checkState(!done, "writer already finished");
            while (data.hasRemaining()) {
                written += channel.write(data);
            }
        }

        public long written() {
            return written;
        }

        /**
         * Makes the version visible to {@link DiskCache#open} and returns it already opened, so that
         * the caller reads it even if it is evicted at once.
         */
        public Cached<M> commit() throws IOException {
            checkState(!done, "writer already finished");
            done = true;
            FileChannel reader = FileChannel.open(path, StandardOpenOption.READ);
            channel.close();
            insert(new Entry<>(key, version, meta, written, path));
            return new Cached<>(version, meta, written, reader);
        }

        /** Discards what was written. */
        public void abort() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing an aborted cache write", e);
            }
            delete(path);
        }

        @Override
        public void close() {
            abort();
        }
    }
}
