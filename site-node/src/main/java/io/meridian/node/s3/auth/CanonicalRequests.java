package io.meridian.node.s3.auth;

import com.google.common.collect.ListMultimap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Builds the parts of a SigV4 canonical request the way S3 does: the path is percent-decoded and encoded
 * once (never twice, never normalized), query parameters are decoded, strictly re-encoded and sorted, and
 * header values are trimmed with inner runs of whitespace collapsed.
 */
final class CanonicalRequests {

    private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();
    private static final Comparator<String[]> BY_NAME_THEN_VALUE =
            Comparator.<String[], String>comparing(pair -> pair[0]).thenComparing(pair -> pair[1]);

    private CanonicalRequests() {}

    /**
     * Returns the canonical URI of a raw (percent-encoded, as received) path: each {@code %XX} is decoded to
     * its byte, then every byte but unreserved characters and {@code '/'} is encoded as {@code %XX}. An empty
     * path becomes {@code "/"}.
     */
    static String uri(String rawPath) {
        if (rawPath.isEmpty()) {
            return "/";
        }
        return encode(decode(rawPath, 0, rawPath.length(), false), true);
    }

    /**
     * Returns the canonical query string of a raw query (after {@code '?'}, as received): names and values
     * decoded, re-encoded strictly, sorted by name then value, with the parameter {@code excludedName} (if
     * any) left out.
     *
     * @param plusIsSpace whether a raw {@code '+'} means a space (form encoding) rather than a plus sign
     */
    static String query(@Nullable String rawQuery, boolean plusIsSpace, @Nullable String excludedName) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        final List<String[]> pairs = new ArrayList<>();
        for (String[] raw : split(rawQuery)) {
            final byte[] name = decode(raw[0], 0, raw[0].length(), plusIsSpace);
            if (excludedName != null && excludedName.equals(new String(name, StandardCharsets.UTF_8))) {
                continue;
            }
            final byte[] value = decode(raw[1], 0, raw[1].length(), plusIsSpace);
            pairs.add(new String[] { encode(name, false), encode(value, false) });
        }
        pairs.sort(BY_NAME_THEN_VALUE);
        final StringBuilder canonical = new StringBuilder(rawQuery.length() + 16);
        for (String[] pair : pairs) {
            if (canonical.length() > 0) {
                canonical.append('&');
            }
            canonical.append(pair[0]).append('=').append(pair[1]);
        }
        return canonical.toString();
    }

    /**
     * Returns the decoded parameters of a raw query, in order, as (name, value) pairs; a parameter without
     * {@code '='} has the value {@code ""}. A {@code '+'} stays a plus sign.
     */
    static List<Map.Entry<String, String>> parameters(@Nullable String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return List.of();
        }
        final List<Map.Entry<String, String>> parameters = new ArrayList<>();
        for (String[] raw : split(rawQuery)) {
            parameters.add(Map.entry(decodeToString(raw[0]), decodeToString(raw[1])));
        }
        return parameters;
    }

    /**
     * Returns the canonical headers block: one {@code name:value\n} line per signed header, in the order
     * given, multiple values joined with {@code ','}. A signed header the request lacks has an empty value.
     */
    static String headers(List<String> signedHeaders, ListMultimap<String, String> headers) {
        final StringBuilder canonical = new StringBuilder(256);
        for (String name : signedHeaders) {
            canonical.append(name).append(':');
            final List<String> values = headers.get(name);
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    canonical.append(',');
                }
                appendTrimmedCollapsed(values.get(i), canonical);
            }
            canonical.append('\n');
        }
        return canonical.toString();
    }

    /** Joins the six lines of a canonical request. */
    static String request(String method, String uri, String query, String canonicalHeaders,
                          String signedHeaders, String payloadHash) {
        return method + '\n' + uri + '\n' + query + '\n' + canonicalHeaders + '\n' + signedHeaders + '\n'
               + payloadHash;
    }

    /** Returns the SigV4 string to sign for a canonical request. */
    static String stringToSign(String amzDate, String scope, String canonicalRequest) {
        return Signing.ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + Signing.sha256Hex(canonicalRequest);
    }

    private static List<String[]> split(String rawQuery) {
        final List<String[]> raw = new ArrayList<>();
        int start = 0;
        while (start <= rawQuery.length()) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = rawQuery.length();
            }
            if (end > start) {
                final String parameter = rawQuery.substring(start, end);
                final int equals = parameter.indexOf('=');
                raw.add(equals < 0 ? new String[] { parameter, "" }
                                   : new String[] { parameter.substring(0, equals),
                                                    parameter.substring(equals + 1) });
            }
            start = end + 1;
        }
        return raw;
    }

    private static void appendTrimmedCollapsed(String value, StringBuilder out) {
        final int mark = out.length();
        boolean pendingSpace = false;
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c == ' ' || c == '\t') {
                pendingSpace = out.length() > mark;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.append(c);
            }
        }
    }

    private static String decodeToString(String raw) {
        return new String(decode(raw, 0, raw.length(), false), StandardCharsets.UTF_8);
    }

    /**
     * Percent-decodes {@code text[from, to)} to bytes. A {@code '%'} not followed by two hex digits stays a
     * literal {@code '%'}; characters beyond ASCII (which a raw request target should not contain) count as
     * their UTF-8 bytes.
     */
    static byte[] decode(String text, int from, int to, boolean plusIsSpace) {
        int capacity = to - from;
        for (int i = from; i < to; i++) {
            if (text.charAt(i) >= 0x80) {
                capacity = 3 * (to - from);
                break;
            }
        }
        final byte[] out = new byte[capacity];
        int length = 0;
        int i = from;
        while (i < to) {
            final char c = text.charAt(i);
            final int high = c == '%' ? hexValue(text, i + 1, to) : -1;
            final int low = high >= 0 ? hexValue(text, i + 2, to) : -1;
            if (low >= 0) {
                out[length++] = (byte) (high << 4 | low);
                i += 3;
            } else if (c == '+' && plusIsSpace) {
                out[length++] = ' ';
                i++;
            } else if (c < 0x80) {
                out[length++] = (byte) c;
                i++;
            } else {
                final int codePoint = text.codePointAt(i);
                final byte[] utf8 = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                System.arraycopy(utf8, 0, out, length, utf8.length);
                length += utf8.length;
                i += Character.charCount(codePoint);
            }
        }
        return length == out.length ? out : Arrays.copyOf(out, length);
    }

    private static int hexValue(String text, int index, int to) {
        if (index >= to) {
            return -1;
        }
        final char c = text.charAt(index);
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    /** Percent-encodes every byte but unreserved characters (and {@code '/'} when {@code keepSlash}). */
    static String encode(byte[] bytes, boolean keepSlash) {
        final StringBuilder out = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            final int c = b & 0xFF;
            if (isUnreserved(c) || keepSlash && c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(UPPER_HEX[c >>> 4]).append(UPPER_HEX[c & 0xF]);
            }
        }
        return out.toString();
    }

    private static boolean isUnreserved(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
               || c == '-' || c == '_' || c == '.' || c == '~';
    }
}
