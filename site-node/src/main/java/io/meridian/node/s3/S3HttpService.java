package io.meridian.node.s3;

import com.google.common.collect.ImmutableList;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.Namespace;
import io.meridian.node.s3.auth.AuthResult;
import io.meridian.node.s3.auth.S3AuthException;
import io.meridian.node.s3.auth.SigV4Verifier;
import io.meridian.node.s3.auth.SignedRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The S3 endpoint of a site: parses the request target exactly as sent, verifies the SigV4
 * signature, wraps the body in its verifier, and hands the request to the {@link S3Router}.
 */
public final class S3HttpService implements HttpService {

    private final String site;
    private final Namespace namespace;
    private final SigV4Verifier verifier;
    private final S3Router router;
    private final List<String> virtualHostSuffixes;
    private final java.util.function.BooleanSupplier caughtUp;

    /**
     * @param virtualHostSuffixes host name suffixes under which the first label names the bucket
     *     (virtual-hosted-style requests), such as {@code localhost} for {@code photos.localhost}
     */
    public S3HttpService(String site, Namespace namespace, SigV4Verifier verifier, S3Router router,
                         List<String> virtualHostSuffixes, java.util.function.BooleanSupplier caughtUp) {
        this.caughtUp = caughtUp;
        this.site = site;
        this.namespace = namespace;
        this.verifier = verifier;
        this.router = router;
        this.virtualHostSuffixes = List.copyOf(virtualHostSuffixes);
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String requestId = requestId();
        String rawTarget = ctx.rawPath();
        RequestHeaders headers = req.headers();
        try {
            if (!caughtUp.getAsBoolean()) {
                // Until this site has caught up with the federation it would refuse valid keys and
                // miss buckets; it says so instead.
                throw new S3Exception(S3Error.SERVICE_UNAVAILABLE.code(), S3Error.SERVICE_UNAVAILABLE.status(), "Site "
                        + site + " has not caught up with the federation (it is starting, or its consensus member"
                        + " stopped: see its /health); the request had no effect. Retry, at another site if this"
                        + " lasts.", null, S3Exception.NOT_APPLIED);
            }
            RequestTarget target = RequestTarget.parse(rawTarget, hostBucket(headers.authority()));
            AuthResult auth = verifier.verify(SignedRequest.of(headers, rawTarget));
            AccessKey principal = namespace.state().accessKey(auth.accessKeyId())
                    .orElseThrow(() -> new S3Exception(S3Error.INVALID_ACCESS_KEY_ID,
                            "The AWS access key Id you provided does not exist in our records."));
            if (principal.disabled()) {
                throw new S3Exception(S3Error.ACCESS_DENIED, "Access key " + principal.id() + " is disabled.");
            }
            StreamMessage<HttpData> body = verifier.verifiedBody(auth, bodyHeaders(headers, target), req);
            S3Request s3 = new S3Request(headers.method().name(), target, headerList(headers), principal, body,
                    decodedLength(headers), requestId, site);
            return router.route(s3);
        } catch (S3AuthException e) {
            Bodies.discard(req);
            return S3Responses.error(AuthErrors.from(e), resource(rawTarget), site, requestId);
        } catch (S3Exception e) {
            Bodies.discard(req);
            return S3Responses.error(e, resource(rawTarget), site, requestId);
        }
    }

    /**
     * Returns the headers that describe the request body. A multipart completion's
     * {@code x-amz-checksum-*} headers describe the whole object, not the XML body, so they are left
     * out of the body's checks.
     */
    private static RequestHeaders bodyHeaders(RequestHeaders headers, RequestTarget target) {
        if (!headers.method().name().equals("POST") || !target.has("uploadId")) {
            return headers;
        }
        var b = headers.toBuilder();
        headers.names().stream().map(Object::toString).filter(n -> n.startsWith("x-amz-checksum-")).toList()
                .forEach(b::remove);
        return b.build();
    }

    private @Nullable String hostBucket(@Nullable String authority) {
        if (authority == null) {
            return null;
        }
        String host = authority.toLowerCase(Locale.ROOT);
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(']') < colon) {
            host = host.substring(0, colon);
        }
        for (String suffix : virtualHostSuffixes) {
            if (host.endsWith("." + suffix) && host.length() > suffix.length() + 1) {
                return host.substring(0, host.length() - suffix.length() - 1);
            }
        }
        return null;
    }

    private static long decodedLength(RequestHeaders headers) {
        String decoded = headers.get("x-amz-decoded-content-length");
        if (decoded != null) {
            try {
                return Long.parseLong(decoded.trim());
            } catch (NumberFormatException e) {
                throw new S3Exception(S3Error.INVALID_ARGUMENT, "x-amz-decoded-content-length must be a number.");
            }
        }
        return headers.contentLength();
    }

    static ImmutableList<Map.Entry<String, String>> headerList(RequestHeaders headers) {
        ImmutableList.Builder<Map.Entry<String, String>> out = ImmutableList.builder();
        headers.forEach((name, value) -> {
            String n = name.toString();
            if (!n.startsWith(":")) {
                out.add(Map.entry(n.toLowerCase(Locale.ROOT), value));
            }
        });
        String authority = headers.authority();
        if (authority != null && headers.get("host") == null) {
            out.add(Map.entry("host", authority));
        }
        return out.build();
    }

    private static String resource(String rawTarget) {
        int q = rawTarget.indexOf('?');
        return q < 0 ? rawTarget : rawTarget.substring(0, q);
    }

    static String requestId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE).toUpperCase(Locale.ROOT);
    }
}
