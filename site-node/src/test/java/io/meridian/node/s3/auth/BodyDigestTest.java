package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.Bodies.failure;
import static io.meridian.node.s3.auth.Bodies.randomBytes;
import static io.meridian.node.s3.auth.Bodies.readAll;
import static io.meridian.node.s3.auth.ReferenceClient.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.node.s3.auth.ReferenceClient.Options;
import io.meridian.node.s3.auth.ReferenceClient.Signed;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

/** Plain (not aws-chunked) bodies: x-amz-content-sha256, Content-MD5 and x-amz-checksum-* headers. */
class BodyDigestTest {

    private static final long SEED = Long.getLong("meridian.test.seed", System.nanoTime());

    @BeforeAll
    static void printSeed() {
        System.out.println("BodyDigestTest seed=" + SEED + " (rerun with -Dmeridian.test.seed=" + SEED + ")");
    }

    private final SigV4Verifier verifier = ReferenceClient.verifier();
    private final Random random = new Random(SEED);

    private Signed put(byte[] body, Options options) {
        return sign(SdkHttpMethod.PUT, "/bucket/object", List.of(), Map.of(), body, options);
    }

    @ParameterizedTest
    @ValueSource(strings = { "CRC32", "CRC32C", "SHA1", "SHA256" })
    void checksumHeadersTheSdkComputesVerify(String algorithm) throws Exception {
        final byte[] body = randomBytes(random, 100_000);
        final Signed signed = put(body, Options.unsignedPayload().withChecksum(
                DefaultChecksumAlgorithm.fromValue(algorithm)));
        final String header = "x-amz-checksum-" + algorithm.toLowerCase();
        assertThat(signed.request().header(header)).isNotNull();
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(random, 7000))))
                .isEqualTo(body);

        final byte[] tampered = body.clone();
        tampered[99_999] ^= 1;
        final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                signed.withWireBody(tampered).body(random, 7000)));
        assertThat(e.code()).isEqualTo("BadDigest");
        assertThat(e.status().code()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("The " + algorithm + " you specified did not match the calculated "
                                             + "checksum.");
        assertThat(e.details()).containsEntry("Header", header);
    }

    @Test
    void signedPayloadAndChecksumTogether() throws Exception {
        final byte[] body = randomBytes(random, 5000);
        final Signed signed = put(body, Options.signedPayload().withChecksum(DefaultChecksumAlgorithm.CRC32C));
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(auth.payloadMode()).isEqualTo(PayloadMode.SHA256);
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(random, 100))))
                .isEqualTo(body);
        final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                signed.withWireBody(new byte[5000]).body(random, 100)));
        assertThat(e.code()).isEqualTo("XAmzContentSHA256Mismatch");
        assertThat(e.details()).containsKeys("ClientComputedContentSHA256", "S3ComputedContentSHA256");
    }

    @Test
    void crc64nvmeHeader() throws Exception {
        final byte[] body = randomBytes(random, 3000);
        final Signed signed = put(body, Options.unsignedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        final String crc = AwsChunkedBodyTest.checksum(new Crc64Nvme(), body);
        final Signed withCrc = signed.withHeader("x-amz-checksum-crc64nvme", crc)
                                     .withHeader("x-amz-checksum-type", "FULL_OBJECT")
                                     .withHeader("x-amz-checksum-algorithm", "CRC64NVME");
        assertThat(readAll(verifier.verifiedBody(auth, withCrc.httpHeaders(), withCrc.body(random, 500))))
                .isEqualTo(body);
        assertThat(failure(verifier.verifiedBody(auth, withCrc.httpHeaders(),
                                                 withCrc.withWireBody(new byte[3000]).body(random, 500))).code())
                .isEqualTo("BadDigest");
    }

    @Test
    void contentMd5() throws Exception {
        final byte[] body = randomBytes(random, 2000);
        final Signed signed = put(body, Options.unsignedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        final String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(body));
        final Signed withMd5 = signed.withHeader("content-md5", md5);
        assertThat(readAll(verifier.verifiedBody(auth, withMd5.httpHeaders(), withMd5.body(random, 50))))
                .isEqualTo(body);

        final S3AuthException bad = failure(verifier.verifiedBody(auth, withMd5.httpHeaders(),
                                                                  withMd5.withWireBody(new byte[1]).body(random, 50)));
        assertThat(bad.code()).isEqualTo("BadDigest");
        assertThat(bad.getMessage()).isEqualTo("The Content-MD5 you specified did not match what we received.");

        for (String malformed : List.of("not base64!", "AAAA", "")) {
            assertThatThrownBy(() -> verifier.verifiedBody(auth, signed.withHeader("content-md5", malformed)
                                                                       .httpHeaders(), signed.body(random, 50)))
                    .isInstanceOfSatisfying(S3AuthException.class,
                                            e -> assertThat(e.code()).isEqualTo("InvalidDigest"));
        }
    }

    @Test
    void contentMd5CoversTheDecodedDataOfAnAwsChunkedBody() throws Exception {
        final byte[] body = randomBytes(random, 200_000);
        final Signed signed = put(body, Options.streamingSigned());
        final AuthResult auth = verifier.verify(signed.request());
        final String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(body));
        assertThat(readAll(verifier.verifiedBody(auth, signed.withHeader("content-md5", md5).httpHeaders(),
                                                 signed.body(random, 10_000))))
                .isEqualTo(body);
        final String otherMd5 = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("MD5").digest(new byte[1]));
        assertThat(failure(verifier.verifiedBody(auth, signed.withHeader("content-md5", otherMd5).httpHeaders(),
                                                 signed.body(random, 10_000))).code())
                .isEqualTo("BadDigest");
    }

    @Test
    void badChecksumHeadersAreRefusedBeforeReading() {
        final Signed signed = put(new byte[1], Options.unsignedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        final Map<String, String> cases = Map.of("x-amz-checksum-crc32", "AAAAAAAA",
                                                 "x-amz-checksum-sha256", "%%%",
                                                 "x-amz-checksum-xxhash64", "AAAAAAAAAAA=");
        cases.forEach((name, value) -> assertThatThrownBy(
                () -> verifier.verifiedBody(auth, signed.withHeader(name, value).httpHeaders(), signed.body(random, 1)))
                .isInstanceOfSatisfying(S3AuthException.class, e -> {
                    assertThat(e.code()).isEqualTo("InvalidRequest");
                    assertThat(e.getMessage()).contains(name);
                }));
    }

    @Test
    void theHttpRequestItselfCanBeTheBody() throws Exception {
        final byte[] body = randomBytes(random, 10_000);
        final Signed signed = put(body, Options.signedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        final RequestHeaders headers = RequestHeaders.builder(HttpMethod.PUT, "/bucket/object")
                                                     .add(signed.httpHeaders())
                                                     .build();
        final HttpRequest request = HttpRequest.of(headers, StreamMessage.<HttpObject>of(
                HttpData.copyOf(body, 0, 4000), HttpData.copyOf(body, 4000, 6000),
                HttpHeaders.of("x-trailer", "ignored")));
        assertThat(readAll(verifier.verifiedBody(auth, request.headers(), request))).isEqualTo(body);
    }

    @Test
    void anEmptyBody() throws Exception {
        final Signed signed = put(new byte[0], Options.signedPayload());
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(auth.expectedPayloadSha256()).hasValue(Signing.EMPTY_SHA256);
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), StreamMessage.of()))).isEmpty();
        final Signed chunked = put(new byte[0], Options.streamingSignedTrailer(DefaultChecksumAlgorithm.SHA256));
        final AuthResult chunkedAuth = verifier.verify(chunked.request());
        assertThat(readAll(verifier.verifiedBody(chunkedAuth, chunked.httpHeaders(), chunked.body(random, 3))))
                .isEmpty();
    }
}
