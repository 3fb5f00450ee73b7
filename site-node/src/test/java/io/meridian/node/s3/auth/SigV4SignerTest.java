package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.ReferenceClient.ACCESS_KEY;
import static io.meridian.node.s3.auth.ReferenceClient.NOW;
import static io.meridian.node.s3.auth.ReferenceClient.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableListMultimap;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

class SigV4SignerTest {

    private static SignedRequest received(String method, URI uri, Map<String, String> headers) {
        return SignedRequest.of(method, uri.getRawPath(), uri.getRawQuery(), ImmutableListMultimap.copyOf(
                headers.entrySet()));
    }

    @Test
    void whatItSignsTheVerifierAccepts() {
        final URI uri = URI.create("http://127.0.0.1:9101/_meridian/admin/v1/sites?filter=a%20b&flag&z=1&a=2");
        final Map<String, String> headers = SigV4Signer.sign("GET", uri, Map.of("Accept", "application/json"),
                                                             ACCESS_KEY, SECRET, "us-east-1", NOW);
        assertThat(headers).containsEntry("host", "127.0.0.1:9101")
                           .containsEntry("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                           .containsEntry("accept", "application/json")
                           .containsKey("authorization");
        final AuthResult auth = ReferenceClient.verifier().verify(received("GET", uri, headers));
        assertThat(auth.accessKeyId()).isEqualTo(ACCESS_KEY);
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.UNSIGNED);
    }

    @Test
    void matchesTheAwsSdkSigner() {
        final byte[] body = "{\"name\":\"site-2\"}".getBytes(StandardCharsets.UTF_8);
        final URI uri = URI.create("https://admin.example.com/_meridian/admin/v1/sites/caf%C3%A9?dry-run=true");
        final Map<String, String> headers = SigV4Signer.sign("PUT", uri, Map.of("Content-Type", "application/json"),
                                                             ACCESS_KEY, SECRET, "eu-site-2", NOW, body);
        final SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.PUT).uri(uri)
                                                     .putHeader("Content-Type", "application/json").build();
        final SdkHttpRequest sdk = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(ACCESS_KEY, SECRET))
                .request(request)
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "eu-site-2")
                .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(NOW, ZoneOffset.UTC))).request();
        assertThat(headers.get("authorization")).isEqualTo(sdk.firstMatchingHeader("Authorization").orElseThrow());
        assertThat(ReferenceClient.verifier().verify(received("PUT", uri, headers)).expectedPayloadSha256())
                .hasValue(AwsChunkedEncoder.sha256Hex(body));
    }
}
