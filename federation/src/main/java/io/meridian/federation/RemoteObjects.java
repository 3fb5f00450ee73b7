package io.meridian.federation;

import io.meridian.cache.DiskCache;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Reads objects owned by other sites through this site's disk cache: every read revalidates the
 * cached version with the owner (by version) and transfers bytes only when they changed, so every
 * read returns the latest acknowledged write.
 */
public final class RemoteObjects {

    private static final int COPY_BUFFER = 256 * 1024;

    private final MeshClient mesh;
    private final DiskCache<String, ObjectMeta> cache;
    private final Executor blockingExecutor;

    public RemoteObjects(MeshClient mesh, DiskCache<String, ObjectMeta> cache, Executor blockingExecutor) {
        this.mesh = mesh;
        this.cache = cache;
        this.blockingExecutor = blockingExecutor;
    }

    /** The cache key of an object. */
    public static String cacheKey(String bucket, String key) {
        return bucket + '\u0000' + key;
    }

    /**
     * Reads the current version of {@code bucket/key} from {@code owner}, from cache if it is
     * current. A {@link Read.Found} holds an open handle the caller must close.
     */
    public CompletableFuture<Read> read(SiteInfo owner, String bucket, String key, String requestId) {
        return read(owner, bucket, key, requestId, true);
    }

    /**
     * Asks {@code owner} for the current metadata of {@code bucket/key} only, transferring no bytes;
     * completes with {@link Read.Head} or {@link Read.Missing}.
     */
    public CompletableFuture<Read> head(SiteInfo owner, String bucket, String key, String requestId) {
        return mesh.fetch(owner, bucket, key, "", true, requestId).thenApply(result -> {
            if (result instanceof FetchResult.NotModified) {
                return new Read.Head(((FetchResult.NotModified) result).meta());
            }
            if (result instanceof FetchResult.Found) {
                ((FetchResult.Found) result).body().abort();
                return new Read.Head(((FetchResult.Found) result).meta());
            }
            FetchResult.Missing missing = (FetchResult.Missing) result;
            if (missing.reason() == FetchResult.Reason.NO_SUCH_KEY
                    || missing.reason() == FetchResult.Reason.NO_SUCH_BUCKET) {
                cache.invalidate(cacheKey(bucket, key));
            }
            return new Read.Missing(missing.reason(), missing.message());
        });
    }

    private CompletableFuture<Read> read(SiteInfo owner, String bucket, String key, String requestId,
                                         boolean mayUseCache) {
        String cacheKey = cacheKey(bucket, key);
        String cachedVersion = mayUseCache ? cache.version(cacheKey).orElse("") : "";
        return mesh.fetch(owner, bucket, key, cachedVersion, requestId).thenCompose(result -> {
            if (result instanceof FetchResult.NotModified) {
                ObjectMeta meta = ((FetchResult.NotModified) result).meta();
                Optional<DiskCache.Cached<ObjectMeta>> cached = cache.open(cacheKey);
                if (cached.isPresent() && cached.get().version().equals(meta.versionId())) {
                    return CompletableFuture.completedFuture(new Read.Found(meta, cached.get(), true));
                }
                cached.ifPresent(RemoteObjects::closeQuietly);
                return read(owner, bucket, key, requestId, false);
            }
            if (result instanceof FetchResult.Found) {
                FetchResult.Found found = (FetchResult.Found) result;
                return CompletableFuture.supplyAsync(() -> store(cacheKey, found), blockingExecutor);
            }
            FetchResult.Missing missing = (FetchResult.Missing) result;
            if (missing.reason() == FetchResult.Reason.NO_SUCH_KEY
                    || missing.reason() == FetchResult.Reason.NO_SUCH_BUCKET) {
                cache.invalidate(cacheKey);
            }
            return CompletableFuture.completedFuture(new Read.Missing(missing.reason(), missing.message()));
        });
    }

    private Read store(String cacheKey, FetchResult.Found found) {
        ObjectMeta meta = found.meta();
        DiskCache<String, ObjectMeta>.Writer writer;
        try {
            writer = cache.writer(cacheKey, meta.versionId(), meta);
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
            return new Read.Found(meta, writer.commit(), false);
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
         * The current version, opened from this site's cache.
         *
         * @param revalidated true if the bytes were already cached and only revalidated
         */
        record Found(ObjectMeta meta, DiskCache.Cached<ObjectMeta> data, boolean revalidated) implements Read {}

        /** The current version's metadata, without its bytes (an answer to {@link RemoteObjects#head}). */
        record Head(ObjectMeta meta) implements Read {}

        /** Nothing to read; {@code message} says why. */
        record Missing(FetchResult.Reason reason, String message) implements Read {}
    }
}
