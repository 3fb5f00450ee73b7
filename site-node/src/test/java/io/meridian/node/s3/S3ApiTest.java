package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 API through a real client, at the owner of a bucket and at the other sites of an in-JVM
 * federation: what a client sees must not depend on which site it talks to.
 */
class S3ApiTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static S3Client east;
    static S3Client west;
    static S3Client south;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, List.of("east", "west", "south"), Map.of("s3.min-part-size", "5MiB"));
        east = fed.client("east");
        west = fed.client("west");
        south = fed.client("south");
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    private static String text(S3Client c, String bucket, String key) {
        return c.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    }

    private static void put(S3Client c, String bucket, String key, String body) {
        c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body));
    }

    private static int status(Runnable call) {
        try {
            call.run();
            return 200;
        } catch (S3Exception e) {
            return e.statusCode();
        }
    }

    private static String code(Runnable call) {
        try {
            call.run();
            return "none";
        } catch (S3Exception e) {
            return e.awsErrorDetails().errorCode();
        }
    }

    @Test
    void aBucketCreatedAtOneSiteIsVisibleAndOwnedThereFromEverySite() {
        east.createBucket(b -> b.bucket("visible-everywhere"));

        assertThat(status(() -> west.headBucket(b -> b.bucket("visible-everywhere")))).isEqualTo(200);
        assertThat(south.listBuckets().buckets()).extracting(Bucket::name).contains("visible-everywhere");
        assertThat(west.getBucketLocation(b -> b.bucket("visible-everywhere")).locationConstraintAsString())
                .isEqualTo("east-1");
        assertThat(code(() -> west.createBucket(b -> b.bucket("visible-everywhere"))))
                .isEqualTo("BucketAlreadyOwnedByYou");
        assertThat(code(() -> south.headBucket(b -> b.bucket("no-such-bucket-here")))).isEqualTo("NoSuchBucket");
    }

    @Test
    void writesAtAnySiteAreReadBackAtEverySite() {
        east.createBucket(b -> b.bucket("rw-bucket"));
        put(west, "rw-bucket", "from-west.txt", "written at west");
        put(east, "rw-bucket", "from-east.txt", "written at east");

        for (S3Client c : List.of(east, west, south)) {
            assertThat(text(c, "rw-bucket", "from-west.txt")).isEqualTo("written at west");
            assertThat(text(c, "rw-bucket", "from-east.txt")).isEqualTo("written at east");
        }
        ResponseBytes<GetObjectResponse> r = west.getObjectAsBytes(b -> b.bucket("rw-bucket").key("from-west.txt"));
        assertThat(r.response().sdkHttpResponse().firstMatchingHeader("x-meridian-served-by")).contains("west");
        assertThat(r.response().sdkHttpResponse().firstMatchingHeader("x-meridian-owner")).contains("east");
        assertThat(r.response().sdkHttpResponse().firstMatchingHeader("x-meridian-cache")).contains("hit");
        var forwarded = south.putObject(b -> b.bucket("rw-bucket").key("again"), RequestBody.fromString("x"));
        assertThat(forwarded.sdkHttpResponse().firstMatchingHeader("x-meridian-served-by")).contains("east");
    }

    @Test
    void everyReadAtANonOwnerReturnsTheLatestAcknowledgedWrite() {
        east.createBucket(b -> b.bucket("latest"));
        for (int i = 0; i < 20; i++) {
            String value = "v" + i;
            S3Client writer = i % 2 == 0 ? east : west;
            put(writer, "latest", "k", value);
            assertThat(text(south, "latest", "k")).isEqualTo(value);
            assertThat(text(west, "latest", "k")).isEqualTo(value);
        }
        south.deleteObject(b -> b.bucket("latest").key("k"));
        assertThat(code(() -> text(west, "latest", "k"))).isEqualTo("NoSuchKey");
        assertThat(code(() -> text(east, "latest", "k"))).isEqualTo("NoSuchKey");
    }

    @Test
    void metadataAndHeadersTravelWithTheObject() {
        east.createBucket(b -> b.bucket("meta"));
        west.putObject(b -> b.bucket("meta").key("doc.json").contentType("application/json")
                        .contentDisposition("attachment").cacheControl("max-age=60")
                        .metadata(Map.of("color", "blue", "owner", "ops")),
                RequestBody.fromString("{}"));

        for (S3Client c : List.of(east, south)) {
            HeadObjectResponse h = c.headObject(b -> b.bucket("meta").key("doc.json"));
            assertThat(h.contentType()).isEqualTo("application/json");
            assertThat(h.contentDisposition()).isEqualTo("attachment");
            assertThat(h.cacheControl()).isEqualTo("max-age=60");
            assertThat(h.metadata()).containsEntry("color", "blue").containsEntry("owner", "ops");
            assertThat(h.contentLength()).isEqualTo(2);
            assertThat(h.eTag()).isEqualTo("\"" + md5("{}".getBytes(StandardCharsets.UTF_8)) + "\"");
        }
    }

    @Test
    void rangesAndConditionalsBehaveAlikeAtOwnerAndNonOwner() {
        east.createBucket(b -> b.bucket("cond"));
        put(east, "cond", "k", "0123456789");
        String etag = east.headObject(b -> b.bucket("cond").key("k")).eTag();
        Instant modified = east.headObject(b -> b.bucket("cond").key("k")).lastModified();

        for (S3Client c : List.of(east, west)) {
            assertThat(c.getObjectAsBytes(b -> b.bucket("cond").key("k").range("bytes=2-4")).asUtf8String())
                    .isEqualTo("234");
            ResponseBytes<GetObjectResponse> suffix = c.getObjectAsBytes(b -> b.bucket("cond").key("k")
                    .range("bytes=-3"));
            assertThat(suffix.asUtf8String()).isEqualTo("789");
            assertThat(suffix.response().contentRange()).isEqualTo("bytes 7-9/10");
            assertThat(code(() -> c.getObject(b -> b.bucket("cond").key("k").range("bytes=10-20"))))
                    .isEqualTo("InvalidRange");
            assertThat(status(() -> c.getObject(b -> b.bucket("cond").key("k").ifMatch("\"nope\""))))
                    .isEqualTo(412);
            assertThat(status(() -> c.getObject(b -> b.bucket("cond").key("k").ifNoneMatch(etag)))).isEqualTo(304);
            assertThat(status(() -> c.getObject(b -> b.bucket("cond").key("k")
                    .ifModifiedSince(modified.plusSeconds(5))))).isEqualTo(304);
            assertThat(status(() -> c.getObject(b -> b.bucket("cond").key("k")
                    .ifUnmodifiedSince(modified.minusSeconds(5))))).isEqualTo(412);
            assertThat(text(c, "cond", "k")).isEqualTo("0123456789");
        }
    }

    @Test
    void conditionalWritesAndDeletes() {
        east.createBucket(b -> b.bucket("cw-bucket"));
        west.putObject(b -> b.bucket("cw-bucket").key("once").ifNoneMatch("*"), RequestBody.fromString("first"));
        assertThat(status(() -> west.putObject(b -> b.bucket("cw-bucket").key("once").ifNoneMatch("*"),
                RequestBody.fromString("second")))).isEqualTo(412);
        assertThat(text(east, "cw-bucket", "once")).isEqualTo("first");

        assertThat(status(() -> west.deleteObject(b -> b.bucket("cw-bucket").key("once").ifMatch("\"wrong\""))))
                .isEqualTo(412);
        String etag = east.headObject(b -> b.bucket("cw-bucket").key("once")).eTag();
        west.deleteObject(b -> b.bucket("cw-bucket").key("once").ifMatch(etag));
        assertThat(code(() -> text(east, "cw-bucket", "once"))).isEqualTo("NoSuchKey");
    }

    @Test
    void listingsPageAndRollUpTheSameWayAtEverySite() {
        east.createBucket(b -> b.bucket("list"));
        List<String> keys = List.of("a/1", "a/2", "a/b/3", "b", "c d", "plus+1", "x%2Fy", "z/");
        for (String k : keys) {
            put(south, "list", k, k);
        }
        for (S3Client c : List.of(east, west)) {
            ListObjectsV2Response all = c.listObjectsV2(b -> b.bucket("list"));
            assertThat(all.contents()).extracting(S3Object::key).containsExactlyElementsOf(
                    keys.stream().sorted().collect(Collectors.toList()));

            ListObjectsV2Response top = c.listObjectsV2(b -> b.bucket("list").delimiter("/")
                    .encodingType(EncodingType.URL));
            assertThat(top.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("a/", "z/");
            assertThat(top.contents()).extracting(S3Object::key).containsExactly("b", "c d", "plus+1", "x%2Fy");

            List<String> paged = new ArrayList<>();
            c.listObjectsV2Paginator(b -> b.bucket("list").maxKeys(3)).contents().forEach(o -> paged.add(o.key()));
            assertThat(paged).hasSize(keys.size());

            List<String> pagedV1 = new ArrayList<>();
            String marker = null;
            while (true) {
                String m = marker;
                ListObjectsResponse page = c.listObjects(b -> b.bucket("list").maxKeys(2).marker(m));
                page.contents().forEach(o -> pagedV1.add(o.key()));
                if (!page.isTruncated()) {
                    break;
                }
                marker = page.contents().get(page.contents().size() - 1).key();
            }
            assertThat(pagedV1).containsExactlyElementsOf(keys.stream().sorted().collect(Collectors.toList()));

            ListObjectsResponse v1 = c.listObjects(b -> b.bucket("list").prefix("a/").delimiter("/"));
            assertThat(v1.contents()).extracting(S3Object::key).containsExactly("a/1", "a/2");
            assertThat(v1.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("a/b/");
        }
    }

    @Test
    void multipartUploadAtANonOwnerGivesTheS3Etag() {
        east.createBucket(b -> b.bucket("mp-bucket"));
        Random random = new Random(7);
        byte[][] parts = {new byte[5 << 20], new byte[5 << 20], new byte[1 << 20]};
        for (byte[] p : parts) {
            random.nextBytes(p);
        }
        String upload = west.createMultipartUpload(b -> b.bucket("mp-bucket").key("big.bin").contentType("video/mp4"))
                .uploadId();
        List<CompletedPart> done = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            int n = i + 1;
            String etag = west.uploadPart(b -> b.bucket("mp-bucket").key("big.bin").uploadId(upload).partNumber(n),
                    RequestBody.fromBytes(parts[n - 1])).eTag();
            done.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        }
        ListPartsResponse listed = south.listParts(b -> b.bucket("mp-bucket").key("big.bin").uploadId(upload));
        assertThat(listed.parts()).hasSize(3);

        String etag = west.completeMultipartUpload(b -> b.bucket("mp-bucket").key("big.bin").uploadId(upload)
                .multipartUpload(CompletedMultipartUpload.builder().parts(done).build())).eTag();

        assertThat(etag).endsWith("-3\"");
        byte[] whole = new byte[11 << 20];
        System.arraycopy(parts[0], 0, whole, 0, 5 << 20);
        System.arraycopy(parts[1], 0, whole, 5 << 20, 5 << 20);
        System.arraycopy(parts[2], 0, whole, 10 << 20, 1 << 20);
        for (S3Client c : List.of(east, west, south)) {
            ResponseBytes<GetObjectResponse> got = c.getObjectAsBytes(b -> b.bucket("mp-bucket").key("big.bin"));
            assertThat(got.response().eTag()).isEqualTo(etag);
            assertThat(got.response().contentType()).isEqualTo("video/mp4");
            assertThat(md5(got.asByteArray())).isEqualTo(md5(whole));
            byte[] cross = c.getObjectAsBytes(b -> b.bucket("mp-bucket").key("big.bin").range("bytes=5242870-5242890"))
                    .asByteArray();
            assertThat(cross).isEqualTo(java.util.Arrays.copyOfRange(whole, 5242870, 5242891));
        }
    }

    @Test
    void abortedAndTooSmallMultipartUploadsLeaveNothing() {
        east.createBucket(b -> b.bucket("mp-bad"));
        String upload = south.createMultipartUpload(b -> b.bucket("mp-bad").key("k")).uploadId();
        String e1 = south.uploadPart(b -> b.bucket("mp-bad").key("k").uploadId(upload).partNumber(1),
                RequestBody.fromString("tiny")).eTag();
        String e2 = south.uploadPart(b -> b.bucket("mp-bad").key("k").uploadId(upload).partNumber(2),
                RequestBody.fromString("tiny")).eTag();
        assertThat(code(() -> south.completeMultipartUpload(b -> b.bucket("mp-bad").key("k").uploadId(upload)
                .multipartUpload(CompletedMultipartUpload.builder().parts(
                        CompletedPart.builder().partNumber(1).eTag(e1).build(),
                        CompletedPart.builder().partNumber(2).eTag(e2).build()).build()))))
                .isEqualTo("EntityTooSmall");
        assertThat(east.listMultipartUploads(b -> b.bucket("mp-bad")).uploads()).hasSize(1);

        west.abortMultipartUpload(b -> b.bucket("mp-bad").key("k").uploadId(upload));

        assertThat(east.listMultipartUploads(b -> b.bucket("mp-bad")).uploads()).isEmpty();
        assertThat(code(() -> south.listParts(b -> b.bucket("mp-bad").key("k").uploadId(upload))))
                .isEqualTo("NoSuchUpload");
        assertThat(status(() -> south.headObject(b -> b.bucket("mp-bad").key("k")))).isEqualTo(404);
    }

    @Test
    void copyWorksWithinAndAcrossOwners() {
        east.createBucket(b -> b.bucket("copy-src"));
        west.createBucket(b -> b.bucket("copy-dst"));
        east.putObject(b -> b.bucket("copy-src").key("orig").contentType("text/plain").metadata(Map.of("a", "1")),
                RequestBody.fromString("copied bytes"));

        south.copyObject(b -> b.sourceBucket("copy-src").sourceKey("orig").destinationBucket("copy-dst")
                .destinationKey("copy"));
        south.copyObject(b -> b.sourceBucket("copy-src").sourceKey("orig").destinationBucket("copy-src")
                .destinationKey("replaced").metadataDirective(MetadataDirective.REPLACE).contentType("x/y"));

        assertThat(text(east, "copy-dst", "copy")).isEqualTo("copied bytes");
        HeadObjectResponse copied = east.headObject(b -> b.bucket("copy-dst").key("copy"));
        assertThat(copied.metadata()).containsEntry("a", "1");
        assertThat(copied.contentType()).isEqualTo("text/plain");
        HeadObjectResponse replaced = west.headObject(b -> b.bucket("copy-src").key("replaced"));
        assertThat(replaced.contentType()).isEqualTo("x/y");
        assertThat(replaced.metadata()).isEmpty();
        assertThat(code(() -> east.copyObject(b -> b.sourceBucket("copy-src").sourceKey("orig")
                .destinationBucket("copy-src").destinationKey("orig")))).isEqualTo("InvalidRequest");
        assertThat(code(() -> east.copyObject(b -> b.sourceBucket("copy-src").sourceKey("missing")
                .destinationBucket("copy-dst").destinationKey("x")))).isEqualTo("NoSuchKey");
    }

    @Test
    void deleteObjectsInOneRequest() {
        east.createBucket(b -> b.bucket("many"));
        for (int i = 0; i < 10; i++) {
            put(east, "many", "k" + i, "v");
        }
        List<ObjectIdentifier> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(ObjectIdentifier.builder().key("k" + i).build());
        }
        ids.add(ObjectIdentifier.builder().key("never-existed").build());

        DeleteObjectsResponse r = west.deleteObjects(b -> b.bucket("many").delete(Delete.builder().objects(ids).build()));

        assertThat(r.deleted()).hasSize(11);
        assertThat(r.errors()).isEmpty();
        assertThat(south.listObjectsV2(b -> b.bucket("many")).keyCount()).isZero();
    }

    @Test
    void bucketsAreDeletedOnlyWhenEmptyAndThenGoneEverywhere() {
        west.createBucket(b -> b.bucket("to-delete"));
        put(east, "to-delete", "k", "v");

        assertThat(code(() -> south.deleteBucket(b -> b.bucket("to-delete")))).isEqualTo("BucketNotEmpty");
        east.deleteObject(b -> b.bucket("to-delete").key("k"));
        south.deleteBucket(b -> b.bucket("to-delete"));

        for (S3Client c : List.of(east, west, south)) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(code(() -> c.headBucket(b -> b.bucket("to-delete")))).isEqualTo("NoSuchBucket"));
            assertThat(code(() -> c.putObject(b -> b.bucket("to-delete").key("x"), RequestBody.fromString("x"))))
                    .isEqualTo("NoSuchBucket");
        }
        east.createBucket(b -> b.bucket("to-delete"));
        assertThat(fed.site("east").federation().bucket("to-delete").orElseThrow().epoch()).isEqualTo(2);
    }

    @Test
    void badInputGetsTheErrorAClientExpects() throws IOException {
        RawS3.Response badName = RawS3.send(fed.s3Url("east"), "PUT", "/Bad_Name", new byte[0]);
        assertThat(badName.status()).isEqualTo(400);
        assertThat(badName.body()).contains("<Code>InvalidBucketName</Code>");
        east.createBucket(b -> b.bucket("bad-input"));
        String longKey = "k".repeat(1025);
        assertThat(code(() -> put(west, "bad-input", longKey, "x"))).isEqualTo("KeyTooLongError");
        assertThat(code(() -> text(west, "bad-input", "missing"))).isEqualTo("NoSuchKey");
        assertThat(code(() -> west.listObjectsV2(b -> b.bucket("nope-nope")))).isEqualTo("NoSuchBucket");

        try (S3Client wrongSecret = MiniFederation.s3Client(fed.s3Url("west"), MiniFederation.ACCESS_KEY, "wrong")) {
            assertThat(code(() -> wrongSecret.listBuckets())).isEqualTo("SignatureDoesNotMatch");
        }
        try (S3Client unknown = MiniFederation.s3Client(fed.s3Url("west"), "NOSUCHKEY", "whatever")) {
            assertThat(code(() -> unknown.listBuckets())).isEqualTo("InvalidAccessKeyId");
        }
    }

    @Test
    void curlWithAwsSigv4WorksLikeAnyOtherClient() throws Exception {
        east.createBucket(b -> b.bucket("curl-bucket"));
        put(east, "curl-bucket", "read-me", "read by curl");
        String user = MiniFederation.ACCESS_KEY + ":" + MiniFederation.SECRET_KEY;

        assertThat(curl("-s", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", user,
                fed.s3Url("west") + "/curl-bucket/read-me")).isEqualTo("read by curl");
        curl("-s", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", user, "-X", "PUT",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--data-binary", "written by curl",
                fed.s3Url("south") + "/curl-bucket/written");
        assertThat(text(east, "curl-bucket", "written")).isEqualTo("written by curl");
    }

    private static String curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("curl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("curl %s: %s", String.join(" ", args), out).isZero();
        return out;
    }

    static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
