package io.meridian.node.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.namespace.ObjectMeta;
import io.meridian.node.store.proto.PartRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {

    @TempDir
    Path dir;

    private LocalStore store;

    @BeforeEach
    void open() throws IOException {
        store = LocalStore.open(dir, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Blob blob(byte[] data) throws IOException {
        LocalStore.BlobWriter w = store.newBlob();
        w.write(data, 0, data.length);
        return w.finish();
    }

    private ObjectMeta put(String key, String content) throws IOException {
        return store.putObject("b", key, 1, blob(content.getBytes(StandardCharsets.UTF_8)), ObjectAttributes.NONE,
                Precondition.NONE);
    }

    private byte[] read(String bucket, String key) throws IOException {
        try (OpenObject o = store.open(bucket, key).orElseThrow()) {
            ByteBuffer all = ByteBuffer.allocate((int) o.meta().size());
            for (int i = 0; i < o.channels().size(); i++) {
                long pos = 0;
                while (pos < o.lengths().get(i)) {
                    pos += o.channels().get(i).read(all, pos);
                }
            }
            return all.array();
        }
    }

    private static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    @Test
    void putThenReadBackWithItsMd5AsEtag() throws Exception {
        ObjectMeta meta = put("a/b.txt", "hello");

        assertThat(meta.etag()).isEqualTo(md5("hello".getBytes(StandardCharsets.UTF_8)));
        assertThat(meta.size()).isEqualTo(5);
        assertThat(store.head("b", "a/b.txt")).contains(meta);
        assertThat(read("b", "a/b.txt")).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(store.head("b", "missing")).isEmpty();
    }

    @Test
    void overwritingFreesTheOldBytesButAnOpenReaderKeepsThem() throws Exception {
        put("k", "version-one");
        try (OpenObject reading = store.open("b", "k").orElseThrow()) {
            put("k", "v2");

            ByteBuffer buf = ByteBuffer.allocate(11);
            reading.channels().get(0).read(buf, 0);
            assertThat(new String(buf.array(), StandardCharsets.UTF_8)).isEqualTo("version-one");
        }
        assertThat(read("b", "k")).isEqualTo("v2".getBytes(StandardCharsets.UTF_8));
        assertThat(store.blobIdsOnDisk()).hasSize(1);
    }

    @Test
    void conditionalWritesAndDeletesCheckTheCurrentVersion() throws Exception {
        ObjectMeta v1 = put("k", "one");

        assertThatThrownBy(() -> store.putObject("b", "k", 1, blob("x".getBytes(StandardCharsets.UTF_8)),
                ObjectAttributes.NONE, new Precondition(null, "*")))
                .isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.PRECONDITION_FAILED);
        assertThatThrownBy(() -> store.deleteObject("b", "k", 1, new Precondition("not-the-etag", null)))
                .isInstanceOf(StoreException.class);
        assertThat(store.deleteObject("b", "k", 1, new Precondition(v1.etag(), null))).isPresent();
        assertThat(store.head("b", "k")).isEmpty();
        assertThat(store.blobIdsOnDisk()).isEmpty();
        assertThat(store.deleteObject("b", "k", 1, Precondition.NONE)).isEmpty();
    }

    @Test
    void writesWithAnOlderEpochAreRefused() throws Exception {
        store.putObject("b", "k", 5, blob(new byte[] {1}), ObjectAttributes.NONE, Precondition.NONE);

        assertThatThrownBy(() -> store.putObject("b", "k", 4, blob(new byte[] {2}), ObjectAttributes.NONE,
                Precondition.NONE))
                .isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.STALE_EPOCH);
        assertThatThrownBy(() -> store.deleteObject("b", "k", 3, Precondition.NONE)).isInstanceOf(StoreException.class);
        assertThat(read("b", "k")).containsExactly(1);
        assertThat(store.blobIdsOnDisk()).hasSize(1);
    }

    @Test
    void listsInUtf8OrderWithPrefixDelimiterAndPages() throws Exception {
        for (String k : List.of("a/1", "a/2", "a/sub/x", "b", "c/d/e", "z", "é", "ab")) {
            put(k, k);
        }
        Listing all = store.list("b", "", null, null, 1000);
        assertThat(all.contents()).extracting(Listing.Entry::key)
                .containsExactly("a/1", "a/2", "a/sub/x", "ab", "b", "c/d/e", "z", "é");
        assertThat(all.truncated()).isFalse();

        Listing top = store.list("b", "", "/", null, 1000);
        assertThat(top.commonPrefixes()).containsExactly("a/", "c/");
        assertThat(top.contents()).extracting(Listing.Entry::key).containsExactly("ab", "b", "z", "é");

        Listing underA = store.list("b", "a/", "/", null, 1000);
        assertThat(underA.contents()).extracting(Listing.Entry::key).containsExactly("a/1", "a/2");
        assertThat(underA.commonPrefixes()).containsExactly("a/sub/");

        Listing page1 = store.list("b", "", "/", null, 2);
        assertThat(page1.commonPrefixes()).containsExactly("a/");
        assertThat(page1.contents()).extracting(Listing.Entry::key).containsExactly("ab");
        assertThat(page1.truncated()).isTrue();
        assertThat(page1.last()).isEqualTo("ab");
        Listing page2 = store.list("b", "", "/", page1.last(), 2);
        assertThat(page2.contents()).extracting(Listing.Entry::key).containsExactly("b");
        assertThat(page2.commonPrefixes()).containsExactly("c/");
        Listing afterPrefix = store.list("b", "", "/", "a/", 10);
        assertThat(afterPrefix.commonPrefixes()).containsExactly("c/");

        Listing none = store.list("b", "", null, null, 0);
        assertThat(none.contents()).isEmpty();
        assertThat(store.list("other", "", null, null, 10).contents()).isEmpty();
    }

    @Test
    void multipartUploadConcatenatesPartsWithTheS3Etag() throws Exception {
        Random random = new Random(42);
        byte[] p1 = new byte[1000];
        byte[] p2 = new byte[10];
        random.nextBytes(p1);
        random.nextBytes(p2);
        String upload = store.createUpload("b", "big", 1, ObjectAttributes.NONE);
        PartRecord r2 = store.putPart("b", "big", upload, 2, blob(p2));
        PartRecord r1 = store.putPart("b", "big", upload, 1, blob(p1));
        store.putPart("b", "big", upload, 3, blob(new byte[] {9}));

        ObjectMeta meta = store.completeUpload("b", "big", upload,
                List.of(new LocalStore.CompletedPart(1, r1.getEtag()), new LocalStore.CompletedPart(2, r2.getEtag())),
                100, Precondition.NONE);

        MessageDigest etags = MessageDigest.getInstance("MD5");
        etags.update(HexFormat.of().parseHex(md5(p1)));
        etags.update(HexFormat.of().parseHex(md5(p2)));
        assertThat(meta.etag()).isEqualTo(HexFormat.of().formatHex(etags.digest()) + "-2");
        assertThat(meta.size()).isEqualTo(1010);
        byte[] expected = new byte[1010];
        System.arraycopy(p1, 0, expected, 0, 1000);
        System.arraycopy(p2, 0, expected, 1000, 10);
        assertThat(read("b", "big")).isEqualTo(expected);
        assertThat(store.upload("b", "big", upload)).isEmpty();
        assertThat(store.blobIdsOnDisk()).hasSize(2);
    }

    @Test
    void multipartCompletionChecksOrderSizesAndEtags() throws Exception {
        String upload = store.createUpload("b", "k", 1, ObjectAttributes.NONE);
        PartRecord r1 = store.putPart("b", "k", upload, 1, blob(new byte[10]));
        PartRecord r2 = store.putPart("b", "k", upload, 2, blob(new byte[10]));

        assertThatThrownBy(() -> store.completeUpload("b", "k", upload, List.of(
                new LocalStore.CompletedPart(2, r2.getEtag()), new LocalStore.CompletedPart(1, r1.getEtag())), 5,
                Precondition.NONE))
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.INVALID_PART_ORDER);
        assertThatThrownBy(() -> store.completeUpload("b", "k", upload, List.of(
                new LocalStore.CompletedPart(1, "bad"), new LocalStore.CompletedPart(2, r2.getEtag())), 5,
                Precondition.NONE))
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.INVALID_PART);
        assertThatThrownBy(() -> store.completeUpload("b", "k", upload, List.of(
                new LocalStore.CompletedPart(1, r1.getEtag()), new LocalStore.CompletedPart(2, r2.getEtag())), 100,
                Precondition.NONE))
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.ENTITY_TOO_SMALL);
        assertThat(store.head("b", "k")).isEmpty();
    }

    @Test
    void abortingAnUploadDiscardsItsParts() throws Exception {
        String upload = store.createUpload("b", "k", 1, ObjectAttributes.NONE);
        store.putPart("b", "k", upload, 1, blob(new byte[10]));
        store.putPart("b", "k", upload, 1, blob(new byte[20]));
        assertThat(store.blobIdsOnDisk()).hasSize(1);

        store.abortUpload("b", "k", upload);

        assertThat(store.blobIdsOnDisk()).isEmpty();
        assertThatThrownBy(() -> store.putPart("b", "k", upload, 2, blob(new byte[1])))
                .extracting(e -> ((StoreException) e).kind()).isEqualTo(StoreException.Kind.NO_SUCH_UPLOAD);
        assertThat(store.blobIdsOnDisk()).isEmpty();
    }

    @Test
    void everythingSurvivesAReopenAndAbandonedUploadsVanish() throws Exception {
        put("k", "kept");
        LocalStore.BlobWriter abandoned = store.newBlob();
        abandoned.write(new byte[100], 0, 100);
        store.close();

        store = LocalStore.open(dir, Clock.systemUTC());

        assertThat(read("b", "k")).isEqualTo("kept".getBytes(StandardCharsets.UTF_8));
        try (var tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp.count()).isZero();
        }
    }
}
