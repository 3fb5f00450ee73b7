package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.Bodies.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableListMultimap;
import com.linecorp.armeria.common.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The worked examples of the Amazon S3 SigV4 documentation ("Signature Calculations for the Authorization
 * Header", "Query String Authentication" and "Transferring Payload in Multiple Chunks"), each checked two
 * ways: the AWS SDK signer reproduces the published signature from the published request (so the vector is not
 * taken on trust), and the verifier accepts the published request.
 */
class AwsDocumentationVectorsTest {

    private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final Instant TIME = Instant.parse("2013-05-24T00:00:00Z");
    private static final String SCOPE = ACCESS_KEY + "/20130524/us-east-1/s3/aws4_request";

    private final SigV4Verifier verifier =
            new SigV4Verifier(id -> ACCESS_KEY.equals(id) ? Optional.of(SECRET) : Optional.empty(),
                              SigV4Verifier.regions(List.of("us-east-1")), Clock.fixed(TIME, ZoneOffset.UTC));

    private static SdkHttpRequest sdkSigned(SdkHttpRequest request, byte[] body,
                                            Consumer<SignRequest.Builder<AwsCredentialsIdentity>> extra) {
        return AwsV4HttpSigner.create().sign(r -> {
            r.identity(AwsCredentialsIdentity.create(ACCESS_KEY, SECRET))
             .request(request)
             .payload(ContentStreamProvider.fromByteArray(body))
             .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
             .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
             .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
             .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
             .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, true)
             .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(TIME, ZoneOffset.UTC));
            extra.accept(r);
        }).request();
    }

    @Test
    void getObject() {
        final String documented = "AWS4-HMAC-SHA256 Credential=" + SCOPE + ", "
                                  + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                                  + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
        final SdkHttpRequest sdk = sdkSigned(SdkHttpRequest.builder().method(SdkHttpMethod.GET).protocol("https")
                                                           .host("examplebucket.s3.amazonaws.com")
                                                           .encodedPath("/test.txt")
                                                           .putHeader("Range", "bytes=0-9").build(),
                                             new byte[0], r -> { });
        assertThat(sdk.firstMatchingHeader("Authorization")).hasValue(documented);

        final SignedRequest request = SignedRequest.of("GET", "/test.txt", null, ImmutableListMultimap.of(
                "host", "examplebucket.s3.amazonaws.com",
                "range", "bytes=0-9",
                "x-amz-content-sha256", Signing.EMPTY_SHA256,
                "x-amz-date", "20130524T000000Z",
                "authorization", documented));
        final AuthResult auth = verifier.verify(request);
        assertThat(auth.accessKeyId()).isEqualTo(ACCESS_KEY);
        assertThat(auth.expectedPayloadSha256()).hasValue(Signing.EMPTY_SHA256);
    }

    @Test
    void listObjects() {
        final String documentedSignature = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
        final SdkHttpRequest sdk = sdkSigned(SdkHttpRequest.builder().method(SdkHttpMethod.GET).protocol("https")
                                                           .host("examplebucket.s3.amazonaws.com").encodedPath("/")
                                                           .putRawQueryParameter("max-keys", "2")
                                                           .putRawQueryParameter("prefix", "J").build(),
                                             new byte[0], r -> { });
        assertThat(sdk.firstMatchingHeader("Authorization").orElseThrow()).endsWith(documentedSignature);

        final SignedRequest request = SignedRequest.of("GET", "/", "max-keys=2&prefix=J", ImmutableListMultimap.of(
                "host", "examplebucket.s3.amazonaws.com",
                "x-amz-content-sha256", Signing.EMPTY_SHA256,
                "x-amz-date", "20130524T000000Z",
                "authorization", "AWS4-HMAC-SHA256 Credential=" + SCOPE + ",SignedHeaders=host;x-amz-content-sha256;"
                                 + "x-amz-date,Signature=" + documentedSignature));
        assertThat(verifier.verify(request).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @Test
    void putObject() {
        final byte[] body = "Welcome to Amazon S3.".getBytes(StandardCharsets.UTF_8);
        final String bodySha256 = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
        final String documentedSignature = "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd";
        final SdkHttpRequest sdk = sdkSigned(SdkHttpRequest.builder().method(SdkHttpMethod.PUT).protocol("https")
                                                           .host("examplebucket.s3.amazonaws.com")
                                                           .encodedPath("/test%24file.text")
                                                           .putHeader("Date", "Fri, 24 May 2013 00:00:00 GMT")
                                                           .putHeader("x-amz-storage-class", "REDUCED_REDUNDANCY")
                                                           .build(),
                                             body, r -> { });
        assertThat(sdk.firstMatchingHeader("x-amz-content-sha256")).hasValue(bodySha256);
        assertThat(sdk.firstMatchingHeader("Authorization").orElseThrow()).endsWith(documentedSignature);

        final SignedRequest request = SignedRequest.of("PUT", "/test%24file.text", null,
                                                       ImmutableListMultimap.<String, String>builder()
                .put("host", "examplebucket.s3.amazonaws.com")
                .put("date", "Fri, 24 May 2013 00:00:00 GMT")
                .put("x-amz-date", "20130524T000000Z")
                .put("x-amz-storage-class", "REDUCED_REDUNDANCY")
                .put("x-amz-content-sha256", bodySha256)
                .put("authorization", "AWS4-HMAC-SHA256 Credential=" + SCOPE + ",SignedHeaders=date;host;"
                                      + "x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature="
                                      + documentedSignature)
                .build());
        assertThat(verifier.verify(request).expectedPayloadSha256()).hasValue(bodySha256);
    }

    @Test
    void presignedGetObject() {
        final String documentedSignature = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        final String documentedQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                                       + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
                                       + "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                                       + "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + documentedSignature;
        final SdkHttpRequest sdk = sdkSigned(SdkHttpRequest.builder().method(SdkHttpMethod.GET).protocol("https")
                                                           .host("examplebucket.s3.amazonaws.com")
                                                           .encodedPath("/test.txt").build(),
                                             new byte[0],
                                             r -> r.putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                                                   .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION,
                                                                AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                                                   .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION,
                                                                Duration.ofSeconds(86_400)));
        assertThat(sdk.encodedQueryParameters().orElseThrow()).contains("X-Amz-Signature=" + documentedSignature);

        final SignedRequest request = SignedRequest.of("GET", "/test.txt", documentedQuery, ImmutableListMultimap.of(
                "host", "examplebucket.s3.amazonaws.com"));
        final AuthResult auth = verifier.verify(request);
        assertThat(auth.isPresigned()).isTrue();
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.UNSIGNED);
    }

    /**
     * The chunked-upload example: 66560 bytes of 'a' in chunks of 64 KiB. Its seed signature (over a request
     * whose Content-Length the SDK cannot be made to reproduce) is checked by the verifier; the chunk signatures
     * are reproduced by the test encoder, itself checked against the SDK.
     */
    @Test
    void chunkedUpload() throws Exception {
        final String seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        final String[] chunkSignatures = {
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9" };
        final byte[] data = "a".repeat(66_560).getBytes(StandardCharsets.US_ASCII);
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(ascii("10000;chunk-signature=" + chunkSignatures[0] + "\r\n"));
        wire.write(data, 0, 65_536);
        wire.writeBytes(ascii("\r\n400;chunk-signature=" + chunkSignatures[1] + "\r\n"));
        wire.write(data, 65_536, 1024);
        wire.writeBytes(ascii("\r\n0;chunk-signature=" + chunkSignatures[2] + "\r\n\r\n"));
        assertThat(wire.size()).isEqualTo(66_824);
        final AwsChunkedEncoder encoder = AwsChunkedEncoder.signed(SECRET, "20130524T000000Z", "us-east-1", seed);
        assertThat(encoder.encode(data, 65_536, null, null)).isEqualTo(wire.toByteArray());

        final SignedRequest request = SignedRequest.of("PUT", "/examplebucket/chunkObject.txt", null,
                                                       ImmutableListMultimap.<String, String>builder()
                .put("host", "s3.amazonaws.com")
                .put("x-amz-date", "20130524T000000Z")
                .put("x-amz-storage-class", "REDUCED_REDUNDANCY")
                .put("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
                .put("content-encoding", "aws-chunked")
                .put("x-amz-decoded-content-length", "66560")
                .put("content-length", "66824")
                .put("authorization", "AWS4-HMAC-SHA256 Credential=" + SCOPE + ",SignedHeaders=content-encoding;"
                                      + "content-length;host;x-amz-content-sha256;x-amz-date;"
                                      + "x-amz-decoded-content-length;x-amz-storage-class,Signature=" + seed)
                .build());
        final AuthResult auth = verifier.verify(request);
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.STREAMING_SIGNED);
        final ReferenceClient.Signed signed = new ReferenceClient.Signed(request, wire.toByteArray());
        final HttpHeaders headers = signed.httpHeaders();
        assertThat(readAll(verifier.verifiedBody(auth, headers, signed.body(new Random(7), 3000)))).isEqualTo(data);

        final byte[] altered = wire.toByteArray();
        altered[1000] = 'b';
        assertThat(Bodies.failure(verifier.verifiedBody(auth, headers, signed.withWireBody(altered)
                                                                                .body(new Random(7), 3000))).code())
                .isEqualTo("SignatureDoesNotMatch");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
