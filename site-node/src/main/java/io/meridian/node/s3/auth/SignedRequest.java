package io.meridian.node.s3.auth;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.ListMultimap;
import com.linecorp.armeria.common.RequestHeaders;
import io.netty.util.AsciiString;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The parts of an HTTP request a SigV4 signature covers, exactly as they arrived.
 *
 * @param method the HTTP method, such as {@code PUT}
 * @param rawPath the request path as received: percent-encoded, before any {@code '?'}, never decoded or
 *     normalized
 * @param rawQuery the query string as received (after {@code '?'}), or {@code null} if there was no {@code '?'}
 * @param headers the request headers in arrival order, names in lower case; the {@code Host} (or HTTP/2
 *     {@code :authority}) value is under {@code "host"}
 */
public record SignedRequest(String method, String rawPath, @Nullable String rawQuery,
                            ImmutableListMultimap<String, String> headers) {

    /** Checks the arguments and lower-cases header names. */
    public SignedRequest {
        requireNonNull(method, "method");
        requireNonNull(rawPath, "rawPath");
        requireNonNull(headers, "headers");
        checkArgument(rawPath.indexOf('?') < 0, "rawPath %s contains '?' (expected: the path before the query)",
                      rawPath);
        headers = lowerCased(headers);
    }

    /** Creates a request from its parts; see the record components. */
    public static SignedRequest of(String method, String rawPath, @Nullable String rawQuery,
                                   ListMultimap<String, String> headers) {
        return new SignedRequest(method, rawPath, rawQuery, ImmutableListMultimap.copyOf(headers));
    }

    /**
     * Creates a request from Armeria's view of it.
     *
     * @param headers the request headers; pseudo-headers other than {@code :authority} are left out, and
     *     {@code :authority} becomes {@code host} when there is no {@code host} header
     * @param rawRequestTarget the request target exactly as received, path and query, as returned by
     *     {@code ServiceRequestContext.rawPath()} (not {@code path()}, which Armeria normalizes)
     */
    public static SignedRequest of(RequestHeaders headers, String rawRequestTarget) {
        requireNonNull(headers, "headers");
        requireNonNull(rawRequestTarget, "rawRequestTarget");
        final ImmutableListMultimap.Builder<String, String> copy = ImmutableListMultimap.builder();
        boolean hasHost = false;
        for (Map.Entry<AsciiString, String> header : headers) {
            final String name = header.getKey().toString();
            if (name.startsWith(":")) {
                continue;
            }
            hasHost |= "host".equals(name);
            copy.put(name, header.getValue());
        }
        final String authority = headers.authority();
        if (!hasHost && authority != null) {
            copy.put("host", authority);
        }
        final int question = rawRequestTarget.indexOf('?');
        final String rawPath = question < 0 ? rawRequestTarget : rawRequestTarget.substring(0, question);
        final String rawQuery = question < 0 ? null : rawRequestTarget.substring(question + 1);
        return new SignedRequest(headers.method().name(), rawPath, rawQuery, copy.build());
    }

    /** Returns the first value of header {@code name} (lower case), or {@code null}. */
    @Nullable String header(String name) {
        final var values = headers.get(name);
        return values.isEmpty() ? null : values.get(0);
    }

    private static ImmutableListMultimap<String, String> lowerCased(ImmutableListMultimap<String, String> headers) {
        boolean allLower = true;
        for (String name : headers.keySet()) {
            if (!name.equals(name.toLowerCase(Locale.ROOT))) {
                allLower = false;
                break;
            }
        }
        if (allLower) {
            return headers;
        }
        final ImmutableListMultimap.Builder<String, String> lower = ImmutableListMultimap.builder();
        headers.forEach((name, value) -> lower.put(name.toLowerCase(Locale.ROOT), value));
        return lower.build();
    }
}
