package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.S3AuthException.badRequest;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.linecorp.armeria.common.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a request's headers say its body must satisfy: {@code Content-MD5}, {@code x-amz-checksum-*} values,
 * the checksums {@code x-amz-trailer} promises at the end of an aws-chunked body, and
 * {@code x-amz-decoded-content-length}.
 */
final class BodyChecks {

    /** Headers with the checksum prefix that describe a checksum rather than carry one. */
    private static final ImmutableSet<String> CHECKSUM_METADATA_HEADERS =
            ImmutableSet.of("x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode");

    private final ImmutableMap<ChecksumAlgorithm, byte[]> expected;
    private final ImmutableList<ChecksumAlgorithm> trailerChecksums;
    private final long decodedLength;

    private BodyChecks(Map<ChecksumAlgorithm, byte[]> expected, ImmutableList<ChecksumAlgorithm> trailerChecksums,
                       long decodedLength) {
        this.expected = ImmutableMap.copyOf(expected);
        this.trailerChecksums = trailerChecksums;
        this.decodedLength = decodedLength;
    }

    /**
     * Reads the checks from request headers.
     *
     * @throws S3AuthException if a header is malformed or names an unsupported checksum
     */
    static BodyChecks of(PayloadMode mode, HttpHeaders headers) {
        final Map<ChecksumAlgorithm, byte[]> expected = new EnumMap<>(ChecksumAlgorithm.class);
        final String contentMd5 = headers.get("content-md5");
        if (contentMd5 != null) {
            final byte[] md5 = decodeBase64(contentMd5.trim(), ChecksumAlgorithm.MD5.length());
            if (md5 == null) {
                throw badRequest("InvalidDigest", "The Content-MD5 you specified was invalid: '" + contentMd5
                                                  + "' is not the base64 of a 16-byte MD5 digest.");
            }
            expected.put(ChecksumAlgorithm.MD5, md5);
        }
        for (Map.Entry<AsciiString, String> header : headers) {
            final String name = header.getKey().toString().toLowerCase(Locale.ROOT);
            if (!name.startsWith(ChecksumAlgorithm.HEADER_PREFIX) || CHECKSUM_METADATA_HEADERS.contains(name)) {
                continue;
            }
            final ChecksumAlgorithm algorithm = ChecksumAlgorithm.ofHeader(name).orElseThrow(
                    () -> badRequest("InvalidRequest", "The checksum header " + name + " is not supported; use one of "
                                                       + ChecksumAlgorithm.supportedHeaders() + '.'));
            final byte[] value = decodeBase64(header.getValue().trim(), algorithm.length());
            if (value == null) {
                throw badRequest("InvalidRequest", "Value for " + name + " header is invalid: expected the base64 of "
                                                   + algorithm.length() + " bytes.");
            }
            expected.put(algorithm, value);
        }
        return new BodyChecks(expected, trailerChecksums(mode, headers.get("x-amz-trailer")),
                              decodedLength(mode, headers.get("x-amz-decoded-content-length")));
    }

    private static ImmutableList<ChecksumAlgorithm> trailerChecksums(PayloadMode mode, @Nullable String trailer) {
        if (trailer == null || trailer.isBlank()) {
            return ImmutableList.of();
        }
        if (!mode.hasTrailer()) {
            throw badRequest("InvalidRequest",
                             "x-amz-trailer is set, but x-amz-content-sha256 does not announce trailing headers; "
                             + "use STREAMING-UNSIGNED-PAYLOAD-TRAILER or STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.");
        }
        final ImmutableList.Builder<ChecksumAlgorithm> algorithms = ImmutableList.builder();
        for (String name : trailer.split(",")) {
            final String trimmed = name.trim().toLowerCase(Locale.ROOT);
            if (trimmed.isEmpty()) {
                continue;
            }
            algorithms.add(ChecksumAlgorithm.ofHeader(trimmed).orElseThrow(
                    () -> badRequest("InvalidRequest",
                                     "The value specified in the x-amz-trailer header is not supported: '" + trimmed
                                     + "'; use one of " + ChecksumAlgorithm.supportedHeaders() + '.')));
        }
        return algorithms.build();
    }

    private static long decodedLength(PayloadMode mode, @Nullable String value) {
        if (value == null || !mode.isAwsChunked()) {
            return -1;
        }
        try {
            final long length = Long.parseLong(value.trim());
            if (length >= 0) {
                return length;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw badRequest("InvalidArgument", "x-amz-decoded-content-length must be a non-negative integer, not '"
                                            + value + "'.");
    }

    private static byte @Nullable [] decodeBase64(String value, int length) {
        try {
            final byte[] bytes = Base64.getDecoder().decode(value);
            return bytes.length == length ? bytes : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Returns the digests the body must match, keyed by algorithm (MD5 for {@code Content-MD5}). */
    ImmutableMap<ChecksumAlgorithm, byte[]> expected() {
        return expected;
    }

    /** Returns the checksums {@code x-amz-trailer} promises as trailing headers, in order. */
    ImmutableList<ChecksumAlgorithm> trailerChecksums() {
        return trailerChecksums;
    }

    /** Returns {@code x-amz-decoded-content-length} for an aws-chunked body, or -1 if absent. */
    long decodedLength() {
        return decodedLength;
    }

    /** Decodes a checksum trailer value, or returns {@code null} if it is not the base64 of the right length. */
    static byte @Nullable [] decodeTrailerValue(ChecksumAlgorithm algorithm, String value) {
        return decodeBase64(value.trim(), algorithm.length());
    }
}
