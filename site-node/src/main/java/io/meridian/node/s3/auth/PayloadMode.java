package io.meridian.node.s3.auth;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** How a request's body is protected, as declared by {@code x-amz-content-sha256}. */
public enum PayloadMode {
    /** The header holds the hex SHA-256 of the body, checked once the body has been read. */
    SHA256(null),
    /** {@code UNSIGNED-PAYLOAD}: the body is not covered by the signature (and presigned URLs). */
    UNSIGNED("UNSIGNED-PAYLOAD"),
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}: an aws-chunked body with a signature per chunk. */
    STREAMING_SIGNED("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER}: signed chunks, then signed trailing headers. */
    STREAMING_SIGNED_TRAILER("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
    /** {@code STREAMING-UNSIGNED-PAYLOAD-TRAILER}: unsigned aws-chunked chunks, then trailing headers. */
    STREAMING_UNSIGNED_TRAILER("STREAMING-UNSIGNED-PAYLOAD-TRAILER");

    private final @Nullable String headerValue;

    PayloadMode(@Nullable String headerValue) {
        this.headerValue = headerValue;
    }

    /** Returns whether the body is aws-chunked encoded (and must be decoded before it is stored). */
    public boolean isAwsChunked() {
        return this == STREAMING_SIGNED || this == STREAMING_SIGNED_TRAILER || this == STREAMING_UNSIGNED_TRAILER;
    }

    /** Returns whether every chunk carries a signature chained from the request's seed signature. */
    public boolean hasChunkSignatures() {
        return this == STREAMING_SIGNED || this == STREAMING_SIGNED_TRAILER;
    }

    /** Returns whether the aws-chunked body may end with trailing headers. */
    public boolean hasTrailer() {
        return this == STREAMING_SIGNED_TRAILER || this == STREAMING_UNSIGNED_TRAILER;
    }

    /** Returns the keyword {@code x-amz-content-sha256} carries for this mode; empty for {@link #SHA256}. */
    public Optional<String> headerValue() {
        return Optional.ofNullable(headerValue);
    }
}
