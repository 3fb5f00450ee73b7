package io.meridian.node.s3;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a failure met while reading a request body into the S3 error the client should see: a
 * payload that failed its signature or checksum keeps its own code; a body cut short is an
 * IncompleteBody.
 */
final class PayloadErrors {

    private PayloadErrors() {}

    static RuntimeException toS3(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof S3Exception) {
                return (S3Exception) t;
            }
            S3Exception fromAuth = AuthErrors.fromPayload(t);
            if (fromAuth != null) {
                return fromAuth;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        if (failure instanceof UncheckedIOException || failure instanceof IOException
                || failure.getCause() instanceof IOException) {
            return new S3Exception(S3Error.INCOMPLETE_BODY,
                    "The request body ended before it was complete (" + failure.getMessage() + "); send it again.");
        }
        if (failure instanceof RuntimeException) {
            return (RuntimeException) failure;
        }
        return new IllegalStateException(failure);
    }
}
