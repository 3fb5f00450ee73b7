package io.meridian.federation;

import com.google.common.collect.ImmutableList;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A client request that one site authenticated and another site, the owner of its domain,
 * executes. The body is the decoded payload (chunk signatures already verified and removed).
 *
 * @param key {@code null} for bucket-level requests
 * @param query decoded query parameters in the client's order
 * @param headers request headers with lower-case names, without authentication and hop-by-hop ones
 * @param contentLength decoded body length, or -1 if unknown
 */
public record ForwardedRequest(
        String method,
        String bucket,
        @Nullable String key,
        ImmutableList<Map.Entry<String, String>> query,
        ImmutableList<Map.Entry<String, String>> headers,
        String accessKeyId,
        String originSite,
        long contentLength,
        String requestId,
        StreamMessage<HttpData> body) {}
