package io.meridian.node.s3;

import com.google.common.collect.ImmutableList;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.namespace.AccessKey;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An authenticated S3 request, whether it arrived from a client at this site or was forwarded by
 * another site. The body is the decoded, verified payload.
 *
 * @param headers request headers, lower-case names, in arrival order
 * @param contentLength decoded body length, or -1 if unknown
 * @param originSite the site the client is connected to
 */
public record S3Request(
        String method,
        RequestTarget target,
        ImmutableList<Map.Entry<String, String>> headers,
        AccessKey principal,
        StreamMessage<HttpData> body,
        long contentLength,
        String requestId,
        String originSite) {

    public @Nullable String bucket() {
        return target.bucket();
    }

    public @Nullable String key() {
        return target.key();
    }

    /** Returns the first value of header {@code name} (lower-case), or null. */
    public @Nullable String header(String name) {
        for (Map.Entry<String, String> e : headers) {
            if (e.getKey().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    public @Nullable String param(String name) {
        return target.param(name);
    }

    public boolean has(String name) {
        return target.has(name);
    }

    /** Returns the resource path used in error documents. */
    public String resource() {
        if (bucket() == null) {
            return "/";
        }
        return key() == null ? "/" + bucket() : "/" + bucket() + "/" + key();
    }
}
