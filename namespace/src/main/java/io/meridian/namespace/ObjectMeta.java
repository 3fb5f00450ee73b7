package io.meridian.namespace;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;

/**
 * What is known of one version of an object without reading its bytes.
 *
 * @param versionId unique per write of the object; two versions never share it
 * @param etag the S3 entity tag without quotes: hex MD5, or for multipart {@code md5-N}
 * @param size length in bytes
 * @param lastModifiedMs wall-clock time of the write at the owner, in epoch milliseconds
 * @param contentType the Content-Type stored with the object
 * @param headers other standard headers stored with the object (content-encoding,
 *     content-disposition, content-language, cache-control, expires), lower-case names
 * @param userMetadata {@code x-amz-meta-*} values, names lower-case without the prefix
 * @param partCount number of multipart parts, 0 for a single PUT
 * @param epoch the epoch of the domain's write lease under which the version was written
 */
public record ObjectMeta(
        String versionId,
        String etag,
        long size,
        long lastModifiedMs,
        String contentType,
        ImmutableMap<String, String> headers,
        ImmutableMap<String, String> userMetadata,
        int partCount,
        long epoch) {

    public ObjectMeta {
        checkArgument(size >= 0, "size must not be negative: %s", size);
        headers = headers == null ? ImmutableMap.of() : headers;
        userMetadata = userMetadata == null ? ImmutableMap.of() : userMetadata;
        contentType = contentType == null || contentType.isEmpty() ? "binary/octet-stream" : contentType;
    }

    /** Returns the entity tag as HTTP sends it, in double quotes. */
    public String quotedEtag() {
        return '"' + etag + '"';
    }
}
