package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.ReferenceClient.ACCESS_KEY;
import static io.meridian.node.s3.auth.ReferenceClient.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Real S3 clients (the AWS SDK's S3Client and presigned URLs used by the JDK HTTP client) against an Armeria
 * server that authenticates with the verifier and reads bodies through {@link SigV4Verifier#verifiedBody}.
 */
class S3ClientRoundTripTest {

    private static final long SEED = Long.getLong("meridian.test.seed", System.nanoTime());

    @BeforeAll
    static void printSeed() {
        System.out.println("S3ClientRoundTripTest seed=" + SEED + " (rerun with -Dmeridian.test.seed=" + SEED + ")");
    }

    private static final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private static final List<AuthResult> authenticated = new CopyOnWriteArrayList<>();
    private static Server server;
    private static URI endpoint;

    @BeforeAll
    static void startServer() {
        final SigV4Verifier verifier = new SigV4Verifier(
                id -> ACCESS_KEY.equals(id) ? Optional.of(SECRET) : Optional.empty(),
                SigV4Verifier.regions(List.of("us-east-1", "eu-site-2")), Clock.systemUTC());
        server = Server.builder()
                       .http(0)
                       .maxRequestLength(0)
                       .service("prefix:/", new FakeS3(verifier))
                       .build();
        server.start().join();
        endpoint = URI.create("http://127.0.0.1:" + server.activeLocalPort());
    }

    @AfterAll
    static void stopServer() {
        server.stop().join();
    }

    @BeforeEach
    void clear() {
        objects.clear();
        authenticated.clear();
    }

    private static S3Client client(String secret, Region region, RequestChecksumCalculation checksums) {
        return S3Client.builder()
                       .endpointOverride(endpoint)
                       .region(region)
                       .credentialsProvider(StaticCredentialsProvider.create(
                               AwsBasicCredentials.create(ACCESS_KEY, secret)))
                       .forcePathStyle(true)
                       .requestChecksumCalculation(checksums)
                       .httpClient(UrlConnectionHttpClient.create())
                       .build();
    }

    private static S3Client client() {
        return client(SECRET, Region.US_EAST_1, RequestChecksumCalculation.WHEN_SUPPORTED);
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 131_072, 5 * 1024 * 1024 + 7 })
    void putAndGetWithTheDefaultClient(int size) {
        final byte[] data = Bodies.randomBytes(new Random(SEED + size), size);
        try (S3Client s3 = client()) {
            s3.putObject(p -> p.bucket("bucket").key("dir/object " + size), RequestBody.fromBytes(data));
            assertThat(objects.get("bucket/dir/object " + size)).isEqualTo(data);
            assertThat(authenticated.get(0).payloadMode()).isEqualTo(PayloadMode.STREAMING_SIGNED_TRAILER);
            assertThat(s3.getObjectAsBytes(g -> g.bucket("bucket").key("dir/object " + size)).asByteArray())
                    .isEqualTo(data);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "CRC32", "CRC32C", "SHA1", "SHA256" })
    void putWithEachChecksum(String algorithm) {
        final byte[] data = Bodies.randomBytes(new Random(SEED), 300_000);
        try (S3Client s3 = client()) {
            s3.putObject(p -> p.bucket("bucket").key("k").checksumAlgorithm(ChecksumAlgorithm.fromValue(algorithm)),
                         RequestBody.fromBytes(data));
            assertThat(objects.get("bucket/k")).isEqualTo(data);
        }
    }

    @Test
    void putWithoutChecksums() {
        final byte[] data = Bodies.randomBytes(new Random(SEED), 200_000);
        try (S3Client s3 = client(SECRET, Region.US_EAST_1, RequestChecksumCalculation.WHEN_REQUIRED)) {
            s3.putObject(p -> p.bucket("bucket").key("plain"), RequestBody.fromBytes(data));
            assertThat(objects.get("bucket/plain")).isEqualTo(data);
            assertThat(authenticated.get(0).payloadMode().hasTrailer()).isFalse();
        }
    }

    @Test
    void awkwardKeysAndListingQueries() {
        final List<String> keys = List.of("a b+c", "100%", "hash#?", "tilde~!*'()", "caf\u00e9/\u65e5\u672c",
                                          "literal%2Fslash", "dir//double", "trailing/", "q=1&r=2", "sp ace/x");
        try (S3Client s3 = client()) {
            for (String key : keys) {
                s3.putObject(p -> p.bucket("bucket").key(key), RequestBody.fromString(key));
                assertThat(s3.getObjectAsBytes(g -> g.bucket("bucket").key(key)).asUtf8String()).isEqualTo(key);
            }
            assertThat(objects.keySet()).containsExactlyInAnyOrderElementsOf(
                    keys.stream().map(key -> "bucket/" + key).toList());
            final List<String> listed = s3.listObjectsV2(l -> l.bucket("bucket").prefix("caf\u00e9/")
                                                                .delimiter("/").startAfter("a+b=c&d"))
                                          .contents().stream().map(S3Object::key).toList();
            assertThat(listed).containsExactly("caf\u00e9/\u65e5\u672c");
        }
    }

    @Test
    void deleteObjectsSendsAVerifiedXmlBody() {
        try (S3Client s3 = client()) {
            s3.putObject(p -> p.bucket("bucket").key("gone"), RequestBody.fromString("x"));
            s3.deleteObjects(d -> d.bucket("bucket").delete(Delete.builder().objects(
                    ObjectIdentifier.builder().key("gone").build()).build()));
            assertThat(objects).doesNotContainKey("bucket/gone");
        }
    }

    @Test
    void wrongCredentialsAndRegionsAreReportedToTheClient() {
        try (S3Client wrongSecret = client("not-the-secret", Region.US_EAST_1,
                                           RequestChecksumCalculation.WHEN_SUPPORTED)) {
            assertThatThrownBy(() -> wrongSecret.putObject(p -> p.bucket("bucket").key("k"),
                                                           RequestBody.fromString("x")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
                    });
        }
        try (S3Client elsewhere = client(SECRET, Region.EU_WEST_3, RequestChecksumCalculation.WHEN_SUPPORTED)) {
            assertThatThrownBy(() -> elsewhere.getObjectAsBytes(g -> g.bucket("bucket").key("k")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AuthorizationHeaderMalformed");
                        assertThat(e.awsErrorDetails().errorMessage()).contains("'us-east-1'");
                    });
        }
        try (S3Client secondRegion = client(SECRET, Region.of("eu-site-2"),
                                            RequestChecksumCalculation.WHEN_SUPPORTED)) {
            secondRegion.putObject(p -> p.bucket("bucket").key("k"), RequestBody.fromString("x"));
            assertThat(authenticated.get(0).region()).isEqualTo("eu-site-2");
        }
    }

    @Test
    void presignedUrlsWithTheJdkHttpClient() throws Exception {
        final byte[] data = "through a presigned URL".getBytes(StandardCharsets.UTF_8);
        final HttpClient http = HttpClient.newHttpClient();
        try (S3Presigner presigner = S3Presigner.builder()
                                                .endpointOverride(endpoint)
                                                .region(Region.US_EAST_1)
                                                .credentialsProvider(StaticCredentialsProvider.create(
                                                        AwsBasicCredentials.create(ACCESS_KEY, SECRET)))
                                                .serviceConfiguration(S3Configuration.builder()
                                                                                     .pathStyleAccessEnabled(true)
                                                                                     .build())
                                                .build()) {
            final var put = presigner.presignPutObject(
                    r -> r.signatureDuration(Duration.ofMinutes(5))
                          .putObjectRequest(p -> p.bucket("bucket").key("pre signed+key").contentType("text/plain")));
            final java.net.http.HttpRequest.Builder request =
                    java.net.http.HttpRequest.newBuilder(put.url().toURI())
                                             .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(data));
            put.signedHeaders().forEach((name, values) -> {
                if (!"host".equalsIgnoreCase(name)) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            assertThat(http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
            assertThat(objects.get("bucket/pre signed+key")).isEqualTo(data);

            final var get = presigner.presignGetObject(
                    r -> r.signatureDuration(Duration.ofMinutes(5))
                          .getObjectRequest(g -> g.bucket("bucket").key("pre signed+key")));
            final var response = http.send(java.net.http.HttpRequest.newBuilder(get.url().toURI()).build(),
                                           java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(data);
            assertThat(authenticated).allMatch(AuthResult::isPresigned);

            final var unsigned = http.send(java.net.http.HttpRequest.newBuilder(
                    endpoint.resolve("/bucket/pre%20signed%2Bkey")).build(),
                                           java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(unsigned.statusCode()).isEqualTo(403);
            assertThat(unsigned.body()).contains("<Code>AccessDenied</Code>", "Signature Version 4");
        }
    }

    /** Just enough of S3 to exercise authentication: objects in memory, keyed "bucket/key". */
    private static final class FakeS3 implements HttpService {

        private final SigV4Verifier verifier;

        FakeS3(SigV4Verifier verifier) {
            this.verifier = verifier;
        }

        @Override
        public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
            final AuthResult auth;
            try {
                auth = verifier.verify(SignedRequest.of(req.headers(), ctx.rawPath()));
            } catch (S3AuthException e) {
                return error(e);
            }
            authenticated.add(auth);
            final String rawTarget = ctx.rawPath();
            final int question = rawTarget.indexOf('?');
            final String rawPath = question < 0 ? rawTarget : rawTarget.substring(0, question);
            final String query = question < 0 ? "" : rawTarget.substring(question + 1);
            final String name = decode(rawPath.substring(1));
            final HttpMethod method = req.method();
            if (method == HttpMethod.GET && (query.contains("list-type=2") || !name.contains("/"))) {
                return list(name, CanonicalRequests.parameters(query));
            }
            if (method == HttpMethod.GET) {
                final byte[] data = objects.get(name);
                return data == null ? HttpResponse.of(HttpStatus.NOT_FOUND)
                                    : HttpResponse.of(HttpStatus.OK, MediaType.OCTET_STREAM, data);
            }
            final var body = verifier.verifiedBody(auth, req.headers(), req);
            return HttpResponse.of(body.collect().handle((pieces, failure) -> {
                if (failure != null) {
                    return S3AuthException.findIn(failure).map(S3ClientRoundTripTest::error)
                                          .orElseGet(() -> HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR));
                }
                final ByteArrayOutputStream content = new ByteArrayOutputStream();
                pieces.forEach(piece -> content.writeBytes(piece.array()));
                if (method == HttpMethod.POST && query.startsWith("delete")) {
                    final String xml = content.toString(StandardCharsets.UTF_8);
                    final String key = xml.substring(xml.indexOf("<Key>") + 5, xml.indexOf("</Key>"));
                    objects.remove(name + '/' + key);
                    return HttpResponse.of(HttpStatus.OK, MediaType.XML_UTF_8,
                                           "<DeleteResult><Deleted><Key>" + key + "</Key></Deleted></DeleteResult>");
                }
                objects.put(name, content.toByteArray());
                return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK, "etag", '"' + md5Hex(content.toByteArray())
                                                                                 + '"'));
            }));
        }

        private static HttpResponse list(String bucket, List<Map.Entry<String, String>> parameters) {
            final String prefix = parameters.stream().filter(p -> p.getKey().equals("prefix"))
                                            .map(Map.Entry::getValue).findFirst().orElse("");
            final StringBuilder xml = new StringBuilder("<ListBucketResult><Name>" + bucket + "</Name>");
            objects.keySet().stream().sorted().filter(key -> key.startsWith(bucket + '/' + prefix))
                   .forEach(key -> xml.append("<Contents><Key>").append(escape(key.substring(bucket.length() + 1)))
                                      .append("</Key></Contents>"));
            return HttpResponse.of(HttpStatus.OK, MediaType.XML_UTF_8, xml.append("</ListBucketResult>").toString());
        }
    }

    private static HttpResponse error(S3AuthException e) {
        final StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>")
                .append(e.code()).append("</Code><Message>").append(escape(e.getMessage())).append("</Message>");
        e.details().forEach((name, value) -> xml.append('<').append(name).append('>').append(escape(value))
                                                .append("</").append(name).append('>'));
        return HttpResponse.of(e.status(), MediaType.XML_UTF_8, xml.append("</Error>").toString());
    }

    private static String decode(String raw) {
        return new String(CanonicalRequests.decode(raw, 0, raw.length(), false), StandardCharsets.UTF_8);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
