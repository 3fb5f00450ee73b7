package io.meridian.node.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.testing.MiniFederation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Scenario FED-07, ../shared/SCENARIOS.md: eleven keys that clients must encode, each with its own
 * content, written at Core, are listed (with and without encoding-type=url) and read at Edge with
 * byte-identical names, content and ETags: no Unicode normalization, {@code x%2Fy} stays one key,
 * {@code +} stays a plus.
 */
class Fed07KeyNamesTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, "core", "edge");
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    @Test
    void elevenAwkwardKeysKeepTheirBytesAtTheOtherSite() {
        S3Client core = fed.client("core");
        S3Client edge = fed.client("edge");
        core.createBucket(b -> b.bucket("fed07-b1"));
        String nfc = Normalizer.normalize("\u00fcn\u00ef/c\u00f8d\u00e9/\u6587\u4ef6.txt", Normalizer.Form.NFC);
        String nfd = Normalizer.normalize(nfc, Normalizer.Form.NFD);
        assertThat(nfd).isNotEqualTo(nfc);
        StringBuilder longKey = new StringBuilder("long/");
        while (longKey.toString().getBytes(StandardCharsets.UTF_8).length < 1024) {
            longKey.append('k');
        }
        List<String> keys = List.of("a#b.jpg", "c$d!e@f.txt", "pct%25.txt", "x%2Fy", "sp ace.txt", "plus+sign.txt",
                nfc, nfd, "trailing/", "q?x=1", longKey.toString());
        assertThat(keys.get(10).getBytes(StandardCharsets.UTF_8)).hasSize(1024);
        Map<String, String> etags = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String body = key.equals("trailing/") ? "" : "content of key " + i;
            etags.put(key, core.putObject(b -> b.bucket("fed07-b1").key(key), RequestBody.fromString(body)).eTag());
        }

        for (EncodingType encoding : new EncodingType[] {null, EncodingType.URL}) {
            List<String> listed = new ArrayList<>();
            edge.listObjectsV2Paginator(b -> b.bucket("fed07-b1").encodingType(encoding)).contents().stream()
                    .map(S3Object::key).forEach(listed::add);
            assertThat(listed).as("listing with encoding %s", encoding).containsExactlyInAnyOrderElementsOf(keys);
            List<String> listedV1 = new ArrayList<>();
            edge.listObjects(b -> b.bucket("fed07-b1").encodingType(encoding)).contents().stream()
                    .map(S3Object::key).forEach(listedV1::add);
            assertThat(listedV1).as("v1 listing with encoding %s", encoding).containsExactlyInAnyOrderElementsOf(keys);
        }
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String body = key.equals("trailing/") ? "" : "content of key " + i;
            ResponseBytes<GetObjectResponse> r = edge.getObjectAsBytes(b -> b.bucket("fed07-b1").key(key));
            assertThat(r.asUtf8String()).as("content of %s", key).isEqualTo(body);
            assertThat(r.response().eTag()).as("etag of %s", key).isEqualTo(etags.get(key));
        }
    }
}
