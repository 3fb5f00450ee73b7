package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.Bodies.readAll;
import static io.meridian.node.s3.auth.ReferenceClient.ACCESS_KEY;
import static io.meridian.node.s3.auth.ReferenceClient.NOW;
import static io.meridian.node.s3.auth.ReferenceClient.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableListMultimap;
import io.meridian.node.s3.auth.ReferenceClient.Options;
import io.meridian.node.s3.auth.ReferenceClient.Signed;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

class SigV4VerifierTest {

    private final SigV4Verifier verifier = ReferenceClient.verifier();

    private static Signed get(String encodedPath, List<Map.Entry<String, @Nullable String>> query) {
        return sign(SdkHttpMethod.GET, encodedPath, query, Map.of(), null, Options.signedPayload());
    }

    private static Signed get(Options options) {
        return sign(SdkHttpMethod.GET, "/bucket/key", List.of(), Map.of(), null, options);
    }

    private static Map.Entry<String, @Nullable String> param(String name, @Nullable String value) {
        return new SimpleEntry<>(name, value);
    }

    /** Returns the path the AWS SDK's S3 client sends for a key: each byte but unreserved ones and '/' encoded. */
    private static String objectPath(String key) {
        return "/bucket/" + SdkHttpUtils.urlEncodeIgnoreSlashes(key);
    }

    private static S3AuthException rejected(ThrowingCallable call) {
        final Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(call).isInstanceOfSatisfying(S3AuthException.class, e -> thrown[0] = e);
        return (S3AuthException) thrown[0];
    }

    @Test
    void getWithSignedEmptyPayload() {
        final AuthResult auth = verifier.verify(get("/bucket/key", List.of()).request());
        assertThat(auth.accessKeyId()).isEqualTo(ACCESS_KEY);
        assertThat(auth.region()).isEqualTo("us-east-1");
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.SHA256);
        assertThat(auth.expectedPayloadSha256()).hasValue(Signing.EMPTY_SHA256);
        assertThat(auth.isPresigned()).isFalse();
        assertThat(auth.requestTime()).isEqualTo(NOW);
        assertThat(auth.toString()).doesNotContain(ReferenceClient.SECRET);
    }

    @Test
    void putWithSignedPayloadVerifiesTheBody() throws Exception {
        final byte[] body = "hello, meridian".getBytes(StandardCharsets.UTF_8);
        final Signed signed = sign(SdkHttpMethod.PUT, "/bucket/greeting.txt", List.of(),
                                   Map.of("Content-Type", "text/plain", "x-amz-meta-owner", "  ada   lovelace "),
                                   body, Options.signedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.SHA256);
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(new Random(1), 4))))
                .isEqualTo(body);
        final S3AuthException e = Bodies.failure(verifier.verifiedBody(
                auth, signed.httpHeaders(),
                signed.withWireBody("hello, Meridian".getBytes(StandardCharsets.UTF_8)).body(new Random(1), 4)));
        assertThat(e.code()).isEqualTo("XAmzContentSHA256Mismatch");
        assertThat(e.status().code()).isEqualTo(400);
    }

    @Test
    void putWithUnsignedPayload() throws Exception {
        final byte[] body = new byte[] { 1, 2, 3 };
        final Signed signed = sign(SdkHttpMethod.PUT, "/bucket/bytes", List.of(), Map.of(), body,
                                   Options.unsignedPayload());
        assertThat(signed.request().header("x-amz-content-sha256")).isEqualTo("UNSIGNED-PAYLOAD");
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.UNSIGNED);
        assertThat(auth.expectedPayloadSha256()).isEmpty();
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(new Random(1), 1))))
                .isEqualTo(body);
    }

    static Stream<String> keys() {
        final String e = "\u00e9";
        return Stream.of("plain.txt", "with space", "a+b", "100%", "100%25", "hash#tag", "what?", "tilde~x",
                         "bang!", "*'()$&=,;:@[]", "literal%2Fslash", "dir//double", "trailing/", "/leading",
                         "caf" + Normalizer.normalize(e, Normalizer.Form.NFC),
                         "caf" + Normalizer.normalize(e, Normalizer.Form.NFD), "\u65e5\u672c/\u30d5\u30a1\u30a4\u30eb",
                         "emoji \ud83d\ude00", "back\\slash", "tab\tand\nnewline", "quote\"<>|^`{}");
    }

    @ParameterizedTest
    @MethodSource("keys")
    void keysAsTheS3ClientEncodesThem(String key) {
        final Signed signed = get(objectPath(key), List.of());
        assertThat(verifier.verify(signed.request()).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @ParameterizedTest
    @MethodSource("keys")
    void keysSentEncodedDifferentlyButSignedCanonically(String key) {
        final Signed signed = get(objectPath(key), List.of());
        final String path = signed.request().rawPath();
        final String variant = lowerCaseEscapesAndRawSubDelims(path);
        final SignedRequest sent = new SignedRequest("GET", variant, null, signed.request().headers());
        assertThat(verifier.verify(sent).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    /** Rewrites %XX escapes in lower case and sends a few sub-delimiters unencoded, as some clients do. */
    private static String lowerCaseEscapesAndRawSubDelims(String path) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < path.length(); i++) {
            final char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                final String hex = path.substring(i + 1, i + 3);
                final char decoded = (char) Integer.parseInt(hex, 16);
                if ("!$'()*,;=:@".indexOf(decoded) >= 0) {
                    out.append(decoded);
                } else {
                    out.append('%').append(hex.toLowerCase());
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    @Test
    void aClientThatSignsThePathExactlyAsSentIsAccepted() {
        final Signed signed = get("/bucket/folder%2Ffile", List.of());
        assertThat(CanonicalRequests.uri("/bucket/folder%2Ffile")).isEqualTo("/bucket/folder/file");
        assertThat(verifier.verify(signed.request()).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @Test
    void queriesWithRepeatedEmptyAndSpecialParameters() {
        final List<Map.Entry<String, @Nullable String>> query = List.of(
                param("list-type", "2"), param("prefix", "photos/2026 march/caf\u00e9+x"), param("acl", null),
                param("empty", ""), param("a", "2"), param("a", "1"), param("a", ""), param("delimiter", "/"),
                param("start-after", "k=v&x?y#z~"), param("unicode \u00fc", "\u2603"));
        final Signed signed = get("/bucket", query);
        assertThat(verifier.verify(signed.request()).accessKeyId()).isEqualTo(ACCESS_KEY);
        assertThat(verifier.verify(get("/bucket", List.of(param("uploads", null))).request()).accessKeyId())
                .isEqualTo(ACCESS_KEY);
        assertThat(verifier.verify(get("/", List.of()).request()).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @Test
    void aPlusInTheQueryMeansSpaceOrPlus() {
        final Signed space = get("/bucket", List.of(param("prefix", "a b")));
        assertThat(space.request().rawQuery()).isEqualTo("prefix=a%20b");
        assertThat(verifier.verify(withQuery(space.request(), "prefix=a+b")).region())
                .isEqualTo("us-east-1");

        final Signed plus = get("/bucket", List.of(param("prefix", "a+b")));
        assertThat(plus.request().rawQuery()).isEqualTo("prefix=a%2Bb");
        assertThat(verifier.verify(withQuery(plus.request(), "prefix=a+b")).region())
                .isEqualTo("us-east-1");
    }

    private static SignedRequest withQuery(SignedRequest request, String rawQuery) {
        return new SignedRequest(request.method(), request.rawPath(), rawQuery, request.headers());
    }

    @Test
    void multiValuedAndSpacedHeaders() {
        final Signed signed = sign(SdkHttpMethod.GET, "/bucket/key", List.of(),
                                   Map.of("x-amz-meta-spaced", "  several   inner    spaces  "), null,
                                   Options.signedPayload());
        assertThat(verifier.verify(signed.request()).accessKeyId()).isEqualTo(ACCESS_KEY);

        final Signed twice = sign(SdkHttpMethod.GET, "/bucket/key", List.of(),
                                  ImmutableListMultimap.of("x-amz-meta-list", "b", "x-amz-meta-list", " a "), null,
                                  Options.signedPayload());
        assertThat(twice.request().headers().get("x-amz-meta-list")).containsExactly("b", " a ");
        assertThat(verifier.verify(twice.request()).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @Test
    void authorizationHeaderSpellingVariations() {
        final Signed signed = get("/bucket/key", List.of());
        final String authorization = signed.request().header("authorization");
        final List<String> variants = List.of(authorization.replace(", ", ","),
                                              authorization.replace(", ", " ,  "),
                                              authorization.replace(", ", " "),
                                              authorization.replace("SignedHeaders", "signedheaders"),
                                              "  " + authorization + "  ");
        for (String variant : variants) {
            assertThat(verifier.verify(signed.withHeader("authorization", variant).request()).accessKeyId())
                    .as(variant).isEqualTo(ACCESS_KEY);
        }
    }

    @Test
    void aSecondAcceptedRegion() {
        final AuthResult auth = verifier.verify(get(Options.signedPayload().withRegion("eu-site-2")).request());
        assertThat(auth.region()).isEqualTo("eu-site-2");
    }

    @Test
    void tamperedRequestsDoNotMatch() {
        final Signed signed = sign(SdkHttpMethod.PUT, "/bucket/key", List.of(param("x-id", "PutObject")),
                                   Map.of("x-amz-meta-color", "blue"), new byte[0], Options.signedPayload());
        final List<SignedRequest> tampered = List.of(
                signed.withHeader("x-amz-meta-color", "red").request(),
                new SignedRequest("POST", "/bucket/key", signed.request().rawQuery(), signed.request().headers()),
                new SignedRequest("PUT", "/bucket/key2", signed.request().rawQuery(), signed.request().headers()),
                new SignedRequest("PUT", "/bucket/key", "x-id=GetObject", signed.request().headers()),
                new SignedRequest("PUT", "/bucket/key", null, signed.request().headers()),
                signed.withHeader("host", "evil.example:9001").request(),
                signed.withHeader("x-amz-content-sha256", Signing.sha256Hex("other")).request());
        for (SignedRequest request : tampered) {
            final S3AuthException e = rejected(() -> verifier.verify(request));
            assertThat(e.code()).isEqualTo("SignatureDoesNotMatch");
            assertThat(e.status().code()).isEqualTo(403);
        }
    }

    @Test
    void aWrongSecretExplainsWhatWasSigned() {
        final S3AuthException e = rejected(() -> verifier.verify(
                get(Options.signedPayload().withSecret("wrong")).request()));
        assertThat(e.code()).isEqualTo("SignatureDoesNotMatch");
        assertThat(e.getMessage()).contains("Check your key and signing method");
        assertThat(e.details()).containsKeys("CanonicalRequest", "StringToSign", "SignatureProvided")
                               .containsEntry("AWSAccessKeyId", ACCESS_KEY);
        assertThat(e.details().get("CanonicalRequest")).startsWith("GET\n/bucket/key\n\n");
        assertThat(String.join("", e.details().values()) + e.getMessage()).doesNotContain(ReferenceClient.SECRET);
    }

    @Test
    void anUnknownKey() {
        final Signed signed = get("/bucket/key", List.of());
        final String authorization = signed.request().header("authorization").replace(ACCESS_KEY, "AKIDUNKNOWN");
        final S3AuthException e = rejected(() -> verifier.verify(signed.withHeader("authorization", authorization)
                                                                       .request()));
        assertThat(e.code()).isEqualTo("InvalidAccessKeyId");
        assertThat(e.status().code()).isEqualTo(403);
        assertThat(e.details()).containsEntry("AWSAccessKeyId", "AKIDUNKNOWN");
    }

    @Test
    void clockSkew() {
        final Signed signed = get("/bucket/key", List.of());
        for (Duration ok : List.of(Duration.ZERO, Duration.ofMinutes(14), Duration.ofMinutes(-14),
                                   Duration.ofMinutes(15), Duration.ofMinutes(-15))) {
            assertThat(ReferenceClient.verifier(NOW.plus(ok)).verify(signed.request()).accessKeyId()).isNotNull();
        }
        for (Duration skew : List.of(Duration.ofMinutes(15).plusSeconds(1), Duration.ofMinutes(-16),
                                     Duration.ofDays(-400))) {
            final S3AuthException e = rejected(() -> ReferenceClient.verifier(NOW.plus(skew))
                                                                    .verify(signed.request()));
            assertThat(e.code()).isEqualTo("RequestTimeTooSkewed");
            assertThat(e.status().code()).isEqualTo(403);
            assertThat(e.details()).containsEntry("RequestTime", "20260301T120000Z").containsKey("ServerTime");
        }
    }

    @Test
    void aWrongRegionNamesTheAcceptedOnes() {
        final S3AuthException e = rejected(() -> verifier.verify(
                get(Options.signedPayload().withRegion("ap-south-1")).request()));
        assertThat(e.code()).isEqualTo("AuthorizationHeaderMalformed");
        assertThat(e.status().code()).isEqualTo(400);
        assertThat(e.getMessage()).contains("'ap-south-1' is wrong", "'us-east-1'", "'eu-site-2'");
        assertThat(e.details()).containsEntry("Region", "us-east-1");
    }

    @Test
    void aWrongService() {
        final S3AuthException e = rejected(() -> verifier.verify(
                get(Options.signedPayload().withService("ec2")).request()));
        assertThat(e.code()).isEqualTo("AuthorizationHeaderMalformed");
        assertThat(e.getMessage()).contains("incorrect service 'ec2'", "'s3'");
    }

    @Test
    void theCredentialDateMustBeTheRequestDate() {
        final Signed signed = get("/bucket/key", List.of());
        final String authorization = signed.request().header("authorization").replace("/20260301/", "/20260302/");
        final S3AuthException e = rejected(() -> verifier.verify(signed.withHeader("authorization", authorization)
                                                                       .request()));
        assertThat(e.code()).isEqualTo("AuthorizationHeaderMalformed");
        assertThat(e.getMessage()).contains("Date is not the same as X-Amz-Date");
    }

    @Test
    void theContentSha256HeaderIsRequiredWhenTheRequestHasABody() {
        final Signed signed = get("/bucket/key", List.of()).withoutHeader("x-amz-content-sha256")
                                                          .withHeader("content-length", "5");
        final S3AuthException e = rejected(() -> verifier.verify(signed.request()));
        assertThat(e.code()).isEqualTo("InvalidRequest");
        assertThat(e.status().code()).isEqualTo(400);
        assertThat(e.getMessage()).startsWith("Missing required header for this request: x-amz-content-sha256");

        final S3AuthException invalid = rejected(() -> verifier.verify(
                get("/bucket/key", List.of()).withHeader("x-amz-content-sha256", "abc").request()));
        assertThat(invalid.code()).isEqualTo("InvalidArgument");
        assertThat(invalid.getMessage()).contains("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    }

    @Test
    void unsignedAmzHeadersAreRefused() {
        final Signed signed = get("/bucket/key", List.of()).withHeader("x-amz-acl", "public-read");
        final S3AuthException e = rejected(() -> verifier.verify(signed.request()));
        assertThat(e.code()).isEqualTo("AccessDenied");
        assertThat(e.status().code()).isEqualTo(403);
        assertThat(e.details()).containsEntry("HeadersNotSigned", "x-amz-acl");

        final Signed unsignedUserAgent = get("/bucket/key", List.of()).withHeader("user-agent", "curl/8")
                                                                      .withHeader("x-amzn-trace-id", "Root=1");
        assertThat(verifier.verify(unsignedUserAgent.request()).accessKeyId()).isEqualTo(ACCESS_KEY);
    }

    @Test
    void unsignedRequestsAreDeniedWithAHint() {
        final SignedRequest anonymous = SignedRequest.of("GET", "/bucket/key", null,
                                                         ImmutableListMultimap.of("host", "localhost:9001"));
        final S3AuthException e = rejected(() -> verifier.verify(anonymous));
        assertThat(e.code()).isEqualTo("AccessDenied");
        assertThat(e.status().code()).isEqualTo(403);
        assertThat(e.getMessage()).contains("Signature Version 4");
    }

    @Test
    void signatureVersion2IsRefusedClearly() {
        final SignedRequest v2 = SignedRequest.of(
                "GET", "/bucket/key", null,
                ImmutableListMultimap.of("host", "localhost:9001", "authorization", "AWS AKID:c2lnbmF0dXJl",
                                         "date", "Sun, 01 Mar 2026 12:00:00 GMT"));
        final S3AuthException e = rejected(() -> verifier.verify(v2));
        assertThat(e.code()).isEqualTo("InvalidRequest");
        assertThat(e.getMessage()).contains("Signature Version 2", "only AWS Signature Version 4");

        final SignedRequest presignedV2 = SignedRequest.of(
                "GET", "/bucket/key", "AWSAccessKeyId=AKID&Expires=1772366400&Signature=c2ln",
                ImmutableListMultimap.of("host", "localhost:9001"));
        assertThat(rejected(() -> verifier.verify(presignedV2)).getMessage()).contains("Signature Version 2");
    }

    @Test
    void malformedAuthorizationHeaders() {
        final Signed signed = get("/bucket/key", List.of());
        final String authorization = signed.request().header("authorization");
        final Map<String, String> cases = new LinkedHashMap<>();
        cases.put(authorization.substring(0, authorization.indexOf(", Signature=")), "three components");
        cases.put(authorization.replace("Credential=" + ACCESS_KEY + "/", "Credential="), "Credential is mal-formed");
        cases.put(authorization.replace("aws4_request", "aws5_request"), "incorrect terminal");
        cases.put(authorization.replace("Signature=", "Signature=xyz"), "64 hex characters");
        cases.put(authorization + ", Signature=" + "0".repeat(64), "appears twice");
        cases.put(authorization.replace("SignedHeaders=", "Headers="), "unknown component");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            final S3AuthException e = rejected(() -> verifier.verify(signed.withHeader("authorization", c.getKey())
                                                                           .request()));
            assertThat(e.code()).as(c.getKey()).isEqualTo("AuthorizationHeaderMalformed");
            assertThat(e.getMessage()).contains(c.getValue());
        }
        final S3AuthException sigV4a = rejected(() -> verifier.verify(signed.withHeader(
                "authorization", authorization.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")).request()));
        assertThat(sigV4a.getMessage()).contains("4A");
        final S3AuthException other = rejected(() -> verifier.verify(signed.withHeader(
                "authorization", "Bearer abc").request()));
        assertThat(other.code()).isEqualTo("InvalidArgument");
    }

    @Test
    void theDateHeaderIsRequiredAndMustParse() {
        final Signed signed = get("/bucket/key", List.of());
        final S3AuthException missing = rejected(() -> verifier.verify(signed.withoutHeader("x-amz-date").request()));
        assertThat(missing.code()).isEqualTo("AccessDenied");
        assertThat(missing.getMessage()).contains("valid Date or x-amz-date");
        final S3AuthException garbled = rejected(() -> verifier.verify(
                signed.withHeader("x-amz-date", "2026-03-01T12:00:00Z").request()));
        assertThat(garbled.code()).isEqualTo("AccessDenied");
    }

    @Test
    void theDateHeaderServesWhenThereIsNoXAmzDate() {
        final String date = "Sun, 01 Mar 2026 12:00:00 GMT";
        final String canonicalRequest = "GET\n/bucket/key\n\n"
                                        + "date:" + date + "\nhost:localhost:9001\nx-amz-content-sha256:"
                                        + Signing.EMPTY_SHA256 + "\n\ndate;host;x-amz-content-sha256\n"
                                        + Signing.EMPTY_SHA256;
        final String stringToSign = "AWS4-HMAC-SHA256\n20260301T120000Z\n20260301/us-east-1/s3/aws4_request\n"
                                    + AwsChunkedEncoder.sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
        final String signature = java.util.HexFormat.of().formatHex(AwsChunkedEncoder.hmac(
                AwsChunkedEncoder.signingKey(ReferenceClient.SECRET, "20260301", "us-east-1"), stringToSign));
        final SignedRequest request = SignedRequest.of("GET", "/bucket/key", null, ImmutableListMultimap.of(
                "host", "localhost:9001", "date", date, "x-amz-content-sha256", Signing.EMPTY_SHA256,
                "authorization", "AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/20260301/us-east-1/s3/aws4_request, "
                                 + "SignedHeaders=date;host;x-amz-content-sha256, Signature=" + signature));
        assertThat(verifier.verify(request).requestTime()).isEqualTo(NOW);
    }

    @Test
    void bothAuthMechanismsAtOnceAreRefused() {
        final Signed signed = get("/bucket/key", List.of(param("X-Amz-Algorithm", "AWS4-HMAC-SHA256")));
        final S3AuthException e = rejected(() -> verifier.verify(signed.request()));
        assertThat(e.code()).isEqualTo("InvalidArgument");
        assertThat(e.getMessage()).contains("Only one auth mechanism allowed");
    }

    @Test
    void streamingModesAreReportedFromTheHeader() {
        assertThat(verifier.verify(sign(SdkHttpMethod.PUT, "/b/k", List.of(), Map.of(), new byte[10],
                                        Options.streamingSigned()).request()).payloadMode())
                .isEqualTo(PayloadMode.STREAMING_SIGNED);
        final AuthResult trailer = verifier.verify(sign(
                SdkHttpMethod.PUT, "/b/k", List.of(), Map.of(), new byte[10],
                Options.streamingSignedTrailer(software.amazon.awssdk.checksums.DefaultChecksumAlgorithm.SHA256))
                                                           .request());
        assertThat(trailer.payloadMode()).isEqualTo(PayloadMode.STREAMING_SIGNED_TRAILER);
        assertThat(trailer.payloadMode().headerValue()).hasValue("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    }

    @Test
    void signedRequestFromArmeriaHeaders() {
        final var headers = com.linecorp.armeria.common.RequestHeaders
                .builder(com.linecorp.armeria.common.HttpMethod.PUT, "/bucket/a%20b?x-id=PutObject&acl")
                .authority("localhost:9001")
                .add("X-Amz-Date", "20260301T120000Z")
                .add("x-amz-meta-a", "1")
                .add("x-amz-meta-a", "2")
                .build();
        final SignedRequest request = SignedRequest.of(headers, "/bucket/a%20b?x-id=PutObject&acl");
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(request.rawPath()).isEqualTo("/bucket/a%20b");
        assertThat(request.rawQuery()).isEqualTo("x-id=PutObject&acl");
        assertThat(request.headers().get("host")).containsExactly("localhost:9001");
        assertThat(request.headers().get("x-amz-meta-a")).containsExactly("1", "2");
        assertThat(request.headers().keySet()).noneMatch(name -> name.startsWith(":"));
        assertThat(SignedRequest.of(headers, "/bucket/a%20b").rawQuery()).isNull();
        assertThat(SignedRequest.of(headers, "/bucket/a%20b?").rawQuery()).isEmpty();
    }

    @Test
    void headerNamesAreLowerCased() {
        final SignedRequest request = SignedRequest.of("GET", "/", null,
                                                       ImmutableListMultimap.of("Host", "h", "X-Amz-Date", "d"));
        assertThat(request.headers().keySet()).containsExactly("host", "x-amz-date");
        assertThatThrownBy(() -> SignedRequest.of("GET", "/a?b", null, ImmutableListMultimap.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("contains '?'");
    }

    @Test
    void signingKeysAreCachedAcrossRequests() {
        final List<AuthResult> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(verifier.verify(get("/bucket/key" + i, List.of()).request()));
        }
        assertThat(results.get(0).signingKey()).isSameAs(results.get(2).signingKey());
        final Instant nextDay = NOW.plus(Duration.ofDays(1));
        final AuthResult tomorrow = ReferenceClient.verifier(nextDay).verify(
                get(Options.signedPayload().at(nextDay)).request());
        assertThat(tomorrow.signingKey()).isNotEqualTo(results.get(0).signingKey());
    }
}
