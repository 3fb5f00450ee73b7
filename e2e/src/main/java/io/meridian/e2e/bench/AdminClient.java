package io.meridian.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.node.cli.AdminSigner;
import io.meridian.node.launch.LocalFederation;
import io.meridian.node.s3.auth.SigV4Signer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls one site's admin API ({@code /_meridian/admin/v1/}) signed with the demo admin key. */
final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/_meridian/admin/v1/";

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    AdminClient(String adminUrl) {
        this.baseUrl = adminUrl.replaceAll("/+$", "");
    }

    /** The read leases the site holds and grants, its lease period and its remaining quiet time. */
    JsonNode leases() throws IOException, InterruptedException {
        return send("GET", "leases");
    }

    /** Evicts {@code bucket/key} from the site's cache and drops its lease; returns how many it evicted. */
    int evict(String bucket, String key) throws IOException, InterruptedException {
        String query = "bucket=" + SigV4Signer.uriEncode(bucket) + "&key=" + SigV4Signer.uriEncode(key);
        return send("POST", "cache/evict?" + query).path("evicted").asInt();
    }

    /**
     * Sends a signed request without a body to {@code resource} (with its query already encoded).
     *
     * @throws IOException if the site cannot be reached or does not answer 2xx (with its answer)
     */
    private JsonNode send(String method, String resource) throws IOException, InterruptedException {
        URI uri = URI.create(baseUrl + API + resource);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        AdminSigner.sign(b, method, uri, LocalFederation.DEMO_ACCESS_KEY, LocalFederation.DEMO_SECRET_KEY);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(method + " " + uri + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
