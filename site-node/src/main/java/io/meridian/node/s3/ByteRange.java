package io.meridian.node.s3;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One satisfiable byte range of an object of a known size.
 *
 * @param first offset of the first byte
 * @param length number of bytes
 */
record ByteRange(long first, long length) {

    long last() {
        return first + length - 1;
    }

    String contentRange(long size) {
        return "bytes " + first + "-" + last() + "/" + size;
    }

    /**
     * Resolves a Range header against an object of {@code size} bytes. Returns empty when the
     * whole object should be sent: no header, a header that is not a single byte range (HTTP lets
     * a server ignore those), or one it cannot parse.
     *
     * @throws S3Exception InvalidRange when the range is well-formed but starts past the end
     */
    static Optional<ByteRange> resolve(@Nullable String header, long size) {
        if (header == null) {
            return Optional.empty();
        }
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
            return Optional.empty();
        }
        String spec = h.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        try {
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return Optional.empty();
                }
                long suffix = Long.parseLong(b);
                if (suffix <= 0 || size == 0) {
                    throw unsatisfiable(size);
                }
                long len = Math.min(suffix, size);
                return Optional.of(new ByteRange(size - len, len));
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
            if (first < 0 || last < first) {
                return Optional.empty();
            }
            if (first >= size) {
                throw unsatisfiable(size);
            }
            last = Math.min(last, size - 1);
            return Optional.of(new ByteRange(first, last - first + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static S3Exception unsatisfiable(long size) {
        return new S3Exception(S3Error.INVALID_RANGE,
                "The requested range is not satisfiable: the object is " + size + " bytes long.");
    }
}
