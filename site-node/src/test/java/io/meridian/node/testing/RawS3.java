package io.meridian.node.testing;

import io.meridian.node.s3.auth.SigV4Signer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sends hand-made S3 requests (that no SDK would send) signed with the demo key. */
public final class RawS3 {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private RawS3() {}

    /** A response: status, headers and body as text. */
    public record Response(int status, Map<String, String> headers, String body) {}

    /** Sends a request whose body is signed; {@code pathAndQuery} is sent exactly as given. */
    public static Response send(String endpoint, String method, String pathAndQuery, byte[] body) throws IOException {
        return send(endpoint, method, pathAndQuery, body, Map.of(), true);
    }

    public static Response send(String endpoint, String method, String pathAndQuery, byte[] body,
                                Map<String, String> headers, boolean signed) throws IOException {
        URI uri = URI.create(endpoint + pathAndQuery);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(java.time.Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        Map<String, String> all = new LinkedHashMap<>(headers);
        if (signed) {
            all = SigV4Signer.sign(method, uri, headers, MiniFederation.ACCESS_KEY, MiniFederation.SECRET_KEY,
                    "us-east-1", Instant.now(), body);
        }
        all.forEach((name, value) -> {
            if (!name.equals("host")) {
                b.header(name, value);
            }
        });
        try {
            HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> h = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            return new Response(r.statusCode(), h, new String(r.body(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
