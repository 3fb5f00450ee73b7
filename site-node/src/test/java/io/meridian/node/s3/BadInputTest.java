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
    void keysThatCannotBeListedAreRefusedAndTooLongKeysAreRefusedEverywhere() throws IOException {
        assertError(send("other", "PUT", "/bad/K%EF%BF%BE", "x".getBytes()), 400, "InvalidArgument");
        String tooLong = "/bad/" + "k".repeat(1025);
        for (String site : List.of("owner", "other")) {
            for (String method : List.of("GET", "DELETE", "PUT")) {
                assertError(send(site, method, tooLong, new byte[0]), 400, "KeyTooLongError");
            }
        }
    }

    @Test
    void responseOverridesMayNotInjectHeaders() throws IOException {
        owner.putObject(b -> b.bucket("bad").key("plain"), RequestBody.fromString("x"));
        for (String site : List.of("owner", "other")) {
            assertError(send(site, "GET", "/bad/plain?response-content-type=text%2Fplain%0D%0AX-Injected%3A%201",
                    new byte[0]), 400, "InvalidArgument");
        }
    }

    @Test
    void partNumbersAndCopyRangesAreChecked() throws IOException {
        owner.putObject(b -> b.bucket("bad").key("twelve"), RequestBody.fromString("0123456789ab"));
        String upload = owner.createMultipartUpload(b -> b.bucket("bad").key("ranged")).uploadId();
        RawS3.Response beyond = RawS3.send(fed.s3Url("other"), "PUT", "/bad/ranged?partNumber=1&uploadId=" + upload,
                new byte[0], Map.of("x-amz-copy-source", "/bad/twelve", "x-amz-copy-source-range", "bytes=2-200"),
                true);
        assertError(beyond, 400, "InvalidArgument");
        assertError(send("other", "GET", "/bad/ranged?uploadId=" + upload + "&part-number-marker=-5", new byte[0]),
                400, "InvalidArgument");
        assertError(send("other", "POST", "/bad/ranged?uploadId=" + upload,
                ("<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part>"
                        + "</CompleteMultipartUpload>").getBytes()), 400, "InvalidArgument");
    }

    @Test
    void anEarlyErrorReachesTheClientWholeAtTheOwnerAndAtAnotherSite() throws Exception {
        for (String site : List.of("owner", "other")) {
            earlyError(site);
        }
    }

    private static void earlyError(String site) throws Exception {
        byte[] body = new byte[3 << 20];
        java.util.Arrays.fill(body, (byte) 'x');
        URI uri = URI.create(fed.s3Url(site) + "/bad?delete");
        Map<String, String> headers = SigV4Signer.sign("POST", uri, Map.of(), MiniFederation.ACCESS_KEY,
                MiniFederation.SECRET_KEY, "us-east-1", Instant.now());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    StringBuilder head = new StringBuilder("POST /bad?delete HTTP/1.1\r\n");
                    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
                    head.append("content-length: ").append(body.length).append("\r\n\r\n");
                    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                } catch (IOException expectedWhenTheServerStopsReading) {
                    // the server answered early and closed its side
                }
            });
            writer.start();
            String response = readResponse(socket.getInputStream());
            writer.join();
            assertThat(response).as("at %s", site).startsWith("HTTP/1.1 400").contains("<Code>MalformedXML</Code>")
                    .endsWith("</Error>");
        }
    }

    @Test
    void aPutThatLosesItsBucketMidwayLeavesNoFileBehind() throws Exception {
        owner.createBucket(b -> b.bucket("vanishing"));
        long blobsBefore = blobFiles();
        URI uri = URI.create(fed.s3Url("other") + "/vanishing/k");
        Map<String, String> headers = SigV4Signer.sign("PUT", uri, Map.of(), MiniFederation.ACCESS_KEY,
                MiniFederation.SECRET_KEY, "us-east-1", Instant.now());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder head = new StringBuilder("PUT /vanishing/k HTTP/1.1\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("content-length: 2000000\r\n\r\n");
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1_000_000]);
            out.flush();
            owner.deleteBucket(b -> b.bucket("vanishing"));
            out.write(new byte[1_000_000]);
            out.flush();
            String response = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(response).isEqualTo("HTTP/1.1 404");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(blobFiles()).isEqualTo(blobsBefore));
    }

    /** Reads one HTTP/1.1 response with a Content-Length: head and body. */
    private static String readResponse(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(headers);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static long blobFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("owner/store/blobs"))) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aHeadAtANonOwnerMovesNoBytes() {
        owner.putObject(b -> b.bucket("bad").key("headed"), RequestBody.fromBytes(new byte[200_000]));
        int cached = fed.site("other").cache().entryCount();
        assertThat(fed.client("other").headObject(b -> b.bucket("bad").key("headed")).contentLength())
                .isEqualTo(200_000);
        assertThat(fed.site("other").cache().entryCount()).isEqualTo(cached);
    }

    @Test
    void oversizedHeadersAreRefusedWithAClientError() throws IOException {
        RawS3.Response r = RawS3.send(fed.s3Url("other"), "GET", "/bad", new byte[0],
                Map.of("x-amz-meta-huge", "x".repeat(100_000)), false);
        assertThat(r.status()).isBetween(400, 499);
    }
}
