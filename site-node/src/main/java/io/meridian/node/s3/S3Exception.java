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

    public S3Exception(S3Error error, String message) {
        this(error, message, null);
    }

    public S3Exception(S3Error error, String message, @Nullable String resource) {
        this(error.code(), error.status(), message, resource);
    }

    /** For codes that come from elsewhere (the signature verifier) with their own status. */
    public S3Exception(String code, HttpStatus status, String message, @Nullable String resource) {
        super(message);
        this.code = code;
        this.status = status;
        this.resource = resource;
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
