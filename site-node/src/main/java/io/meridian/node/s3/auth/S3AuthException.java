package io.meridian.node.s3.auth;

import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableMap;
import com.linecorp.armeria.common.HttpStatus;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request the S3 API must refuse because its signature, credentials or body failed verification.
 *
 * <p>Carries what an S3 error response needs: the S3 error {@linkplain #code() code} (for example
 * {@code SignatureDoesNotMatch}), the HTTP {@linkplain #status() status}, a message that says what went wrong
 * and what to do about it, and extra {@linkplain #details() elements} S3 puts in its error body (for example
 * {@code Region}, {@code HeadersNotSigned} or {@code StringToSign}). The message never contains a secret.
 *
 * <p>Body verification failures arrive as the cause of a stream error, possibly wrapped by the reader (for
 * example in an {@link java.io.IOException} by {@code StreamMessage.toInputStream}); {@link #findIn(Throwable)}
 * digs them out.
 */
public final class S3AuthException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;
    private final HttpStatus status;
    private final ImmutableMap<String, String> details;

    /**
     * Creates an exception with the given S3 error code, HTTP status, message and extra error-body elements.
     */
    public S3AuthException(String code, HttpStatus status, String message, Map<String, String> details) {
        super(requireNonNull(message, "message"), null, false, false);
        this.code = requireNonNull(code, "code");
        this.status = requireNonNull(status, "status");
        this.details = ImmutableMap.copyOf(details);
    }

    /** Returns the S3 error code, such as {@code SignatureDoesNotMatch}. */
    public String code() {
        return code;
    }

    /** Returns the HTTP status S3 answers this error with. */
    public HttpStatus status() {
        return status;
    }

    /**
     * Returns extra elements of the S3 error body, in order, such as {@code Region} for a wrong region or
     * {@code StringToSign} and {@code CanonicalRequest} for a signature mismatch.
     */
    public ImmutableMap<String, String> details() {
        return details;
    }

    /**
     * Returns the first {@link S3AuthException} in the cause chain (and suppressed exceptions) of
     * {@code failure}, including {@code failure} itself.
     */
    public static Optional<S3AuthException> findIn(@Nullable Throwable failure) {
        return Optional.ofNullable(find(failure, Collections.newSetFromMap(new IdentityHashMap<>())));
    }

    private static @Nullable S3AuthException find(@Nullable Throwable failure, Set<Throwable> seen) {
        if (failure == null || !seen.add(failure)) {
            return null;
        }
        if (failure instanceof S3AuthException found) {
            return found;
        }
        final S3AuthException fromCause = find(failure.getCause(), seen);
        if (fromCause != null) {
            return fromCause;
        }
        for (Throwable suppressed : failure.getSuppressed()) {
            final S3AuthException fromSuppressed = find(suppressed, seen);
            if (fromSuppressed != null) {
                return fromSuppressed;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "S3AuthException[" + code + ", " + status.code() + "]: " + getMessage();
    }

    static S3AuthException badRequest(String code, String message) {
        return new S3AuthException(code, HttpStatus.BAD_REQUEST, message, ImmutableMap.of());
    }

    static S3AuthException badRequest(String code, String message, Map<String, String> details) {
        return new S3AuthException(code, HttpStatus.BAD_REQUEST, message, details);
    }

    static S3AuthException forbidden(String code, String message) {
        return new S3AuthException(code, HttpStatus.FORBIDDEN, message, ImmutableMap.of());
    }

    static S3AuthException forbidden(String code, String message, Map<String, String> details) {
        return new S3AuthException(code, HttpStatus.FORBIDDEN, message, details);
    }
}
