package io.meridian.node.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.testing.MiniFederation;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Scenario FED-04 (read-through part), ../shared/SCENARIOS.md: a multipart object, a 0-byte and a
 * 1-byte object written at Core read back at another site with the same SHA-256, length, ETag
 * (with its -3) and the same bytes and headers for ranges that cross a part boundary or are
 * suffixes.
 */
class Fed04MultipartReadThroughTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static S3Client core;
    static S3Client other;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, "core", "other");
        core = fed.client("core");
        other = fed.client("other");
        core.createBucket(b -> b.bucket("fed04-mp"));
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    /** What a GET or HEAD answered, in a form that compares site to site. */
    record Seen(int status, String etag, Long length, String contentRange, String sha256) {}

    private static Seen get(S3Client c, String key, String range) {
        try {
            ResponseBytes<GetObjectResponse> r = c.getObjectAsBytes(b -> b.bucket("fed04-mp").key(key).range(range));
            return new Seen(r.response().sdkHttpResponse().statusCode(), r.response().eTag(),
                    r.response().contentLength(), r.response().contentRange(), sha256(r.asByteArray()));
        } catch (S3Exception e) {
            return new Seen(e.statusCode(), e.awsErrorDetails().errorCode(), null, null, null);
        }
    }

    private static Seen head(S3Client c, String key) {
        HeadObjectResponse h = c.headObject(b -> b.bucket("fed04-mp").key(key));
        return new Seen(h.sdkHttpResponse().statusCode(), h.eTag(), h.contentLength(), null, null);
    }

    @Test
    void multipartObjectReadsAlikeAtCoreAndElsewhere() {
        Random prng = new Random(20261203L);
        int[] sizes = {5 << 20, 5 << 20, 1 << 20};
        byte[] whole = new byte[11 << 20];
        prng.nextBytes(whole);
        String upload = core.createMultipartUpload(b -> b.bucket("fed04-mp").key("big.bin")).uploadId();
        List<CompletedPart> parts = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < sizes.length; i++) {
            int n = i + 1;
            byte[] part = Arrays.copyOfRange(whole, offset, offset + sizes[i]);
            offset += sizes[i];
            String etag = core.uploadPart(b -> b.bucket("fed04-mp").key("big.bin").uploadId(upload).partNumber(n),
                    RequestBody.fromBytes(part)).eTag();
            parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        }
        core.completeMultipartUpload(b -> b.bucket("fed04-mp").key("big.bin").uploadId(upload)
                .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));

        Seen atCore = get(core, "big.bin", null);
        assertThat(atCore.etag()).endsWith("-3\"");
        assertThat(atCore.length()).isEqualTo(11L << 20);
        assertThat(atCore.sha256()).isEqualTo(sha256(whole));

        compareEverywhere("big.bin");
    }

    @Test
    void emptyAndOneByteObjectsReadAlikeAtCoreAndElsewhere() {
        core.putObject(b -> b.bucket("fed04-mp").key("empty"), RequestBody.empty());
        core.putObject(b -> b.bucket("fed04-mp").key("one"), RequestBody.fromBytes(new byte[] {42}));

        compareEverywhere("empty");
        compareEverywhere("one");
        assertThat(get(other, "one", "bytes=-100").sha256()).isEqualTo(sha256(new byte[] {42}));
    }

    private static void compareEverywhere(String key) {
        assertThat(head(other, key)).isEqualTo(head(core, key));
        for (String range : new String[] {null, "bytes=5242870-5242890", "bytes=-100"}) {
            Seen atCore = get(core, key, range);
            Seen elsewhere = get(other, key, range);
            assertThat(elsewhere).as("%s range %s", key, range).isEqualTo(atCore);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
