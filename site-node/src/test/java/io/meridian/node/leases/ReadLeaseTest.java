package io.meridian.node.leases;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read leases between two real sites: a non-owner answers from its cache under a lease, a write at
 * the owner revokes before it is acknowledged, a holder cut off from the owner makes the write wait
 * for its lease to run out, and the consistency a request asks for decides what a cut-off site may
 * answer.
 */
class ReadLeaseTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static String owner;
    static String reader;

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, List.of("owner", "reader"), Map.of("lease.read-period", "1500ms"));
        owner = fed.s3Url("owner");
        reader = fed.s3Url("reader");
        assertThat(RawS3.send(owner, "PUT", "/leased", new byte[0]).status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    @AfterEach
    void heal() {
        fed.faults().clear();
    }

    private static RawS3.Response put(String site, String key, String value) throws IOException {
        RawS3.Response r = RawS3.send(site, "PUT", "/leased/" + key, value.getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    private static RawS3.Response get(String site, String key, String consistency) throws IOException {
        Map<String, String> headers = consistency == null ? Map.of() : Map.of("x-meridian-consistency", consistency);
        return RawS3.send(site, "GET", "/leased/" + key, new byte[0], headers, true);
    }

    private static RawS3.Response admin(String site, String method, String pathAndQuery) throws IOException {
        return RawS3.send(fed.adminUrl(site), method, "/_meridian/admin/v1/" + pathAndQuery, new byte[0]);
    }

    @Test
    void aNonOwnerAnswersFromItsCacheWhileItHoldsALease() throws IOException {
        put(owner, "a", "one");

        RawS3.Response first = get(reader, "a", null);
        assertThat(first.body()).isEqualTo("one");
        assertThat(first.headers()).containsEntry("x-meridian-cache", "miss").containsEntry("x-meridian-staleness-ms", "0");
        RawS3.Response second = get(reader, "a", null);
        assertThat(second.body()).isEqualTo("one");
        assertThat(second.headers()).containsEntry("x-meridian-cache", "hit").containsEntry("x-meridian-staleness-ms", "0");

        assertThat(admin("owner", "GET", "leases").body()).contains("\"holder\" : \"reader\"").contains("\"key\" : \"a\"");
        assertThat(admin("reader", "GET", "leases").body()).contains("\"key\" : \"a\"");
    }

    @Test
    void aWriteAtTheOwnerIsNeverFollowedByAnOldReadElsewhere() throws IOException {
        for (int i = 0; i < 20; i++) {
            put(owner, "b", "v" + i);
            // Straight after the owner acknowledged: the holder's lease on v(i-1) is gone.
            assertThat(get(reader, "b", null).body()).isEqualTo("v" + i);
            assertThat(get(reader, "b", null).body()).isEqualTo("v" + i);
        }
        RawS3.Response delete = RawS3.send(owner, "DELETE", "/leased/b", new byte[0]);
        assertThat(delete.status()).isEqualTo(204);
        assertThat(get(reader, "b", null).status()).isEqualTo(404);
    }

    @Test
    void aHolderCutOffFromTheOwnerHoldsUpWritesOnlyUntilItsLeaseRunsOut() throws Exception {
        put(owner, "c", "old");
        assertThat(get(reader, "c", null).body()).isEqualTo("old");
        assertThat(get(reader, "c", null).headers()).containsEntry("x-meridian-cache", "hit");

        fed.faults().partition("owner", "reader");
        CompletableFuture<RawS3.Response> write = CompletableFuture.supplyAsync(() -> {
            try {
                return put(owner, "c", "new");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // The revocation cannot arrive: the holder still answers "old" under its lease, which is
        // correct as long as the write has not been acknowledged.
        RawS3.Response underLease = get(reader, "c", null);
        boolean acknowledgedBefore = write.isDone();
        assertThat(underLease.body()).isEqualTo("old");
        assertThat(acknowledgedBefore).isFalse();

        assertThat(write.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(get(owner, "c", null).body()).isEqualTo("new");

        // Linearizable at the cut-off site: it cannot know, so it says so.
        RawS3.Response isolated = get(reader, "c", null);
        assertThat(isolated.status()).isEqualTo(503);
        assertThat(isolated.body()).contains("<Code>SiteIsolated</Code>");
        // Local: whatever is cached, with how stale it may be.
        RawS3.Response local = get(reader, "c", "local");
        assertThat(local.status()).isEqualTo(200);
        assertThat(local.body()).isEqualTo("old");
        assertThat(Long.parseLong(local.headers().get("x-meridian-staleness-ms"))).isPositive();
        // Bounded: within the bound, or not at all.
        assertThat(get(reader, "c", "bounded; max-staleness=1m").body()).isEqualTo("old");
        assertThat(get(reader, "c", "bounded; max-staleness=1ms").status()).isEqualTo(503);
        // A local read of something never cached has nothing to answer with.
        RawS3.Response nothing = get(reader, "never-cached", "local");
        assertThat(nothing.status()).isEqualTo(503);
        assertThat(nothing.body()).contains("SiteIsolated");

        fed.faults().heal("owner", "reader");
        assertThat(get(reader, "c", null).body()).isEqualTo("new");
        assertThat(get(reader, "c", "local").body()).isEqualTo("new");
    }

    @Test
    void anUnreadableConsistencyHeaderIsRefusedWithA400() throws IOException {
        put(owner, "d", "x");
        RawS3.Response r = get(reader, "d", "eventual");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("InvalidArgument").contains("bounded; max-staleness=");
        assertThat(get(reader, "d", "bounded; max-staleness=5h").status()).isEqualTo(400);
        assertThat(get(reader, "d", "LINEARIZABLE").status()).isEqualTo(200);
        // The owner refuses what a non-owner refuses.
        assertThat(get(owner, "d", "eventual").status()).isEqualTo(400);
        // Large but readable bounds are fine, cached or not.
        assertThat(get(reader, "d", "bounded; max-staleness=999999999999m").status()).isEqualTo(200);
        fed.clock("reader").jump(java.time.Duration.ofSeconds(3));
        assertThat(get(reader, "d", "bounded; max-staleness=999999999999m").status()).isEqualTo(200);
        assertThat(RawS3.send(reader, "HEAD", "/leased/d", new byte[0],
                Map.of("x-meridian-consistency", "bounded; max-staleness=999999999999s"), true).status()).isEqualTo(200);
    }

    @Test
    void aConsistencyHeaderSentTwiceIsRefused() throws Exception {
        put(owner, "twice", "x");
        java.net.URI uri = java.net.URI.create(reader + "/leased/twice");
        java.util.Map<String, String> signed = io.meridian.node.s3.auth.SigV4Signer.sign("GET", uri,
                Map.of("x-meridian-consistency", "local,linearizable"), MiniFederation.ACCESS_KEY,
                MiniFederation.SECRET_KEY, "us-east-1", java.time.Instant.now(), new byte[0]);
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(uri).GET();
        signed.forEach((name, value) -> {
            if (name.equals("x-meridian-consistency")) {
                b.header(name, "local");
                b.header(name, "linearizable");
            } else if (!name.equals("host")) {
                b.header(name, value);
            }
        });
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(b.build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("more than once");
    }

    @Test
    void aBucketsDefaultConsistencyAppliesToRequestsThatNameNone() throws Exception {
        assertThat(RawS3.send(owner, "PUT", "/relaxed", new byte[0]).status()).isEqualTo(200);
        assertThat(RawS3.send(owner, "PUT", "/relaxed/k", "first".getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(200);
        assertThat(RawS3.send(reader, "GET", "/relaxed/k", new byte[0]).body()).isEqualTo("first");

        RawS3.Response set = admin("reader", "PUT", "buckets/relaxed/consistency?value=local");
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("\"defaultConsistency\" : \"local\"");
        assertThat(admin("owner", "PUT", "buckets/relaxed/consistency?value=sometimes").status()).isEqualTo(400);
        assertThat(admin("owner", "PUT", "buckets/nothing-here/consistency?value=local").status()).isEqualTo(404);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                fed.site("reader").federation().bucket("relaxed").orElseThrow().defaultConsistency().equals("local"));

        fed.faults().partition("owner", "reader");
        // The reader's lease runs out (its clock moves on) while it cannot reach the owner.
        fed.clock("reader").jump(java.time.Duration.ofMillis(1600));
        RawS3.Response relaxed = RawS3.send(reader, "GET", "/relaxed/k", new byte[0]);
        assertThat(relaxed.status()).isEqualTo(200);
        assertThat(relaxed.body()).isEqualTo("first");
        // The request's own header still wins.
        assertThat(RawS3.send(reader, "GET", "/relaxed/k", new byte[0],
                Map.of("x-meridian-consistency", "linearizable"), true).status()).isEqualTo(503);
    }

    @Test
    void evictionDropsTheCachedCopyAndItsLease() throws IOException {
        put(owner, "e/1", "one");
        put(owner, "e/2", "two");
        get(reader, "e/1", null);
        get(reader, "e/2", null);
        assertThat(get(reader, "e/1", null).headers()).containsEntry("x-meridian-cache", "hit");

        RawS3.Response one = admin("reader", "POST", "cache/evict?bucket=leased&key=e%2F1");
        assertThat(one.status()).as(one.body()).isEqualTo(200);
        assertThat(one.body()).contains("\"evicted\" : 1");
        assertThat(get(reader, "e/1", null).headers()).containsEntry("x-meridian-cache", "miss");

        RawS3.Response prefix = admin("reader", "POST", "cache/evict?bucket=leased&prefix=e%2F");
        assertThat(prefix.body()).contains("\"evicted\" : 2");
        assertThat(admin("reader", "POST", "cache/evict?bucket=leased&prefix=e%2F").body()).contains("\"evicted\" : 0");
        assertThat(get(reader, "e/2", null).headers()).containsEntry("x-meridian-cache", "miss");
        assertThat(admin("reader", "POST", "cache/evict").status()).isEqualTo(400);
        assertThat(admin("reader", "POST", "cache/evict?bucket=no-such-bucket").status()).isEqualTo(404);
    }

    @Test
    void everyAnswerFromANonOwnerSaysHowStaleItMayBe() throws IOException {
        put(owner, "f", "x");
        assertThat(RawS3.send(reader, "HEAD", "/leased/f", new byte[0]).headers()).containsKey("x-meridian-staleness-ms")
                .containsEntry("x-meridian-cache", "miss");
        get(reader, "f", null);
        assertThat(RawS3.send(reader, "HEAD", "/leased/f", new byte[0]).headers()).containsEntry("x-meridian-cache", "hit");
        assertThat(RawS3.send(reader, "GET", "/leased?list-type=2", new byte[0]).headers())
                .containsEntry("x-meridian-staleness-ms", "0");
        assertThat(RawS3.send(reader, "PUT", "/leased/g", "y".getBytes(StandardCharsets.UTF_8)).headers())
                .containsEntry("x-meridian-staleness-ms", "0");
        assertThat(RawS3.send(reader, "GET", "/leased/no-such-key", new byte[0]).headers())
                .containsEntry("x-meridian-staleness-ms", "0");
        assertThat(RawS3.send(owner, "GET", "/leased/f", new byte[0]).headers()).doesNotContainKey("x-meridian-staleness-ms");
    }
}
