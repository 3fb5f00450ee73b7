package io.meridian.node.s3;

import com.google.common.collect.ImmutableList;
import com.linecorp.armeria.common.HttpResponse;
import io.meridian.federation.Consistency;
import io.meridian.federation.ForwardedRequest;
import io.meridian.federation.MeshClient;
import io.meridian.federation.MeshUnavailableException;
import io.meridian.federation.OwnerLeases;
import io.meridian.federation.RemoteObjects;
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.BucketInfo;
import io.meridian.namespace.Namespace;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides where an authenticated S3 request runs: here (from the federation state, or as the
 * bucket's owner), at the owner through the mesh (writes and listings; the body streams through),
 * or here through the cache under read leases (reads of objects owned elsewhere).
 */
public final class S3Router {

    private static final Logger log = LoggerFactory.getLogger(S3Router.class);

    /** Headers that describe this hop or were already verified here; the owner does not need them. */
    private static final Set<String> NOT_FORWARDED = Set.of("authorization", "host", "content-length",
            "transfer-encoding", "connection", "keep-alive", "expect", "te", "upgrade", "proxy-connection",
            "x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer", "content-md5",
            "x-amz-date", "x-amz-security-token");

    private final String site;
    private final Namespace namespace;
    private final S3Operations operations;
    private final MeshClient mesh;
    private final RemoteObjects remote;
    private final OwnerLeases ownerLeases;
    private final Executor blocking;

    public S3Router(String site, Namespace namespace, S3Operations operations, MeshClient mesh, RemoteObjects remote,
                    OwnerLeases ownerLeases, Executor blocking) {
        this.site = site;
        this.namespace = namespace;
        this.operations = operations;
        this.mesh = mesh;
        this.remote = remote;
        this.ownerLeases = ownerLeases;
        this.blocking = blocking;
    }

    /** Routes a request that a client sent to this site. */
    public HttpResponse route(S3Request req) {
        return HttpResponse.of(dispatch(req, false).exceptionally(t -> errorResponse(req, t)));
    }

    /** Executes a request another site forwarded here because this site owns its bucket. */
    public HttpResponse executeForwarded(ForwardedRequest fr) {
        RequestTarget target = new RequestTarget(fr.bucket(), fr.key(), fr.query());
        CompletableFuture<HttpResponse> response = principal(fr.accessKeyId()).thenCompose(principal -> {
            S3Request req = new S3Request(fr.method(), target, fr.headers(), principal, fr.body(), fr.contentLength(),
                    fr.requestId(), fr.originSite());
            return dispatch(req, true).exceptionally(t -> errorResponse(req, t));
        });
        return HttpResponse.of(response.exceptionally(t -> {
            fr.body().abort();
            S3Exception e = asS3(t);
            return S3Responses.error(e, "/" + fr.bucket(), site, fr.requestId());
        }));
    }

    private CompletableFuture<AccessKey> principal(String accessKeyId) {
        Optional<AccessKey> key = namespace.state().accessKey(accessKeyId);
        if (key.isPresent()) {
            return CompletableFuture.completedFuture(key.get());
        }
        return S3Operations.namespaceCall(namespace.sync()).thenApply(state -> state.accessKey(accessKeyId)
                .orElseThrow(() -> new S3Exception(S3Error.INVALID_ACCESS_KEY_ID,
                        "The AWS access key Id you provided does not exist in our records.")));
    }

    private CompletableFuture<HttpResponse> dispatch(S3Request req, boolean forwarded) {
        S3Op op;
        try {
            op = S3Op.classify(req.method(), req.target(), req.header("x-amz-copy-source") != null);
        } catch (S3Exception e) {
            Bodies.discard(req.body());
            return CompletableFuture.failedFuture(e);
        }
        if (op == S3Op.LIST_BUCKETS || op == S3Op.CREATE_BUCKET) {
            return operations.execute(req, op, null);
        }
        if (req.key() != null) {
            S3Operations.checkKeyLength(req);
        }
        try {
            requestedConsistency(req);
        } catch (S3Exception e) {
            Bodies.discard(req.body());
            return CompletableFuture.failedFuture(e);
        }
        return bucket(req.bucket()).thenCompose(bucket -> {
            if (!req.principal().canAccessTenant(bucket.tenant())) {
                throw new S3Exception(S3Error.ACCESS_DENIED, "Access Denied: the bucket belongs to another tenant.",
                        "/" + bucket.name());
            }
            if (op.isWrite() && !req.principal().role().canWrite()) {
                throw new S3Exception(S3Error.ACCESS_DENIED, "Access key " + req.principal().id() + " is read-only.");
            }
            boolean owner = bucket.ownerSite().equals(site);
            if (op.placement() == S3Op.Placement.ANY_SITE) {
                return operations.execute(req, op, bucket);
            }
            if (owner) {
                return afterQuietPeriod(() -> operations.execute(req, op, bucket));
            }
            if (forwarded) {
                throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Site " + site + " received a request for bucket "
                        + bucket.name() + ", which " + bucket.ownerSite() + " now owns; retry the request.");
            }
            SiteInfo ownerSite = namespace.state().site(bucket.ownerSite()).orElseThrow(() -> new S3Exception(
                    S3Error.SERVICE_UNAVAILABLE, "Owner site " + bucket.ownerSite() + " is not registered yet; retry."));
            Consistency consistency = consistency(req, bucket);
            if (op.placement() == S3Op.Placement.READ_THROUGH) {
                return readThrough(req, bucket, ownerSite, op == S3Op.HEAD_OBJECT, consistency)
                        .exceptionally(t -> answeredByOwner(t) ? errorResponse(req, t).mapHeaders(h ->
                                h.toBuilder().set(S3Responses.STALENESS, "0").build()) : errorResponse(req, t));
            }
            return CompletableFuture.completedFuture(forward(req, ownerSite, consistency));
        }).whenComplete((r, t) -> {
            if (t != null) {
                Bodies.discard(req.body());
            }
        });
    }

    /**
     * Holds a request on a domain this site owns while it keeps quiet after a restart: it may have
     * granted read leases before it stopped that it no longer knows about (DESIGN.md, "Leases and
     * time").
     */
    <T> CompletableFuture<T> afterQuietPeriod(java.util.function.Supplier<CompletableFuture<T>> work) {
        long quiet = ownerLeases.quietRemainingNanos();
        if (quiet <= 0) {
            return work.get();
        }
        return CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(quiet, java.util.concurrent.TimeUnit.NANOSECONDS, blocking))
                .thenCompose(ignored -> afterQuietPeriod(work));
    }

    /**
     * The consistency the request names, or null; a value that cannot be read, or more than one,
     * is refused at whichever site receives it.
     */
    private static Consistency requestedConsistency(S3Request req) {
        String header = null;
        for (Map.Entry<String, String> h : req.headers()) {
            if (h.getKey().equals(S3Responses.CONSISTENCY)) {
                if (header != null) {
                    throw new S3Exception(S3Error.INVALID_ARGUMENT, "Send x-meridian-consistency once; this request"
                            + " sends it more than once.");
                }
                header = h.getValue();
            }
        }
        try {
            return header == null ? null : Consistency.parse(header);
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, e.getMessage());
        }
    }

    /** The consistency a read asks for: its header, else its bucket's default, else linearizable. */
    private static Consistency consistency(S3Request req, BucketInfo bucket) {
        Consistency requested = requestedConsistency(req);
        if (requested != null) {
            return requested;
        }
        try {
            return Consistency.parse(bucket.defaultConsistency());
        } catch (IllegalArgumentException e) {
            log.warn("Bucket {} has an unreadable default consistency '{}'; reads are linearizable",
                    bucket.name(), bucket.defaultConsistency());
            return Consistency.LINEARIZABLE;
        }
    }

    private CompletableFuture<BucketInfo> bucket(String name) {
        Optional<BucketInfo> local = namespace.state().bucket(name);
        if (local.isPresent()) {
            return CompletableFuture.completedFuture(local.get());
        }
        // Not here yet is not the same as not anywhere: catch up with the federation first.
        return S3Operations.namespaceCall(namespace.sync()).thenApply(state -> state.bucket(name)
                .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_BUCKET, "The specified bucket does not exist.",
                        "/" + name)));
    }

    private CompletableFuture<HttpResponse> readThrough(S3Request req, BucketInfo bucket, SiteInfo owner, boolean head,
                                                        Consistency consistency) {
        Bodies.discard(req.body());
        if (head) {
            // Only the metadata: a HEAD must not pull a large object's bytes across sites.
            return remote.head(owner, bucket.name(), req.key(), req.requestId(), consistency).thenApply(read -> {
                if (read instanceof RemoteObjects.Read.Head) {
                    RemoteObjects.Read.Head h = (RemoteObjects.Read.Head) read;
                    return ObjectResponses.respond(req, true, new ObjectResponses.Source(h.meta(), java.util.List.of(),
                            java.util.List.of(), () -> { }), site, blocking)
                            .mapHeaders(x -> x.toBuilder().set(S3Responses.OWNER, owner.name())
                                    .set(S3Responses.CACHE, h.askedOwner() ? "miss" : "hit")
                                    .set(S3Responses.STALENESS, Long.toString(h.stalenessMillis())).build());
                }
                throw failure(req, read);
            });
        }
        return remote.read(owner, bucket.name(), req.key(), req.requestId(), consistency).thenApply(read -> {
            if (read instanceof RemoteObjects.Read.Found) {
                RemoteObjects.Read.Found found = (RemoteObjects.Read.Found) read;
                String cache = !found.askedOwner() ? "hit" : found.cachedBytes() ? "revalidated" : "miss";
                return ObjectResponses.respond(req, false, new ObjectResponses.Source(found.meta(),
                        java.util.List.of(found.data().channel()), java.util.List.of(found.meta().size()),
                        found.data()), site, blocking)
                        .mapHeaders(h -> h.toBuilder().set(S3Responses.CACHE, cache).set(S3Responses.OWNER,
                                owner.name()).set(S3Responses.STALENESS, Long.toString(found.stalenessMillis()))
                                .build());
            }
            throw failure(req, read);
        });
    }

    /** Whether a failed read is the owner's own current answer (nothing there), fresh as any. */
    private static boolean answeredByOwner(Throwable t) {
        S3Exception e = asS3(t);
        return e.is(S3Error.NO_SUCH_KEY) || e.is(S3Error.NO_SUCH_BUCKET);
    }

    private static S3Exception failure(S3Request req, RemoteObjects.Read read) {
        if (read instanceof RemoteObjects.Read.Isolated) {
            return new S3Exception(S3Error.SITE_ISOLATED, "This site cannot reach the site that owns bucket "
                    + req.bucket() + " (" + ((RemoteObjects.Read.Isolated) read).message() + ") and has no copy of "
                    + req.key() + " cached; retry later or at another site.");
        }
        return S3Operations.missing(req, (RemoteObjects.Read.Missing) read);
    }

    private HttpResponse forward(S3Request req, SiteInfo owner, Consistency consistency) {
        ImmutableList.Builder<Map.Entry<String, String>> headers = ImmutableList.builder();
        for (Map.Entry<String, String> h : req.headers()) {
            String name = h.getKey();
            if (NOT_FORWARDED.contains(name) || name.startsWith("x-amz-checksum-") || name.startsWith(":")) {
                continue;
            }
            if (name.equals("content-encoding")) {
                String rest = S3Operations.withoutAwsChunked(h.getValue());
                if (rest != null) {
                    headers.add(Map.entry(name, rest));
                }
                continue;
            }
            headers.add(h);
        }
        ForwardedRequest fr = new ForwardedRequest(req.method(), req.bucket(), req.key(), req.target().query(),
                headers.build(), req.principal().id(), site, req.contentLength(), req.requestId(), req.body());
        // Listings and writes are the owner's answers: current when they were made. (A listing that
        // allows staleness is forwarded too: this site keeps no listings of its own yet.)
        return mesh.forward(owner, fr).recover(t -> errorResponse(req, t))
                .mapHeaders(h -> h.status().isServerError() ? h : h.toBuilder().set(S3Responses.STALENESS, "0").build());
    }

    HttpResponse errorResponse(S3Request req, Throwable t) {
        S3Exception e = asS3(t);
        if (e.is(S3Error.INTERNAL_ERROR)) {
            log.error("Request {} {} {} failed", req.requestId(), req.method(), req.resource(), unwrap(t));
        }
        return S3Responses.error(e, req.resource(), site, req.requestId());
    }

    static S3Exception asS3(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof S3Exception) {
            return (S3Exception) cause;
        }
        if (cause instanceof MeshUnavailableException) {
            MeshUnavailableException m = (MeshUnavailableException) cause;
            if (m.neverSent()) {
                return new S3Exception(S3Error.SITE_ISOLATED.code(), S3Error.SITE_ISOLATED.status(), "Site " + m.site()
                        + ", which owns this bucket, could not be reached (" + m.getMessage() + "). The request was"
                        + " not sent and had no effect; retry later, or at the owner site.", null,
                        S3Exception.NOT_APPLIED);
            }
            return new S3Exception(S3Error.SITE_ISOLATED, "Site " + m.site() + ", which owns this bucket,"
                    + " could not be reached (" + m.getMessage() + "). Retry later, or at the owner site.");
        }
        boolean bodyFailed = false;
        for (Throwable c = cause; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof S3Exception) {
                return (S3Exception) c;
            }
            S3Exception fromAuth = AuthErrors.fromPayload(c);
            if (fromAuth != null) {
                return fromAuth;
            }
            bodyFailed |= c instanceof io.meridian.federation.ForwardedBodyException;
            if (c instanceof com.linecorp.armeria.common.ShuttingDownException) {
                return new S3Exception(S3Error.SERVICE_UNAVAILABLE,
                        "This site is shutting down; retry the request, at another site if need be.");
            }
        }
        if (bodyFailed) {
            return new S3Exception(S3Error.INCOMPLETE_BODY,
                    "The request body ended before it was complete; send the request again.");
        }
        return new S3Exception(S3Error.INTERNAL_ERROR, "We encountered an internal error; retry the request.");
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
