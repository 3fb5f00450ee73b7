package io.meridian.federation;

import io.meridian.cache.DiskCache;
import io.meridian.cache.lease.HeldLeases;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads objects owned by other sites through this site's disk cache and the read leases their
 * owners grant (DESIGN.md, "The data path" 4 and 6).
 *
 * <p>A linearizable read answers from the cache only while this site holds a valid lease on the
 * cached version; otherwise it asks the owner, which sends the bytes only if the cached version is
 * not current, and grants a new lease with its answer. A bounded-staleness read also answers from
 * the cache if its version was known current recently enough; a local read answers from whatever
 * is cached. Every answer names how stale it may be: 0 under a lease or straight from the owner.
 */
public final class RemoteObjects {

    private static final int COPY_BUFFER = 256 * 1024;
    /** What {@link Read.Found#stalenessMillis()} says when it cannot be known. */
    public static final long UNKNOWN_STALENESS = -1;

    private final MeshClient mesh;
    private final DiskCache<String, ObjectMeta> cache;
    private final HeldLeases<String> leases;
    private final Executor blockingExecutor;
    /** Reads asking the owner now, by object: later reads of the same object wait for them. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> fetching = new ConcurrentHashMap<>();

    public RemoteObjects(MeshClient mesh, DiskCache<String, ObjectMeta> cache, HeldLeases<String> leases,
                         Executor blockingExecutor) {
        this.mesh = mesh;
        this.cache = cache;
        this.leases = leases;
        this.blockingExecutor = blockingExecutor;
    }

    /** The cache key of an object. */
    public static String cacheKey(String bucket, String key) {
        return bucket + '\u0000' + key;
    }

    /** The read leases this site holds. */
    public HeldLeases<String> leases() {
        return leases;
    }

    /**
     * Reads {@code bucket/key} (owned by {@code owner}) with linearizable consistency. A
     * {@link Read.Found} holds an open handle the caller must close.
     */
    public CompletableFuture<Read> read(SiteInfo owner, String bucket, String key, String requestId) {
        return read(owner, bucket, key, requestId, Consistency.LINEARIZABLE);
    }

    /**
     * Reads {@code bucket/key} with the given consistency. A {@link Read.Found} holds an open
     * handle the caller must close.
     */
    public CompletableFuture<Read> read(SiteInfo owner, String bucket, String key, String requestId,
                                       Consistency consistency) {
        return read(owner, bucket, key, requestId, consistency, true);
    }

    private CompletableFuture<Read> read(SiteInfo owner, String bucket, String key, String requestId,
                                        Consistency consistency, boolean mayWait) {
        String ck = cacheKey(bucket, key);
        Optional<DiskCache.Cached<ObjectMeta>> cached = cache.open(ck);
        if (cached.isPresent()) {
            long staleness = answerableFromCache(ck, cached.get().version(), consistency);
            if (staleness >= 0) {
                return CompletableFuture.completedFuture(new Read.Found(cached.get().meta(), cached.get(), true,
                        false, staleness));
            }
        }
        String cachedVersion = cached.map(DiskCache.Cached::version).orElse("");
        cached.ifPresent(RemoteObjects::closeQuietly);
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> theirs = mayWait ? fetching.putIfAbsent(ck, mine) : null;
        if (theirs != null) {
            // Another read here is already asking the owner for this object: wait for it and look
            // again. What it brought is served only under the lease it got, checked anew, so this
            // read is as current as if it had asked itself; otherwise it asks itself.
            return theirs.thenCompose(ignored -> read(owner, bucket, key, requestId, consistency, false));
        }
        CompletableFuture<Read> result = fetch(owner, bucket, key, requestId, cachedVersion).thenCompose(read -> {
            if (read instanceof Read.Missing && ((Read.Missing) read).reason() == FetchResult.Reason.UNAVAILABLE
                    && consistency.level() == Consistency.Level.LOCAL) {
                return CompletableFuture.completedFuture(whateverIsCached(ck, (Read.Missing) read));
            }
            return CompletableFuture.completedFuture(read);
        });
        if (mayWait) {
            result.whenComplete((r, t) -> {
                fetching.remove(ck, mine);
                mine.complete(null);
            });
        }
        return result;
    }

    /**
     * How stale the cached {@code version} is, in milliseconds, if {@code consistency} lets it be
     * served without asking the owner; -1 if not. A valid lease on the version makes it 0.
     */
    private long answerableFromCache(String ck, String version, Consistency consistency) {
        Optional<HeldLeases.Lease> lease = leases.valid(ck);
        if (lease.isPresent() && lease.get().version().equals(version)) {
            return 0;
        }
        if (consistency.level() == Consistency.Level.LINEARIZABLE) {
            return -1;
        }
        Optional<Long> staleness = leases.stalenessNanos(ck, version);
        if (staleness.isEmpty()) {
            return -1;
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(staleness.get());
        if (consistency.level() == Consistency.Level.LOCAL
                || Duration.ofNanos(staleness.get()).compareTo(consistency.maxStaleness()) <= 0) {
            return ms;
        }
        return -1;
    }

    /** Under {@code local} consistency with the owner out of reach: the cached version, or isolation. */
    private Read whateverIsCached(String ck, Read.Missing why) {
        Optional<DiskCache.Cached<ObjectMeta>> cached = cache.open(ck);
        if (cached.isEmpty()) {
            return new Read.Isolated(why.message());
        }
        long staleness = leases.stalenessNanos(ck, cached.get().version())
                .map(TimeUnit.NANOSECONDS::toMillis).orElse(UNKNOWN_STALENESS);
        return new Read.Found(cached.get().meta(), cached.get(), true, false, staleness);
    }

    /** Asks the owner for the current version, sending {@code cachedVersion} to spare the bytes. */
    private CompletableFuture<Read> fetch(SiteInfo owner, String bucket, String key, String requestId,
                                          String cachedVersion) {
        String ck = cacheKey(bucket, key);
        long sentAt = leases.now();
        return mesh.fetch(owner, bucket, key, cachedVersion, false, true, requestId).thenCompose(result -> {
            if (result instanceof FetchResult.NotModified) {
                FetchResult.NotModified current = (FetchResult.NotModified) result;
                ObjectMeta meta = current.meta();
                leases.install(ck, meta.versionId(), current.grant().seq(), current.grant().leaseNanos(), sentAt);
                Optional<DiskCache.Cached<ObjectMeta>> cached = cache.open(ck);
                if (cached.isPresent() && cached.get().version().equals(meta.versionId())) {
                    return CompletableFuture.completedFuture(new Read.Found(meta, cached.get(), true, true, 0));
                }
                // Evicted meanwhile: fetch the bytes.
                cached.ifPresent(RemoteObjects::closeQuietly);
                return fetch(owner, bucket, key, requestId, "");
            }
            if (result instanceof FetchResult.Found) {
                FetchResult.Found found = (FetchResult.Found) result;
                return CompletableFuture.supplyAsync(() -> store(ck, found, sentAt), blockingExecutor);
            }
            FetchResult.Missing missing = (FetchResult.Missing) result;
            if (missing.reason() == FetchResult.Reason.NO_SUCH_KEY
                    || missing.reason() == FetchResult.Reason.NO_SUCH_BUCKET) {
                forget(ck);
            }
            return CompletableFuture.completedFuture(new Read.Missing(missing.reason(), missing.message()));
        });
    }

    /**
     * Reads only the metadata of {@code bucket/key}: from the cache under a valid lease (or within
     * {@code consistency}'s bound), else from the owner without transferring any bytes. Completes
     * with {@link Read.Head}, {@link Read.Missing} or {@link Read.Isolated}.
     */
    public CompletableFuture<Read> head(SiteInfo owner, String bucket, String key, String requestId,
                                       Consistency consistency) {
        String ck = cacheKey(bucket, key);
        Optional<ObjectMeta> cachedMeta = cache.peek(ck);
        if (cachedMeta.isPresent()) {
            long staleness = answerableFromCache(ck, cachedMeta.get().versionId(), consistency);
            if (staleness >= 0) {
                return CompletableFuture.completedFuture(new Read.Head(cachedMeta.get(), false, staleness));
            }
        }
        long sentAt = leases.now();
        return mesh.fetch(owner, bucket, key, "", true, true, requestId).thenApply(result -> {
            if (result instanceof FetchResult.NotModified) {
                FetchResult.NotModified current = (FetchResult.NotModified) result;
                leases.install(ck, current.meta().versionId(), current.grant().seq(), current.grant().leaseNanos(),
                        sentAt);
                return new Read.Head(current.meta(), true, 0);
            }
            if (result instanceof FetchResult.Found) {
                ((FetchResult.Found) result).body().abort();
                return new Read.Head(((FetchResult.Found) result).meta(), true, 0);
            }
            FetchResult.Missing missing = (FetchResult.Missing) result;
            if (missing.reason() == FetchResult.Reason.NO_SUCH_KEY
                    || missing.reason() == FetchResult.Reason.NO_SUCH_BUCKET) {
                forget(ck);
            }
            if (missing.reason() == FetchResult.Reason.UNAVAILABLE
                    && consistency.level() == Consistency.Level.LOCAL) {
                Optional<ObjectMeta> meta = cache.peek(ck);
                if (meta.isPresent()) {
                    return new Read.Head(meta.get(), false, leases.stalenessNanos(ck, meta.get().versionId())
                            .map(TimeUnit.NANOSECONDS::toMillis).orElse(UNKNOWN_STALENESS));
                }
                return new Read.Isolated(missing.message());
            }
            return new Read.Missing(missing.reason(), missing.message());
        });
    }

    /** Reads the metadata of {@code bucket/key} with linearizable consistency. */
    public CompletableFuture<Read> head(SiteInfo owner, String bucket, String key, String requestId) {
        return head(owner, bucket, key, requestId, Consistency.LINEARIZABLE);
    }

    /**
     * The owner revoked the leases on {@code entries}: stop answering from them. Returns how many
     * were held. The cached bytes stay, to be revalidated by version.
     */
    public int revoke(List<Revocation> entries) {
        int dropped = 0;
        for (Revocation r : entries) {
            if (leases.revoke(cacheKey(r.bucket(), r.key()), r.seq())) {
                dropped++;
            }
        }
        return dropped;
    }

    /**
     * Evicts from this site's cache one object ({@code key} not null) or every object of
     * {@code bucket} under {@code prefix}, with the leases held on them; returns how many cached
     * objects went.
     */
    public int evict(String bucket, @Nullable String key, @Nullable String prefix) {
        if (key != null) {
            String ck = cacheKey(bucket, key);
            boolean had = cache.peek(ck).isPresent();
            forget(ck);
            return had ? 1 : 0;
        }
        String start = cacheKey(bucket, prefix == null ? "" : prefix);
        leases.dropIf(ck -> ck.startsWith(start));
        return cache.invalidateIf(ck -> ck.startsWith(start));
    }

    private void forget(String ck) {
        leases.drop(ck);
        cache.invalidate(ck);
    }

    private Read store(String ck, FetchResult.Found found, long sentAt) {
        ObjectMeta meta = found.meta();
        DiskCache<String, ObjectMeta>.Writer writer;
        try {
            writer = cache.writer(ck, meta.versionId(), meta);
        } catch (IOException e) {
            found.body().abort();
            throw new UncheckedIOException(e);
        }
        try (InputStream in = found.body().toInputStream(Function.identity())) {
            byte[] buf = new byte[COPY_BUFFER];
            int n;
            while ((n = in.read(buf)) >= 0) {
                writer.write(ByteBuffer.wrap(buf, 0, n));
            }
            if (writer.written() != meta.size()) {
                throw new IOException("owner sent " + writer.written() + " bytes of a " + meta.size()
                        + "-byte object");
            }
            DiskCache.Cached<ObjectMeta> committed = writer.commit();
            leases.install(ck, meta.versionId(), found.grant().seq(), found.grant().leaseNanos(), sentAt);
            return new Read.Found(meta, committed, false, true, 0);
        } catch (IOException e) {
            writer.abort();
            throw new CompletionException(new MeshUnavailableException("owner",
                    "transfer of a cached object failed: " + e.getMessage(), e));
        }
    }

    private static void closeQuietly(DiskCache.Cached<ObjectMeta> cached) {
        try {
            cached.close();
        } catch (IOException ignored) {
            // a read handle; nothing to flush
        }
    }

    /** The outcome of a remote read. */
    public sealed interface Read {
        /**
         * One version, opened from this site's cache.
         *
         * @param cachedBytes the bytes were already cached here (none crossed the WAN)
         * @param askedOwner the owner was asked during this read
         * @param stalenessMillis how long ago the version was last known current: 0 under a valid
         *     lease or when the owner just confirmed it; {@link #UNKNOWN_STALENESS} if unknown
         */
        record Found(ObjectMeta meta, DiskCache.Cached<ObjectMeta> data, boolean cachedBytes, boolean askedOwner,
                     long stalenessMillis) implements Read {}

        /** The current version's metadata, without its bytes (an answer to {@link RemoteObjects#head}). */
        record Head(ObjectMeta meta, boolean askedOwner, long stalenessMillis) implements Read {}

        /** Nothing to read; {@code message} says why. */
        record Missing(FetchResult.Reason reason, String message) implements Read {}

        /** A {@code local} read missed the cache and the owner could not be reached. */
        record Isolated(String message) implements Read {}
    }
}
