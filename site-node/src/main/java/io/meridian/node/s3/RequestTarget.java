package io.meridian.node.s3;

import com.google.common.collect.ImmutableList;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The bucket, key and query of an S3 request, decoded from the raw request target exactly as the
 * client sent it: no path normalization, {@code %2F} stays inside a key, {@code +} in a path is a
 * plus, and keys keep their bytes (no Unicode normalization).
 *
 * @param bucket {@code null} for service-level requests
 * @param key {@code null} for bucket-level requests; may be empty only when the path ends in
 *     {@code bucket/} (treated as a bucket request)
 */
public record RequestTarget(@Nullable String bucket, @Nullable String key,
                            ImmutableList<Map.Entry<String, String>> query) {

    /**
     * Parses a path-style target such as {@code /bucket/some/key?uploads}, or a virtual-hosted one
     * when {@code hostBucket} is given (the bucket named by the Host header).
     *
     * @throws S3Exception for percent-escapes that are broken or not UTF-8
     */
    public static RequestTarget parse(String rawTarget, @Nullable String hostBucket) {
        int q = rawTarget.indexOf('?');
        String rawPath = q < 0 ? rawTarget : rawTarget.substring(0, q);
        String rawQuery = q < 0 ? null : rawTarget.substring(q + 1);
        String path = decode(rawPath, false);
        if (!path.startsWith("/")) {
            throw new S3Exception(S3Error.INVALID_REQUEST, "The request path must start with '/'.");
        }
        String bucket;
        String key;
        if (hostBucket != null) {
            bucket = hostBucket;
            key = path.length() > 1 ? path.substring(1) : null;
        } else {
            int slash = path.indexOf('/', 1);
            if (path.length() <= 1) {
                bucket = null;
                key = null;
            } else if (slash < 0) {
                bucket = path.substring(1);
                key = null;
            } else {
                bucket = path.substring(1, slash);
                key = slash + 1 < path.length() ? path.substring(slash + 1) : null;
            }
        }
        return new RequestTarget(bucket, key, parseQuery(rawQuery));
    }

    /** Returns the first value of query parameter {@code name}, or null; a bare {@code ?name} gives "". */
    public @Nullable String param(String name) {
        for (Map.Entry<String, String> e : query) {
            if (e.getKey().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    public boolean has(String name) {
        return param(name) != null;
    }

    static ImmutableList<Map.Entry<String, String>> parseQuery(@Nullable String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return ImmutableList.of();
        }
        ImmutableList.Builder<Map.Entry<String, String>> out = ImmutableList.builder();
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
            out.add(Map.entry(name, value));
        }
        return out.build();
    }

    /**
     * Percent-decodes {@code s} as UTF-8. In a query, {@code +} means a space (as form encoding
     * and every S3 client use it); in a path it is a plus.
     */
    static String decode(String s, boolean plusIsSpace) {
        if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw badEscape(s);
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw badEscape(s);
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else if (c < 0x80) {
                out.write(c);
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                    utf8 = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                out.write(utf8, 0, utf8.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT,
                    "The request URI holds percent-escapes that are not valid UTF-8: " + abbreviate(s));
        }
    }

    private static S3Exception badEscape(String s) {
        return new S3Exception(S3Error.INVALID_ARGUMENT,
                "The request URI holds a malformed percent-escape: " + abbreviate(s));
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
