package io.meridian.node.s3.auth;

import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.ImmutableMap;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Signs requests with AWS Signature Version 4 (service {@code s3}, {@code Authorization} header), for
 * Meridian's own clients such as the CLI. What it signs, {@link SigV4Verifier} accepts.
 */
public final class SigV4Signer {

    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private SigV4Signer() {}

    /**
     * Returns the headers to send with a request whose body is not signed ({@code UNSIGNED-PAYLOAD}): the
     * given {@code headers}, {@code host}, {@code x-amz-date}, {@code x-amz-content-sha256} and
     * {@code authorization}, names in lower case. Every returned header is signed.
     *
     * @param uri the request URI exactly as it will be sent (its raw path and raw query are signed)
     * @param time the signing time; the verifier refuses it if it is more than 15 minutes off its clock
     */
    public static Map<String, String> sign(String method, URI uri, Map<String, String> headers, String accessKeyId,
                                           String secret, String region, Instant time) {
        return sign(method, uri, headers, accessKeyId, secret, region, time, "UNSIGNED-PAYLOAD");
    }

    /**
     * Returns the headers to send with a request whose {@code body} is signed too (its SHA-256 goes into
     * {@code x-amz-content-sha256}); otherwise as {@link #sign(String, URI, Map, String, String, String, Instant)}.
     */
    public static Map<String, String> sign(String method, URI uri, Map<String, String> headers, String accessKeyId,
                                           String secret, String region, Instant time, byte[] body) {
        return sign(method, uri, headers, accessKeyId, secret, region, time,
                    Signing.hex(Signing.sha256().digest(requireNonNull(body, "body"))));
    }

    private static Map<String, String> sign(String method, URI uri, Map<String, String> headers, String accessKeyId,
                                            String secret, String region, Instant time, String payloadHash) {
        requireNonNull(method, "method");
        requireNonNull(uri, "uri");
        requireNonNull(accessKeyId, "accessKeyId");
        requireNonNull(secret, "secret");
        requireNonNull(region, "region");
        final String amzDate = AMZ_DATE.format(requireNonNull(time, "time"));
        final String date = amzDate.substring(0, 8);

        final TreeMap<String, String> signed = new TreeMap<>();
        headers.forEach((name, value) -> signed.put(name.toLowerCase(Locale.ROOT), value));
        signed.put("host", uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ':' + uri.getPort());
        signed.put("x-amz-date", amzDate);
        signed.put("x-amz-content-sha256", payloadHash);

        final List<String> names = new ArrayList<>(signed.keySet());
        final String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        final String canonicalRequest = CanonicalRequests.request(
                method.toUpperCase(Locale.ROOT), CanonicalRequests.uri(rawPath),
                CanonicalRequests.query(uri.getRawQuery(), true, null),
                CanonicalRequests.headers(names, ImmutableListMultimap.copyOf(signed.entrySet())),
                String.join(";", names), payloadHash);
        final String scope = date + '/' + region + '/' + Signing.SERVICE + '/' + Signing.TERMINATOR;
        final byte[] signingKey = Signing.deriveSigningKey(secret, date, region, Signing.SERVICE);
        final String signature = Signing.hex(Signing.hmac(signingKey, CanonicalRequests.stringToSign(
                amzDate, scope, canonicalRequest)));

        return ImmutableMap.<String, String>builder()
                           .putAll(signed)
                           .put("authorization", Signing.ALGORITHM + " Credential=" + accessKeyId + '/' + scope
                                                 + ", SignedHeaders=" + String.join(";", names)
                                                 + ", Signature=" + signature)
                           .build();
    }

    /** Percent-encodes a path segment or query value as SigV4 canonicalizes it (RFC 3986 unreserved kept). */
    public static String uriEncode(String s) {
        return CanonicalRequests.encode(s.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    }
}
