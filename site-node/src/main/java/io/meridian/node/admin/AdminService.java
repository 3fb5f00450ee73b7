package io.meridian.node.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.meridian.consensus.ReplicatedGroup;
import com.linecorp.armeria.common.QueryParams;
import io.meridian.federation.Consistency;
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.BucketInfo;
import io.meridian.namespace.FederationState;
import io.meridian.namespace.KeyRole;
import io.meridian.namespace.SiteInfo;
import io.meridian.node.SiteNode;
import io.meridian.node.s3.auth.AuthResult;
import io.meridian.node.s3.auth.S3AuthException;
import io.meridian.node.s3.auth.SigV4Verifier;
import io.meridian.node.s3.auth.SignedRequest;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The admin port: {@code /health} and {@code /metrics} for probes and Prometheus (no credentials),
 * and the admin API under {@code /_meridian/admin/v1/}, which takes SigV4 signatures of an access
 * key with the admin role and answers anything else with 401 and a JSON error.
 */
public final class AdminService implements HttpService {

    static final String API = "/_meridian/admin/v1/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SiteNode node;
    private final SigV4Verifier verifier;
    private final PrometheusMeterRegistry metrics;

    public AdminService(SiteNode node, SigV4Verifier verifier, PrometheusMeterRegistry metrics) {
        this.node = node;
        this.verifier = verifier;
        this.metrics = metrics;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String path = ctx.path();
        if (path.equals("/health")) {
            return json(HttpStatus.OK, health());
        }
        if (path.equals("/metrics")) {
            return HttpResponse.of(HttpStatus.OK, MediaType.parse("text/plain; version=0.0.4; charset=utf-8"),
                    metrics.scrape());
        }
        if (!path.startsWith(API)) {
            return error(HttpStatus.NOT_FOUND, "NotFound", "No such admin resource: " + path
                    + ". The admin API lives under " + API + ".");
        }
        try {
            AuthResult auth = verifier.verify(SignedRequest.of(req.headers(), ctx.rawPath()));
            AccessKey key = node.federation().accessKey(auth.accessKeyId()).orElse(null);
            if (key == null || key.role() != KeyRole.ADMIN) {
                return error(HttpStatus.FORBIDDEN, "AccessDenied", "The admin API needs an access key with the admin"
                        + " role; " + auth.accessKeyId() + " does not have it.");
            }
        } catch (S3AuthException e) {
            ObjectNode n = errorNode(e.code(), "Admin credentials are required: sign the request with SigV4 using an"
                    + " access key with the admin role. (" + e.getMessage() + ")");
            e.details().forEach(((ObjectNode) n.get("error"))::put);
            return json(HttpStatus.UNAUTHORIZED, n);
        }
        String resource = path.substring(API.length());
        String method = ctx.method().name();
        QueryParams query = QueryParams.fromQueryString(ctx.query());
        if (resource.equals("sites") && method.equals("GET")) {
            return json(HttpStatus.OK, sites());
        }
        if (resource.equals("leases") && method.equals("GET")) {
            return json(HttpStatus.OK, leases());
        }
        if (resource.equals("cache/evict") && method.equals("POST")) {
            return evict(query);
        }
        if (resource.startsWith("buckets/")) {
            return bucket(method, resource.substring("buckets/".length()), query);
        }
        return error(HttpStatus.NOT_FOUND, "NotFound", "No such admin resource: " + method + " " + path
                + ". Resources: GET sites, GET leases, POST cache/evict, GET buckets/NAME,"
                + " PUT buckets/NAME/consistency?value=...");
    }

    /** The read leases this site holds on others' objects and grants on its own. */
    private ObjectNode leases() {
        ObjectNode n = JSON.createObjectNode();
        n.put("site", node.config().name());
        n.put("readLeasePeriodMs", node.ownerLeases().leasePeriod().toMillis());
        n.put("quietRemainingMs", TimeUnit.NANOSECONDS.toMillis(node.ownerLeases().quietRemainingNanos()));
        ArrayNode held = n.putArray("held");
        node.remoteObjects().leases().held().forEach((ck, lease) -> {
            ObjectNode o = held.addObject();
            putEntry(o, ck);
            o.put("version", lease.version());
            o.put("seq", lease.seq());
            o.put("remainingMs", TimeUnit.NANOSECONDS.toMillis(Math.max(0,
                    lease.expiresAtNanos() - node.remoteObjects().leases().now())));
        });
        ArrayNode granted = n.putArray("granted");
        node.ownerLeases().granted().forEach((entry, holders) -> holders.forEach(h -> {
            ObjectNode o = granted.addObject();
            putEntry(o, entry);
            o.put("holder", h.site());
            o.put("seq", h.seq());
            o.put("remainingMs", TimeUnit.NANOSECONDS.toMillis(node.ownerLeases().remainingNanos(h)));
        }));
        return n;
    }

    private static void putEntry(ObjectNode o, String entry) {
        int sep = entry.indexOf('\u0000');
        o.put("bucket", sep < 0 ? entry : entry.substring(0, sep));
        o.put("key", sep < 0 ? "" : entry.substring(sep + 1));
    }

    /** Evicts one object ({@code bucket} and {@code key}) or a prefix ({@code bucket}, {@code prefix}). */
    private HttpResponse evict(QueryParams query) {
        String bucket = query.get("bucket");
        String key = query.get("key");
        String prefix = query.get("prefix");
        if (bucket == null || bucket.isEmpty() || (key != null && prefix != null)) {
            return error(HttpStatus.BAD_REQUEST, "InvalidArgument", "Name what to evict: ?bucket=B&key=K for one"
                    + " object, or ?bucket=B&prefix=P for every cached object under a prefix (none: the whole"
                    + " bucket).");
        }
        if (node.federation().bucket(bucket).isEmpty()) {
            return error(HttpStatus.NOT_FOUND, "NoSuchBucket", "Bucket '" + bucket + "' does not exist.");
        }
        int evicted = node.remoteObjects().evict(bucket, key, key == null ? (prefix == null ? "" : prefix) : null);
        ObjectNode n = JSON.createObjectNode();
        n.put("site", node.config().name());
        n.put("bucket", bucket);
        if (key != null) {
            n.put("key", key);
        } else {
            n.put("prefix", prefix == null ? "" : prefix);
        }
        n.put("evicted", evicted);
        return json(HttpStatus.OK, n);
    }

    private HttpResponse bucket(String method, String rest, QueryParams query) {
        boolean consistency = rest.endsWith("/consistency");
        String name = consistency ? rest.substring(0, rest.length() - "/consistency".length()) : rest;
        Optional<BucketInfo> bucket = node.federation().bucket(name);
        if (bucket.isEmpty()) {
            return error(HttpStatus.NOT_FOUND, "NoSuchBucket", "Bucket '" + name + "' does not exist.");
        }
        if (!consistency && method.equals("GET")) {
            return json(HttpStatus.OK, bucketNode(bucket.get()));
        }
        if (consistency && method.equals("PUT")) {
            String value = query.get("value");
            if (query.getAll("value").size() > 1) {
                return error(HttpStatus.BAD_REQUEST, "InvalidArgument", "Give ?value= once.");
            }
            if (value == null) {
                return error(HttpStatus.BAD_REQUEST, "InvalidArgument", "Give the new default as ?value=...:"
                        + " linearizable, local, or bounded; max-staleness=<n><ms|s|m>.");
            }
            String normalized;
            try {
                normalized = Consistency.parse(value).toString();
            } catch (IllegalArgumentException e) {
                return error(HttpStatus.BAD_REQUEST, "InvalidArgument", e.getMessage());
            }
            return HttpResponse.of(node.namespace().setBucketConsistency(name, normalized)
                    .thenApply(b -> json(HttpStatus.OK, bucketNode(b)))
                    .exceptionally(t -> error(HttpStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable",
                            "The change could not be committed (" + t.getMessage() + "); retry.")));
        }
        return error(HttpStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", method + " is not supported on buckets/"
                + rest + ": use GET buckets/NAME or PUT buckets/NAME/consistency?value=...");
    }

    private static ObjectNode bucketNode(BucketInfo b) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", b.name());
        n.put("tenant", b.tenant());
        n.put("owner", b.ownerSite());
        n.put("epoch", b.epoch());
        n.put("createdAt", b.createdAt().toString());
        n.put("defaultConsistency", b.defaultConsistency().isEmpty() ? "linearizable" : b.defaultConsistency());
        return n;
    }

    private ObjectNode health() {
        ObjectNode n = JSON.createObjectNode();
        n.put("site", node.config().name());
        n.put("region", node.config().region());
        n.put("role", node.config().role().label());
        n.put("status", node.health());
        ReplicatedGroup group = node.namespace().group();
        n.put("raftRole", group.role().name());
        n.put("leader", group.leaderId().orElse(null));
        n.put("appliedIndex", group.appliedIndex());
        ArrayNode sites = n.putArray("sites");
        node.federation().sites().forEach(s -> sites.add(s.name()));
        return n;
    }

    private ObjectNode sites() {
        FederationState state = node.federation();
        ObjectNode n = JSON.createObjectNode();
        ArrayNode sites = n.putArray("sites");
        String leader = node.namespace().group().leaderId().orElse(null);
        for (SiteInfo s : state.sites()) {
            ObjectNode o = sites.addObject();
            o.put("name", s.name());
            o.put("region", s.region());
            o.put("role", s.role().label());
            o.put("federationLeader", s.name().equals(leader));
            ObjectNode endpoints = o.putObject("endpoints");
            s.endpoints().forEach(endpoints::put);
        }
        return n;
    }

    private static HttpResponse json(HttpStatus status, ObjectNode body) {
        try {
            return HttpResponse.of(status, MediaType.JSON_UTF_8, JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse error(HttpStatus status, String code, String message) {
        return json(status, errorNode(code, message));
    }

    private static ObjectNode errorNode(String code, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("code", code).put("message", message);
        return n;
    }
}
