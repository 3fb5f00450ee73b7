package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import io.meridian.node.store.Listing;
import io.meridian.node.store.LocalStore;
import io.meridian.node.store.proto.PartRecord;
import io.meridian.node.store.proto.UploadRecord;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The listing operations, answered by the owner from its store. */
final class Listings {

    static final int MAX_KEYS = 1000;

    private Listings() {}

    static HttpResponse listV2(S3Request req, LocalStore store, String site) {
        String prefix = orEmpty(req.param("prefix"));
        String delimiter = emptyToNull(req.param("delimiter"));
        int maxKeys = maxKeys(req.param("max-keys"));
        boolean url = encodingType(req);
        String token = req.param("continuation-token");
        String startAfter = emptyToNull(req.param("start-after"));
        String from = startAfter;
        if (token != null) {
            from = decodeToken(token);
        }
        Listing page = store.list(req.bucket(), prefix, delimiter, from, maxKeys);
        Xml xml = new Xml().root("ListBucketResult")
                .element("Name", req.bucket())
                .element("Prefix", enc(prefix, url))
                .element("KeyCount", page.contents().size() + page.commonPrefixes().size())
                .element("MaxKeys", maxKeys);
        if (delimiter != null) {
            xml.element("Delimiter", enc(delimiter, url));
        }
        if (url) {
            xml.element("EncodingType", "url");
        }
        xml.element("IsTruncated", page.truncated());
        if (token != null) {
            xml.element("ContinuationToken", token);
        }
        if (page.truncated() && page.last() != null) {
            xml.element("NextContinuationToken", encodeToken(page.last()));
        }
        if (startAfter != null) {
            xml.element("StartAfter", enc(startAfter, url));
        }
        boolean owner = "true".equals(req.param("fetch-owner"));
        contents(xml, page, url, owner ? req.principal().tenant() : null);
        xml.close("ListBucketResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    static HttpResponse listV1(S3Request req, LocalStore store, String site) {
        String prefix = orEmpty(req.param("prefix"));
        String delimiter = emptyToNull(req.param("delimiter"));
        int maxKeys = maxKeys(req.param("max-keys"));
        boolean url = encodingType(req);
        String marker = orEmpty(req.param("marker"));
        Listing page = store.list(req.bucket(), prefix, delimiter, marker.isEmpty() ? null : marker, maxKeys);
        Xml xml = new Xml().root("ListBucketResult")
                .element("Name", req.bucket())
                .element("Prefix", enc(prefix, url))
                .element("Marker", enc(marker, url))
                .element("MaxKeys", maxKeys);
        if (delimiter != null) {
            xml.element("Delimiter", enc(delimiter, url));
        }
        if (url) {
            xml.element("EncodingType", "url");
        }
        xml.element("IsTruncated", page.truncated());
        if (page.truncated() && page.last() != null) {
            xml.element("NextMarker", enc(page.last(), url));
        }
        contents(xml, page, url, req.principal().tenant());
        xml.close("ListBucketResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    private static void contents(Xml xml, Listing page, boolean url, @Nullable String owner) {
        for (Listing.Entry e : page.contents()) {
            xml.open("Contents")
                    .element("Key", enc(e.key(), url))
                    .element("LastModified", HttpDates.iso(e.meta().lastModifiedMs()))
                    .element("ETag", e.meta().quotedEtag())
                    .element("Size", e.meta().size())
                    .element("StorageClass", "STANDARD");
            if (owner != null) {
                xml.open("Owner").element("ID", owner).element("DisplayName", owner).close("Owner");
            }
            xml.close("Contents");
        }
        for (String p : page.commonPrefixes()) {
            xml.open("CommonPrefixes").element("Prefix", enc(p, url)).close("CommonPrefixes");
        }
    }

    static HttpResponse listUploads(S3Request req, LocalStore store, String site) {
        String prefix = orEmpty(req.param("prefix"));
        int max = maxKeys(req.param("max-uploads"));
        boolean url = encodingType(req);
        String keyMarker = orEmpty(req.param("key-marker"));
        String idMarker = orEmpty(req.param("upload-id-marker"));
        List<UploadRecord> all = store.listUploads(req.bucket(), prefix, Integer.MAX_VALUE);
        Xml xml = new Xml().root("ListMultipartUploadsResult")
                .element("Bucket", req.bucket())
                .element("KeyMarker", enc(keyMarker, url))
                .element("UploadIdMarker", idMarker)
                .element("Prefix", enc(prefix, url))
                .element("MaxUploads", max);
        if (url) {
            xml.element("EncodingType", "url");
        }
        int count = 0;
        boolean truncated = false;
        String nextKey = null;
        String nextId = null;
        boolean pastMarker = keyMarker.isEmpty();
        StringBuilder uploads = new StringBuilder();
        Xml body = new Xml();
        for (UploadRecord u : all) {
            if (!pastMarker) {
                int c = compare(u.getKey(), keyMarker);
                if (c < 0 || (c == 0 && (idMarker.isEmpty() || u.getUploadId().compareTo(idMarker) <= 0))) {
                    continue;
                }
                pastMarker = true;
            }
            if (count == max) {
                truncated = true;
                break;
            }
            count++;
            nextKey = u.getKey();
            nextId = u.getUploadId();
            xml.open("Upload")
                    .element("Key", enc(u.getKey(), url))
                    .element("UploadId", u.getUploadId())
                    .open("Initiator").element("ID", req.principal().tenant())
                    .element("DisplayName", req.principal().tenant()).close("Initiator")
                    .open("Owner").element("ID", req.principal().tenant())
                    .element("DisplayName", req.principal().tenant()).close("Owner")
                    .element("StorageClass", "STANDARD")
                    .element("Initiated", HttpDates.iso(u.getInitiatedMs()))
                    .close("Upload");
        }
        if (truncated) {
            xml.element("NextKeyMarker", enc(nextKey, url)).element("NextUploadIdMarker", nextId);
        }
        xml.element("IsTruncated", truncated).close("ListMultipartUploadsResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    static HttpResponse listParts(S3Request req, LocalStore store, String site) {
        String uploadId = req.param("uploadId");
        UploadRecord upload = store.upload(req.bucket(), req.key(), uploadId).orElseThrow(() -> new S3Exception(
                S3Error.NO_SUCH_UPLOAD, "The specified multipart upload " + uploadId + " does not exist."));
        int max = maxKeys(req.param("max-parts"));
        int marker = 0;
        String markerParam = req.param("part-number-marker");
        if (markerParam != null && !markerParam.isEmpty()) {
            try {
                marker = Integer.parseInt(markerParam);
            } catch (NumberFormatException e) {
                marker = -1;
            }
            if (marker < 0) {
                throw new S3Exception(S3Error.INVALID_ARGUMENT,
                        "part-number-marker must be a non-negative integer, got '" + markerParam + "'.");
            }
        }
        List<PartRecord> parts = store.listParts(req.bucket(), uploadId, marker, max + 1);
        boolean truncated = parts.size() > max;
        if (truncated) {
            parts = parts.subList(0, max);
        }
        Xml xml = new Xml().root("ListPartsResult")
                .element("Bucket", req.bucket())
                .element("Key", req.key())
                .element("UploadId", upload.getUploadId())
                .open("Initiator").element("ID", req.principal().tenant()).close("Initiator")
                .open("Owner").element("ID", req.principal().tenant()).close("Owner")
                .element("StorageClass", "STANDARD")
                .element("PartNumberMarker", marker)
                .element("MaxParts", max)
                .element("IsTruncated", truncated);
        if (!parts.isEmpty()) {
            xml.element("NextPartNumberMarker", parts.get(parts.size() - 1).getPartNumber());
        }
        for (PartRecord p : parts) {
            xml.open("Part")
                    .element("PartNumber", p.getPartNumber())
                    .element("LastModified", HttpDates.iso(p.getLastModifiedMs()))
                    .element("ETag", '"' + p.getEtag() + '"')
                    .element("Size", p.getSize())
                    .close("Part");
        }
        xml.close("ListPartsResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    private static int maxKeys(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return MAX_KEYS;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.min(n, MAX_KEYS);
        } catch (NumberFormatException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "max-keys must be a non-negative integer, got '"
                    + value + "'.");
        }
    }

    private static boolean encodingType(S3Request req) {
        String v = req.param("encoding-type");
        if (v == null || v.isEmpty()) {
            return false;
        }
        if (!v.equalsIgnoreCase("url")) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "Invalid Encoding Method specified in Request: only"
                    + " encoding-type=url is supported.");
        }
        return true;
    }

    /**
     * URL-encodes for {@code encoding-type=url}: every byte but unreserved characters and '/',
     * spaces as %20, so clients that decode '+' as a space and those that do not both read it back.
     */
    static String enc(String s, boolean url) {
        if (!url) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    static String encodeToken(String last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeToken(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "The continuation token provided is incorrect.");
        }
    }

    private static int compare(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static String orEmpty(@Nullable String s) {
        return s == null ? "" : s;
    }

    private static @Nullable String emptyToNull(@Nullable String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
