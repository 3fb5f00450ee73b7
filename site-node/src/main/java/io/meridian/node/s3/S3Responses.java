package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import org.jspecify.annotations.Nullable;

/** Builds the responses every S3 operation shares: headers on every answer, XML bodies, errors. */
public final class S3Responses {

    /** Names the site that produced a response, on every response. */
    public static final String SERVED_BY = "x-meridian-served-by";
    public static final String REQUEST_ID = "x-amz-request-id";
    /**
     * On reads served through this site's cache: {@code hit} (answered from cache, the owner not
     * asked: under a read lease, or within the staleness the request allows, as
     * {@link #STALENESS} tells), {@code revalidated} (cached bytes the owner just confirmed
     * current) or {@code miss} (bytes fetched from the owner; for a HEAD: the owner asked).
     */
    public static final String CACHE = "x-meridian-cache";
    /**
     * On every response from a site that does not own the bucket: how long ago the answer was last
     * known current, in milliseconds; 0 under a valid read lease or when the owner answered, -1 if
     * unknown (a {@code local} read of an entry whose history this site forgot).
     */
    public static final String STALENESS = "x-meridian-staleness-ms";
    /** The consistency a read asks for (DESIGN.md, "The data path" 6). */
    public static final String CONSISTENCY = "x-meridian-consistency";
    /** On reads served through this site's cache: the site that owns the object. */
    public static final String OWNER = "x-meridian-owner";

    private S3Responses() {}

    /** Starts response headers with the ones every answer carries. */
    static ResponseHeadersBuilder headers(HttpStatus status, String site, String requestId) {
        return ResponseHeaders.builder(status)
                .set(SERVED_BY, site)
                .set(REQUEST_ID, requestId)
                .set("server", "Meridian");
    }

    static HttpResponse xml(HttpStatus status, Xml body, String site, String requestId) {
        return HttpResponse.of(headers(status, site, requestId).contentType(MediaType.XML_UTF_8).build(),
                com.linecorp.armeria.common.HttpData.ofUtf8(body.toString()));
    }

    static HttpResponse empty(HttpStatus status, String site, String requestId) {
        return HttpResponse.of(headers(status, site, requestId).build());
    }

    /** Answers with an S3 error document. */
    public static HttpResponse error(S3Error error, String message, @Nullable String resource, String site,
                                     String requestId) {
        return error(error.code(), error.status(), message, resource, site, requestId);
    }

    /** Returns the XML error document S3 answers with. */
    static String errorBody(String code, String message, @Nullable String resource, String requestId) {
        return errorBody(code, message, resource, requestId, java.util.Map.of());
    }

    static String errorBody(String code, String message, @Nullable String resource, String requestId,
                            java.util.Map<String, String> details) {
        Xml xml = new Xml().open("Error")
                .element("Code", code)
                .element("Message", message)
                .optional("Resource", resource)
                .element("RequestId", requestId);
        details.forEach(xml::element);
        return xml.close("Error").toString();
    }

    static HttpResponse error(String code, HttpStatus status, String message, @Nullable String resource, String site,
                              String requestId) {
        return error(code, status, message, resource, site, requestId, java.util.Map.of());
    }

    static HttpResponse error(String code, HttpStatus status, String message, @Nullable String resource, String site,
                              String requestId, java.util.Map<String, String> details) {
        String xml = errorBody(code, message, resource, requestId, details);
        ResponseHeadersBuilder h = headers(status, site, requestId).contentType(MediaType.XML_UTF_8);
        if (status == HttpStatus.SERVICE_UNAVAILABLE) {
            h.set("retry-after", "1");
        }
        return HttpResponse.of(h.build(), com.linecorp.armeria.common.HttpData.ofUtf8(xml));
    }

    static HttpResponse error(S3Exception e, String defaultResource, String site, String requestId) {
        return error(e.code(), e.status(), e.getMessage(), e.resource() != null ? e.resource() : defaultResource, site,
                requestId, e.details());
    }
}
