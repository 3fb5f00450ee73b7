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
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.FederationState;
import io.meridian.namespace.KeyRole;
import io.meridian.namespace.SiteInfo;
import io.meridian.node.SiteNode;
import io.meridian.node.s3.auth.AuthResult;
import io.meridian.node.s3.auth.S3AuthException;
import io.meridian.node.s3.auth.SigV4Verifier;
import io.meridian.node.s3.auth.SignedRequest;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

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
        if (resource.equals("sites") && ctx.method().name().equals("GET")) {
            return json(HttpStatus.OK, sites());
        }
        return error(HttpStatus.NOT_FOUND, "NotFound", "No such admin resource: " + path);
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
