package io.meridian.node.s3;

import com.google.common.collect.ImmutableList;
import com.linecorp.armeria.common.HttpResponse;
import io.meridian.federation.ForwardedRequest;
import io.meridian.federation.MeshClient;
import io.meridian.federation.MeshUnavailableException;
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
 * or here through the cache revalidated with the owner (reads of objects owned elsewhere).
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
    private final Executor blocking;

    public S3Router(String site, Namespace namespace, S3Operations operations, MeshClient mesh, RemoteObjects remote,
                    Executor blocking) {
        this.site = site;
        this.namespace = namespace;
        this.operations = operations;
        this.mesh = mesh;
        this.remote = remote;
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
        return bucket(req.bucket()).thenCompose(bucket -> {
            if (!req.principal().canAccessTenant(bucket.tenant())) {
                throw new S3Exception(S3Error.ACCESS_DENIED, "Access Denied: the bucket belongs to another tenant.",
                        "/" + bucket.name());
            }
            if (op.isWrite() && !req.principal().role().canWrite()) {
                throw new S3Exception(S3Error.ACCESS_DENIED, "Access key " + req.principal().id() + " is read-only.");
            }
            boolean owner = bucket.ownerSite().equals(site);
            if (op.placement() == S3Op.Placement.ANY_SITE || owner) {
                return operations.execute(req, op, bucket);
            }
            if (forwarded) {
                throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Site " + site + " received a request for bucket "
                        + bucket.name() + ", which " + bucket.ownerSite() + " now owns; retry the request.");
            }
            SiteInfo ownerSite = namespace.state().site(bucket.ownerSite()).orElseThrow(() -> new S3Exception(
                    S3Error.SERVICE_UNAVAILABLE, "Owner site " + bucket.ownerSite() + " is not registered yet; retry."));
            if (op.placement() == S3Op.Placement.READ_THROUGH) {
                return readThrough(req, bucket, ownerSite, op == S3Op.HEAD_OBJECT);
            }
            return CompletableFuture.completedFuture(forward(req, ownerSite));
        }).whenComplete((r, t) -> {
            if (t != null) {
                Bodies.discard(req.body());
            }
        });
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

    private CompletableFuture<HttpResponse> readThrough(S3Request req, BucketInfo bucket, SiteInfo owner, boolean head) {
        Bodies.discard(req.body());
        if (head) {
            // Only the metadata: a HEAD must not pull a large object's bytes across sites.
            return remote.head(owner, bucket.name(), req.key(), req.requestId()).thenApply(read -> {
                if (read instanceof RemoteObjects.Read.Head) {
                    ObjectMeta meta = ((RemoteObjects.Read.Head) read).meta();
                    return ObjectResponses.respond(req, true, new ObjectResponses.Source(meta, java.util.List.of(),
                            java.util.List.of(), () -> { }), site, blocking)
                            .mapHeaders(h -> h.toBuilder().set(S3Responses.OWNER, owner.name()).build());
                }
                throw S3Operations.missing(req, (RemoteObjects.Read.Missing) read);
            });
        }
        return remote.read(owner, bucket.name(), req.key(), req.requestId()).thenApply(read -> {
            if (read instanceof RemoteObjects.Read.Found) {
                RemoteObjects.Read.Found found = (RemoteObjects.Read.Found) read;
                String cache = found.revalidated() ? "hit" : "miss";
                return ObjectResponses.respond(req, head, new ObjectResponses.Source(found.meta(),
                        java.util.List.of(found.data().channel()), java.util.List.of(found.meta().size()),
                        found.data()), site, blocking)
                        .mapHeaders(h -> h.toBuilder().set(S3Responses.CACHE, cache).set(S3Responses.OWNER,
                                owner.name()).build());
            }
            throw S3Operations.missing(req, (RemoteObjects.Read.Missing) read);
        });
    }

    private HttpResponse forward(S3Request req, SiteInfo owner) {
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
        return mesh.forward(owner, fr).recover(t -> errorResponse(req, t));
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
            return new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Site " + m.site() + ", which owns this bucket,"
                    + " could not be reached (" + m.getMessage() + "). Retry later.");
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
