package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.Bodies.readAll;
import static io.meridian.node.s3.auth.ReferenceClient.ACCESS_KEY;
import static io.meridian.node.s3.auth.ReferenceClient.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableListMultimap;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

class PresignedUrlTest {

    private static final Duration VALIDITY = Duration.ofMinutes(10);
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private static S3Presigner presigner;

    @BeforeAll
    static void createPresigner() {
        presigner = presigner(Region.US_EAST_1, AwsBasicCredentials.create(ACCESS_KEY, SECRET));
    }

    @AfterAll
    static void closePresigner() {
        presigner.close();
    }

    private static S3Presigner presigner(Region region, AwsCredentials credentials) {
        return S3Presigner.builder()
                          .region(region)
                          .credentialsProvider(StaticCredentialsProvider.create(credentials))
                          .endpointOverride(URI.create("http://localhost:9001"))
                          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                          .build();
    }

    private static SdkHttpRequest presignedGet(S3Presigner signer, String key) {
        return signer.presignGetObject(r -> r.signatureDuration(VALIDITY)
                                             .getObjectRequest(g -> g.bucket("bucket").key(key)))
                     .httpRequest();
    }

    private static Instant signedAt(SignedRequest request) {
        final String query = request.rawQuery();
        final int start = query.indexOf("X-Amz-Date=") + "X-Amz-Date=".length();
        return AMZ_DATE.parse(query.substring(start, start + 16), Instant::from);
    }

    private static SigV4Verifier verifierAt(SignedRequest request, Duration afterSigning) {
        return ReferenceClient.verifier(signedAt(request).plus(afterSigning));
    }

    private static S3AuthException rejected(SigV4Verifier verifier, SignedRequest request) {
        final S3AuthException[] caught = new S3AuthException[1];
        assertThatThrownBy(() -> verifier.verify(request))
                .isInstanceOfSatisfying(S3AuthException.class, e -> caught[0] = e);
        return caught[0];
    }

    @ParameterizedTest
    @ValueSource(strings = { "plain", "a b+c%d#e?f~g!h", "dir//file/", "caf\u00e9/\u65e5\u672c", "literal%2Fslash" })
    void presignedGet(String key) {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, key));
        assertThat(request.rawQuery()).contains("X-Amz-Signature=");
        final AuthResult auth = verifierAt(request, Duration.ofMinutes(1)).verify(request);
        assertThat(auth.isPresigned()).isTrue();
        assertThat(auth.accessKeyId()).isEqualTo(ACCESS_KEY);
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.UNSIGNED);
    }

    @Test
    void presignedPutWithSignedHeadersAndABody() throws Exception {
        final var presigned = presigner.presignPutObject(
                r -> r.signatureDuration(VALIDITY)
                      .putObjectRequest(p -> p.bucket("bucket").key("upload.txt").contentType("text/plain")
                                              .metadata(Map.of("owner", "ada"))));
        final SignedRequest request = ReferenceClient.received(presigned.httpRequest());
        assertThat(request.headers().keySet()).contains("content-type", "x-amz-meta-owner");
        final SigV4Verifier verifier = verifierAt(request, Duration.ofMinutes(9));
        final AuthResult auth = verifier.verify(request);
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.UNSIGNED);

        final byte[] body = "uploaded through a presigned URL".getBytes(StandardCharsets.UTF_8);
        final ReferenceClient.Signed signed = new ReferenceClient.Signed(request, body);
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(new Random(3), 5))))
                .isEqualTo(body);

        final SignedRequest otherType = signed.withHeader("content-type", "text/html").request();
        assertThat(rejected(verifier, otherType).code()).isEqualTo("SignatureDoesNotMatch");
    }

    @Test
    void anExpiredUrl() {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, "key"));
        assertThat(verifierAt(request, VALIDITY).verify(request).isPresigned()).isTrue();
        final S3AuthException e = rejected(verifierAt(request, VALIDITY.plusSeconds(1)), request);
        assertThat(e.code()).isEqualTo("AccessDenied");
        assertThat(e.status().code()).isEqualTo(403);
        assertThat(e.getMessage()).startsWith("Request has expired");
        assertThat(e.details()).containsEntry("X-Amz-Expires", Long.toString(VALIDITY.toSeconds()));
    }

    @Test
    void aUrlFromTheFuture() {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, "key"));
        assertThat(verifierAt(request, Duration.ofMinutes(-15)).verify(request).isPresigned()).isTrue();
        final S3AuthException e = rejected(verifierAt(request, Duration.ofMinutes(-16)), request);
        assertThat(e.code()).isEqualTo("AccessDenied");
        assertThat(e.getMessage()).contains("not valid yet");
    }

    @Test
    void tamperedUrls() {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, "key"));
        final SigV4Verifier verifier = verifierAt(request, Duration.ofMinutes(1));
        final String longer = request.rawQuery().replace("X-Amz-Expires=600", "X-Amz-Expires=6000");
        assertThat(longer).isNotEqualTo(request.rawQuery());
        assertThat(rejected(verifier, withQuery(request, longer)).code()).isEqualTo("SignatureDoesNotMatch");
        assertThat(rejected(verifier, new SignedRequest("GET", "/bucket/other", request.rawQuery(),
                                                        request.headers())).code())
                .isEqualTo("SignatureDoesNotMatch");
        assertThat(rejected(verifier, new SignedRequest("DELETE", request.rawPath(), request.rawQuery(),
                                                        request.headers())).code())
                .isEqualTo("SignatureDoesNotMatch");
        assertThat(rejected(verifier, withQuery(request, request.rawQuery() + "&versionId=1")).code())
                .isEqualTo("SignatureDoesNotMatch");
        assertThat(rejected(verifier, new ReferenceClient.Signed(request, null).withHeader("x-amz-acl", "public-read")
                                                                              .request()).details())
                .containsEntry("HeadersNotSigned", "x-amz-acl");
    }

    @Test
    void malformedParameters() {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, "key"));
        final SigV4Verifier verifier = verifierAt(request, Duration.ofMinutes(1));
        final String query = request.rawQuery();
        final Map<String, String> cases = Map.of(
                query.replace("X-Amz-Expires=600", "X-Amz-Expires=604801"), "less than a week",
                query.replace("X-Amz-Expires=600", "X-Amz-Expires=soon"), "should be a number",
                query.replace("X-Amz-Expires=600", "X-Amz-Expires=0"), "must be positive",
                query.replaceAll("&?X-Amz-Signature=[0-9a-f]+", ""), "requires the X-Amz-Algorithm",
                query.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"),
                "only supports",
                query.replace("%2Fs3%2F", "%2Fsqs%2F"), "incorrect service",
                query.replaceAll("X-Amz-Date=\\d{8}", "X-Amz-Date=19991231"), "Invalid credential date");
        cases.forEach((tampered, message) -> {
            assertThat(tampered).isNotEqualTo(query);
            final S3AuthException e = rejected(verifier, withQuery(request, tampered));
            assertThat(e.code()).as(tampered).isEqualTo("AuthorizationQueryParametersError");
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void aWrongRegion() {
        try (S3Presigner elsewhere = presigner(Region.AP_SOUTH_1, AwsBasicCredentials.create(ACCESS_KEY, SECRET))) {
            final SignedRequest request = ReferenceClient.received(presignedGet(elsewhere, "key"));
            final S3AuthException e = rejected(verifierAt(request, Duration.ZERO), request);
            assertThat(e.code()).isEqualTo("AuthorizationQueryParametersError");
            assertThat(e.getMessage()).contains("'ap-south-1' is wrong");
            assertThat(e.details()).containsEntry("Region", "us-east-1");
        }
    }

    @Test
    void aSessionTokenIsSignedAlongAndOtherwiseIgnored() {
        try (S3Presigner session = presigner(Region.US_EAST_1,
                                             AwsSessionCredentials.create(ACCESS_KEY, SECRET, "token+/="))) {
            final SignedRequest request = ReferenceClient.received(presignedGet(session, "key"));
            assertThat(request.rawQuery()).contains("X-Amz-Security-Token=");
            assertThat(verifierAt(request, Duration.ZERO).verify(request).accessKeyId()).isEqualTo(ACCESS_KEY);
        }
    }

    @Test
    void anUnknownKey() {
        try (S3Presigner stranger = presigner(Region.US_EAST_1, AwsBasicCredentials.create("AKIDSTRANGER", "x"))) {
            final SignedRequest request = ReferenceClient.received(presignedGet(stranger, "key"));
            assertThat(rejected(verifierAt(request, Duration.ZERO), request).code()).isEqualTo("InvalidAccessKeyId");
        }
    }

    @Test
    void aHeaderSignatureNextToAPresignedOneIsRefused() {
        final SignedRequest request = ReferenceClient.received(presignedGet(presigner, "key"));
        final SignedRequest both = SignedRequest.of(request.method(), request.rawPath(), request.rawQuery(),
                                                    ImmutableListMultimap.<String, String>builder()
                                                                         .putAll(request.headers())
                                                                         .put("authorization", "AWS4-HMAC-SHA256 x")
                                                                         .build());
        assertThat(rejected(verifierAt(request, Duration.ZERO), both).code()).isEqualTo("InvalidArgument");
    }

    private static SignedRequest withQuery(SignedRequest request, String rawQuery) {
        return new SignedRequest(request.method(), request.rawPath(), rawQuery, request.headers());
    }
}
