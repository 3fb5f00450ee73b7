package io.meridian.node.s3.auth;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A request whose SigV4 signature {@link SigV4Verifier#verify verified}: who signed it and how its body is
 * protected. Pass it to {@link SigV4Verifier#verifiedBody} to read the body; the signing material that the
 * body check needs (signing key, seed signature, scope, timestamp) stays inside this package.
 */
public final class AuthResult {

    private final String accessKeyId;
    private final String region;
    private final PayloadMode payloadMode;
    private final @Nullable String expectedPayloadSha256;
    private final boolean presigned;
    private final Instant requestTime;
    private final String amzDate;
    private final String scope;
    private final String seedSignature;
    private final byte[] signingKey;

    AuthResult(String accessKeyId, String region, PayloadMode payloadMode, @Nullable String expectedPayloadSha256,
               boolean presigned, Instant requestTime, String amzDate, String scope, String seedSignature,
               byte[] signingKey) {
        this.accessKeyId = requireNonNull(accessKeyId, "accessKeyId");
        this.region = requireNonNull(region, "region");
        this.payloadMode = requireNonNull(payloadMode, "payloadMode");
        this.expectedPayloadSha256 = expectedPayloadSha256;
        this.presigned = presigned;
        this.requestTime = requireNonNull(requestTime, "requestTime");
        this.amzDate = requireNonNull(amzDate, "amzDate");
        this.scope = requireNonNull(scope, "scope");
        this.seedSignature = requireNonNull(seedSignature, "seedSignature");
        this.signingKey = requireNonNull(signingKey, "signingKey");
    }

    /** Returns the access key id that signed the request. */
    public String accessKeyId() {
        return accessKeyId;
    }

    /** Returns the region of the credential scope (one the verifier accepts). */
    public String region() {
        return region;
    }

    /** Returns how the body is protected. */
    public PayloadMode payloadMode() {
        return payloadMode;
    }

    /**
     * Returns the lowercase hex SHA-256 the body must have, present only in {@link PayloadMode#SHA256} mode.
     */
    public Optional<String> expectedPayloadSha256() {
        return Optional.ofNullable(expectedPayloadSha256);
    }

    /** Returns whether the signature came in the query string (a presigned URL). */
    public boolean isPresigned() {
        return presigned;
    }

    /** Returns the signing time the client declared. */
    public Instant requestTime() {
        return requestTime;
    }

    /** Returns the signing time in SigV4 form, {@code yyyyMMdd'T'HHmmss'Z'}. */
    String amzDate() {
        return amzDate;
    }

    /** Returns the credential scope, {@code yyyyMMdd/region/s3/aws4_request}. */
    String scope() {
        return scope;
    }

    /** Returns the request signature, the seed of the chunk-signature chain. */
    String seedSignature() {
        return seedSignature;
    }

    /** Returns the derived signing key; callers must not modify it. */
    byte[] signingKey() {
        return signingKey;
    }

    @Override
    public String toString() {
        return "AuthResult[" + accessKeyId + ", " + region + ", " + payloadMode + (presigned ? ", presigned" : "")
               + ", " + amzDate + "]";
    }
}
