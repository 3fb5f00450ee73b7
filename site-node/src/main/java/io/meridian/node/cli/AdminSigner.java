package io.meridian.node.cli;

import io.meridian.node.s3.auth.SigV4Signer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.Map;

/** Signs the CLI's admin requests with SigV4, as any S3 client would. */
public final class AdminSigner {

    private AdminSigner() {}

    /** Adds the SigV4 headers of {@code method uri} (no body) to {@code b}, signed with the given key. */
    public static void sign(HttpRequest.Builder b, String method, URI uri, String accessKey, String secretKey) {
        Map<String, String> headers = SigV4Signer.sign(method, uri, Map.of(), accessKey, secretKey, "us-east-1",
                Instant.now());
        headers.forEach((name, value) -> {
            if (!name.equals("host")) {
                b.header(name, value);
            }
        });
    }
}
