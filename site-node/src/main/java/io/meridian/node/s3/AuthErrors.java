package io.meridian.node.s3;

import io.meridian.node.s3.auth.S3AuthException;
import org.jspecify.annotations.Nullable;

/** Carries the signature verifier's errors over into S3 answers, code and status unchanged. */
final class AuthErrors {

    private AuthErrors() {}

    static S3Exception from(S3AuthException e) {
        return new S3Exception(e.code(), e.status(), e.getMessage(), null, e.details());
    }

    /** Returns the S3 answer for {@code t} if it is a verifier error, else null. */
    static @Nullable S3Exception fromPayload(Throwable t) {
        return t instanceof S3AuthException ? from((S3AuthException) t) : null;
    }
}
