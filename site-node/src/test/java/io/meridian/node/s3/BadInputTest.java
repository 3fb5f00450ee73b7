package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.node.s3.auth.SigV4Signer;
import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Requests no SDK would send: each gets the S3 error a client expects, the sites keep running,
 * and no partial object ever becomes visible, at the owner or through a forwarding site.
 */
class BadInputTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static S3Client owner;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, "owner", "other");
        owner = fed.client("owner");
        owner.createBucket(b -> b.bucket("bad"));
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    private static RawS3.Response send(String site, String method, String target, byte[] body) throws IOException {
        return RawS3.send(fed.s3Url(site), method, target, body);
    }

    private static void assertError(RawS3.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).contains("<Code>" + code + "</Code>");
        assertThat(r.headers()).containsKey("x-meridian-served-by");
    }

    @Test
    void unsignedAndBadlySignedRequestsAreRefused() throws IOException {
        RawS3.Response unsigned = RawS3.send(fed.s3Url("other"), "GET", "/bad", new byte[0], Map.of(), false);
        assertError(unsigned, 403, "AccessDenied");
        assertThat(unsigned.body()).contains("Signature Version 4");

        RawS3.Response v2 = RawS3.send(fed.s3Url("other"), "GET", "/bad", new byte[0],
                Map.of("authorization", "AWS MERIDIANDEMO:c2lnbmF0dXJl"), false);
        assertThat(v2.status()).isBetween(400, 403);
    }

    @Test
    void malformedXmlBodiesGetMalformedXml() throws IOException {
        for (String site : List.of("owner", "other")) {
            assertError(send(site, "POST", "/bad?delete", "<Delete><Object><Key>x</Key>".getBytes()), 400,
                    "MalformedXML");
            assertError(send(site, "POST", "/bad?delete", "<NotDelete/>".getBytes()), 400, "MalformedXML");
            assertError(send(site, "POST", "/bad?delete",
                    "<!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Delete>&x;</Delete>".getBytes()),
                    400, "MalformedXML");
        }
        String upload = owner.createMultipartUpload(b -> b.bucket("bad").key("mp")).uploadId();
        assertError(send("other", "POST", "/bad/mp?uploadId=" + upload, "not xml at all".getBytes()), 400,
                "MalformedXML");
        assertError(send("owner", "POST", "/bad/mp?uploadId=" + upload,
                "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"
                        .getBytes()), 400, "MalformedXML");
    }

    @Test
    void badArgumentsAndPathsAreClientErrors() throws IOException {
        assertError(send("other", "GET", "/bad?list-type=2&max-keys=-1", new byte[0]), 400, "InvalidArgument");
        assertError(send("other", "GET", "/bad?list-type=2&encoding-type=base64", new byte[0]), 400,
                "InvalidArgument");
        String upload = owner.createMultipartUpload(b -> b.bucket("bad").key("parts")).uploadId();
        assertError(send("other", "PUT", "/bad/parts?partNumber=0&uploadId=" + upload, new byte[] {1}), 400,
                "InvalidArgument");
        assertError(send("other", "PUT", "/bad/parts?partNumber=10001&uploadId=" + upload, new byte[] {1}), 400,
                "InvalidArgument");
        assertError(send("other", "PUT", "/bad/parts?partNumber=1&uploadId=nope", new byte[] {1}), 404,
                "NoSuchUpload");
        assertError(send("other", "GET", "/bad?policy", new byte[0]), 501, "NotImplemented");
        assertError(send("other", "PATCH", "/bad/k", new byte[0]), 405, "MethodNotAllowed");

        RawS3.Response dots = RawS3.send(fed.s3Url("other"), "GET", "/bad/a/../b", new byte[0], Map.of(), false);
        assertThat(dots.status()).isEqualTo(400);
        assertThat(dots.body()).contains("<Code>InvalidRequest</Code>");
    }

    @Test
    void aBodyThatFailsItsDigestIsNeverStored() throws IOException {
        for (String site : List.of("owner", "other")) {
            byte[] body = "the real body".getBytes(StandardCharsets.UTF_8);
            String wrongMd5 = Base64.getEncoder().encodeToString(new byte[16]);
            URI uri = URI.create(fed.s3Url(site) + "/bad/digest-" + site);
            RawS3.Response r = RawS3.send(fed.s3Url(site), "PUT", "/bad/digest-" + site, body,
                    Map.of("content-md5", wrongMd5), true);
            assertError(r, 400, "BadDigest");

            URI shaUri = URI.create(fed.s3Url(site) + "/bad/sha-" + site);
            Map<String, String> lying = SigV4Signer.sign("PUT", shaUri, Map.of(), MiniFederation.ACCESS_KEY,
                    MiniFederation.SECRET_KEY, "us-east-1", Instant.now(), "another body".getBytes());
            RawS3.Response mismatch = RawS3.send(fed.s3Url(site), "PUT", "/bad/sha-" + site, body, lying, false);
            assertError(mismatch, 400, "XAmzContentSHA256Mismatch");
        }
        assertThat(owner.listObjectsV2(b -> b.bucket("bad").prefix("digest")).keyCount()).isZero();
        assertThat(owner.listObjectsV2(b -> b.bucket("bad").prefix("sha")).keyCount()).isZero();
    }

    @Test
    void aPutCutOffMidBodyLeavesNoObjectAndNoFile() throws Exception {
        for (String site : List.of("owner", "other")) {
            String key = "cut-" + site;
            URI uri = URI.create(fed.s3Url(site) + "/bad/" + key);
            Map<String, String> headers = SigV4Signer.sign("PUT", uri, Map.of(), MiniFederation.ACCESS_KEY,
                    MiniFederation.SECRET_KEY, "us-east-1", Instant.now());
            try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                OutputStream out = socket.getOutputStream();
                StringBuilder head = new StringBuilder("PUT /bad/" + key + " HTTP/1.1\r\n");
                headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
                head.append("content-length: 1000000\r\n\r\n");
                out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[300_000]);
                out.flush();
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (Stream<Path> tmp = Files.list(dir.resolve("owner/store/tmp"))) {
                    assertThat(tmp.count()).isZero();
                }
            });
            assertThat(owner.listObjectsV2(b -> b.bucket("bad").prefix(key)).keyCount()).isZero();
        }
        owner.putObject(b -> b.bucket("bad").key("still-works"), RequestBody.fromString("yes"));
        assertThat(fed.client("other").getObjectAsBytes(b -> b.bucket("bad").key("still-works")).asUtf8String())
                .isEqualTo("yes");
    }

    @Test
    void oversizedHeadersAreRefusedWithAClientError() throws IOException {
        RawS3.Response r = RawS3.send(fed.s3Url("other"), "GET", "/bad", new byte[0],
                Map.of("x-amz-meta-huge", "x".repeat(100_000)), false);
        assertThat(r.status()).isBetween(400, 499);
    }
}
