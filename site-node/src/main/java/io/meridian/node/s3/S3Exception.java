package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpStatus;
import org.jspecify.annotations.Nullable;

/**
 * A request that gets an S3 error answer. The message is shown to the client: it says what went
 * wrong and, where there is one, what to do next.
 */
public final class S3Exception extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;
    private final transient HttpStatus status;
    private final @Nullable String resource;
    private final com.google.common.collect.ImmutableMap<String, String> details;

    public S3Exception(S3Error error, String message) {
        this(error, message, null);
    }

    public S3Exception(S3Error error, String message, @Nullable String resource) {
        this(error.code(), error.status(), message, resource);
    }

    /** For codes that come from elsewhere (the signature verifier) with their own status. */
    public S3Exception(String code, HttpStatus status, String message, @Nullable String resource) {
        this(code, status, message, resource, com.google.common.collect.ImmutableMap.of());
    }

    /**
     * The detail an error carries when the request is known to have had no effect (it never reached
     * the site that would have applied it), so that a client may retry it safely.
     */
    public static final java.util.Map<String, String> NOT_APPLIED = java.util.Map.of("RequestApplied", "false");

    /** With extra elements for the error document, as S3 adds them (StringToSign, Region, ...). */
    public S3Exception(String code, HttpStatus status, String message, @Nullable String resource,
                       java.util.Map<String, String> details) {
        super(message);
        this.code = code;
        this.status = status;
        this.resource = resource;
        this.details = com.google.common.collect.ImmutableMap.copyOf(details);
    }

    /** Returns extra elements of the error document, in order. */
    public com.google.common.collect.ImmutableMap<String, String> details() {
        return details;
    }

    public String code() {
        return code;
    }

    public HttpStatus status() {
        return status;
    }

    public boolean is(S3Error error) {
        return code.equals(error.code());
    }

    public @Nullable String resource() {
        return resource;
    }
}
