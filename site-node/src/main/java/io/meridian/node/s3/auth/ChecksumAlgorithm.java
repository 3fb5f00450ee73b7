package io.meridian.node.s3.auth;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.jspecify.annotations.Nullable;

/**
 * The body digests the S3 API checks: the {@code x-amz-checksum-*} algorithms (as request headers or
 * aws-chunked trailers) and MD5 for {@code Content-MD5}. Values travel base64-encoded, big-endian.
 */
enum ChecksumAlgorithm {
    CRC32("x-amz-checksum-crc32", 4, () -> checksum(new CRC32(), 4)),
    CRC32C("x-amz-checksum-crc32c", 4, () -> checksum(new CRC32C(), 4)),
    CRC64NVME("x-amz-checksum-crc64nvme", 8, () -> checksum(new Crc64Nvme(), 8)),
    SHA1("x-amz-checksum-sha1", 20, () -> digest("SHA-1")),
    SHA256("x-amz-checksum-sha256", 32, () -> digest("SHA-256")),
    /** Only for {@code Content-MD5}; S3 has no {@code x-amz-checksum-md5}. */
    MD5(null, 16, () -> digest("MD5"));

    /** The prefix of checksum headers and trailers (and of a few headers that only describe a checksum). */
    static final String HEADER_PREFIX = "x-amz-checksum-";

    private final @Nullable String headerName;
    private final int length;
    private final Supplier<Running> factory;

    ChecksumAlgorithm(@Nullable String headerName, int length, Supplier<Running> factory) {
        this.headerName = headerName;
        this.length = length;
        this.factory = factory;
    }

    /** Returns the algorithm whose header (or trailer) is {@code name}, in lower case. */
    static Optional<ChecksumAlgorithm> ofHeader(String name) {
        for (ChecksumAlgorithm algorithm : values()) {
            if (name.equals(algorithm.headerName)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /** Returns the names of the checksum headers S3 clients may send, for error messages. */
    static String supportedHeaders() {
        final StringBuilder names = new StringBuilder();
        for (ChecksumAlgorithm algorithm : values()) {
            if (algorithm.headerName != null) {
                if (names.length() > 0) {
                    names.append(", ");
                }
                names.append(algorithm.headerName);
            }
        }
        return names.toString();
    }

    /** Returns the header name, such as {@code x-amz-checksum-crc32}, or {@code Content-MD5} for MD5. */
    String headerName() {
        return headerName != null ? headerName : "Content-MD5";
    }

    /** Returns the length in bytes of a value. */
    int length() {
        return length;
    }

    Running start() {
        return factory.get();
    }

    /** A digest being computed over a body. */
    interface Running {
        void update(ByteBuffer bytes);

        /** Returns the value (big-endian bytes); call once. */
        byte[] finish();
    }

    private static Running checksum(Checksum checksum, int length) {
        return new Running() {
            @Override
            public void update(ByteBuffer bytes) {
                checksum.update(bytes);
            }

            @Override
            public byte[] finish() {
                final long value = checksum.getValue();
                final byte[] bytes = new byte[length];
                for (int i = 0; i < length; i++) {
                    bytes[i] = (byte) (value >>> 8 * (length - 1 - i));
                }
                return bytes;
            }
        };
    }

    private static Running digest(String algorithm) {
        final MessageDigest digest = Signing.digest(algorithm);
        return new Running() {
            @Override
            public void update(ByteBuffer bytes) {
                digest.update(bytes);
            }

            @Override
            public byte[] finish() {
                return digest.digest();
            }
        };
    }
}
