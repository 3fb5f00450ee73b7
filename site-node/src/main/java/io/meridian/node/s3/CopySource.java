package io.meridian.node.s3;

import org.jspecify.annotations.Nullable;

/** The object named by an {@code x-amz-copy-source} header: {@code [/]bucket/key[?versionId=...]}, URL-encoded. */
record CopySource(String bucket, String key) {

    static CopySource parse(@Nullable String header) {
        if (header == null || header.isEmpty()) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "The x-amz-copy-source header is required.");
        }
        String raw = header;
        int q = raw.indexOf('?');
        if (q >= 0) {
            String query = raw.substring(q + 1);
            raw = raw.substring(0, q);
            if (query.startsWith("versionId=") && !query.equals("versionId=null")) {
                throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Copying a specific version is not implemented;"
                        + " objects in Meridian have one current version.");
            }
        }
        String decoded = RequestTarget.decode(raw, false);
        if (decoded.startsWith("/")) {
            decoded = decoded.substring(1);
        }
        int slash = decoded.indexOf('/');
        if (slash <= 0 || slash == decoded.length() - 1) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT,
                    "x-amz-copy-source must be bucket/key (URL-encoded), got '" + header + "'.");
        }
        return new CopySource(decoded.substring(0, slash), decoded.substring(slash + 1));
    }
}
