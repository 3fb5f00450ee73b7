package io.meridian.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.cache.DiskCache;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import io.meridian.namespace.SiteRole;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mesh between two sites over real gRPC on loopback, against a fake owner. */
class MeshTest {

    @TempDir
    static Path dir;

    static final ExecutorService blocking = Executors.newCachedThreadPool();
    static final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    static final AtomicReference<Throwable> lastForwardedBodyError = new AtomicReference<>();
    static MeshServer server;
    static MeshClient client;
    static SiteInfo owner;

    /** An owner that stores forwarded PUT bodies and serves them back by fetch. */
    static final class FakeOwner implements LocalSite {
        @Override
        public String siteName() {
            return "owner";
        }

        @Override
        public HttpResponse executeForwarded(ForwardedRequest r) {
            if ("early".equals(r.key())) {
                // Answers at once, without reading the body (as an owner refusing a bad argument).
                return HttpResponse.of(HttpStatus.BAD_REQUEST, com.linecorp.armeria.common.MediaType.PLAIN_TEXT_UTF_8,
                        "refused before reading the body");
            }
            if ("hang".equals(r.key())) {
                // An owner that stops answering (a frozen process): it reads the body, then nothing.
                r.body().subscribe(new org.reactivestreams.Subscriber<HttpData>() {
                    @Override
                    public void onSubscribe(org.reactivestreams.Subscription s) {
                        s.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(HttpData d) {
                        d.close();
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onComplete() {
                    }
                });
                return HttpResponse.of(new CompletableFuture<>());
            }
            CompletableFuture<HttpResponse> done = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = r.body().toInputStream(Function.identity())) {
                    byte[] data = in.readAllBytes();
                    objects.put(r.key(), data);
                    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
                            .set("etag", md5(data)).set("x-origin", r.originSite())
                            .set("x-query", r.query().toString()).build());
                } catch (IOException e) {
                    lastForwardedBodyError.set(e);
                    return HttpResponse.of(HttpStatus.BAD_REQUEST);
                }
            }, blocking);
            return HttpResponse.of(done);
        }

        @Override
        public CompletableFuture<FetchResult> fetchLocal(String bucket, String key, String ifNoneMatchVersion,
                                                         boolean metadataOnly, String leaseHolder) {
            FetchResult.Grant grant = leaseHolder == null ? FetchResult.Grant.NONE
                    : new FetchResult.Grant(grants.incrementAndGet(), Duration.ofSeconds(2).toNanos());
            if ("stall".equals(key)) {
                // Sends the metadata and a first chunk of a larger object, then nothing more.
                ObjectMeta meta = new ObjectMeta("s", "s", 2_000_000, 0, "a/b", ImmutableMap.of(), ImmutableMap.of(), 0, 1);
                com.linecorp.armeria.common.stream.StreamWriter<HttpData> body = StreamMessage.streaming();
                body.write(HttpData.wrap(new byte[100_000]));
                return CompletableFuture.completedFuture(new FetchResult.Found(meta, body));
            }
            byte[] data = objects.get(key);
            if (key.startsWith("slow") && data != null && !metadataOnly && !ifNoneMatchVersion.equals(md5(data))) {
                bodiesSent.incrementAndGet();
                ObjectMeta meta = new ObjectMeta(md5(data), md5(data), data.length, 0, "a/b", ImmutableMap.of(),
                        ImmutableMap.of(), 0, 1);
                return CompletableFuture.supplyAsync(() -> new FetchResult.Found(meta, chunks(data, 100_000), grant),
                        CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            if (data == null) {
                return CompletableFuture.completedFuture(new FetchResult.Missing(FetchResult.Reason.NO_SUCH_KEY, "no"));
            }
            ObjectMeta meta = new ObjectMeta(md5(data), md5(data), data.length, 0, "a/b", ImmutableMap.of(),
                    ImmutableMap.of(), 0, 1);
            if (metadataOnly || meta.versionId().equals(ifNoneMatchVersion)) {
                return CompletableFuture.completedFuture(new FetchResult.NotModified(meta, grant));
            }
            return CompletableFuture.completedFuture(new FetchResult.Found(meta, chunks(data, 100_000), grant));
        }

        @Override
        public int revoke(String ownerSite, java.util.List<Revocation> entries) {
            revoked.addAll(entries);
            return entries.size();
        }
    }

    static final java.util.concurrent.atomic.AtomicLong grants = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicInteger bodiesSent = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.List<Revocation> revoked = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = new MeshServer(new InetSocketAddress("127.0.0.1", port), new FakeOwner());
        server.start();
        client = new MeshClient("asker", new MeshClient.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(3)));
        owner = SiteInfo.of("owner", "r", SiteRole.CORE, Map.of(SiteInfo.MESH, "127.0.0.1:" + port));
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        blocking.shutdownNow();
    }

    static StreamMessage<HttpData> chunks(byte[] data, int size) {
        HttpData[] parts = new HttpData[(data.length + size - 1) / size];
        for (int i = 0; i < parts.length; i++) {
            int from = i * size;
            parts[i] = HttpData.copyOf(java.util.Arrays.copyOfRange(data, from, Math.min(data.length, from + size)));
        }
        return StreamMessage.of(parts);
    }

    static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ForwardedRequest put(String key, StreamMessage<HttpData> body, long length) {
        return new ForwardedRequest("PUT", "b", key, ImmutableList.of(Map.entry("partNumber", "1")),
                ImmutableList.of(Map.entry("content-type", "x/y")), "AK", "asker", length, "req-1", body);
    }

    @Test
    void aForwardedBodyStreamsToTheOwnerAndItsAnswerComesBack() {
        byte[] data = new byte[20 << 20];
        new Random(1).nextBytes(data);

        AggregatedHttpResponse r = client.forward(owner, put("big", chunks(data, 1 << 20), data.length)).aggregate()
                .join();

        assertThat(r.status()).isEqualTo(HttpStatus.OK);
        assertThat(r.headers().get("etag")).isEqualTo(md5(data));
        assertThat(r.headers().get("x-origin")).isEqualTo("asker");
        assertThat(r.headers().get("x-query")).contains("partNumber=1");
        assertThat(objects.get("big")).isEqualTo(data);
    }

    @Test
    void anAbortedBodyFailsTheOwnersReadInsteadOfStoringPart() {
        com.linecorp.armeria.common.stream.StreamWriter<HttpData> body = StreamMessage.streaming();
        HttpResponse response = client.forward(owner, put("cut", body, 1000));
        body.write(HttpData.ofUtf8("only a little"));
        await().atMost(Duration.ofSeconds(5)).until(() -> body.whenConsumed().isDone());
        body.abort();

        await().atMost(Duration.ofSeconds(10)).until(() -> lastForwardedBodyError.get() != null
                || response.whenComplete().isDone());
        assertThat(objects).doesNotContainKey("cut");
    }

    @Test
    void aBodyThatFailsHereFailsTheForwardWithItsOwnReason() {
        IllegalStateException bad = new IllegalStateException("chunk signature does not match");
        com.linecorp.armeria.common.stream.StreamWriter<HttpData> body = StreamMessage.streaming();
        HttpResponse response = client.forward(owner, put("bad-body", body, 100));
        body.write(HttpData.ofUtf8("some bytes"));
        body.close(bad);

        Throwable failure = response.aggregate().handle((ok, t) -> t).join();

        assertThat(com.google.common.base.Throwables.getCausalChain(failure)).contains(bad);
        assertThat(objects).doesNotContainKey("bad-body");
    }

    @Test
    void anEarlyAnswerAlwaysArrivesWhole() {
        for (int i = 0; i < 300; i++) {
            AggregatedHttpResponse r = client.forward(owner, put("early", StreamMessage.of(HttpData.ofUtf8("x")), 1))
                    .aggregate().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
            assertThat(r.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(r.contentUtf8()).as("attempt %d", i).isEqualTo("refused before reading the body");
        }
    }

    @Test
    void anOwnerThatStopsAnsweringIsGivenUpAfterTheAnswerTimeout() {
        long start = System.nanoTime();
        Throwable failure = client.forward(owner, put("hang", StreamMessage.of(HttpData.ofUtf8("x")), 1)).aggregate()
                .handle((ok, t) -> t).join();

        assertThat(com.google.common.base.Throwables.getCausalChain(failure))
                .anyMatch(t -> t instanceof MeshUnavailableException && ((MeshUnavailableException) t).site().equals("owner"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aFetchWhoseOwnerStallsMidTransferFailsAfterTheIdleTimeout() throws IOException {
        FetchResult.Found found = (FetchResult.Found) client.fetch(owner, "b", "stall", "", "r").join();
        long start = System.nanoTime();
        try (InputStream in = found.body().toInputStream(Function.identity())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void metadataOnlyFetchesCarryNoBytes() {
        objects.put("meta-only", new byte[5000]);
        FetchResult r = client.fetch(owner, "b", "meta-only", "", true, "r").join();
        assertThat(r).isInstanceOf(FetchResult.NotModified.class);
        assertThat(((FetchResult.NotModified) r).meta().size()).isEqualTo(5000);
    }

    @Test
    void fetchSendsBytesOnlyWhenTheCallersVersionIsStale() throws Exception {
        byte[] data = new byte[3_000_000];
        new Random(2).nextBytes(data);
        objects.put("f", data);

        FetchResult first = client.fetch(owner, "b", "f", "", "r1").join();
        assertThat(first).isInstanceOf(FetchResult.Found.class);
        FetchResult.Found found = (FetchResult.Found) first;
        try (InputStream in = found.body().toInputStream(Function.identity())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        FetchResult again = client.fetch(owner, "b", "f", found.meta().versionId(), "r2").join();
        assertThat(again).isInstanceOf(FetchResult.NotModified.class);
        FetchResult missing = client.fetch(owner, "b", "none", "", "r3").join();
        assertThat(missing).isEqualTo(new FetchResult.Missing(FetchResult.Reason.NO_SUCH_KEY, "no"));
    }

    @Test
    void anUnreachableOwnerIsReportedNotHung() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        SiteInfo gone = SiteInfo.of("gone", "r", SiteRole.CORE, Map.of(SiteInfo.MESH, "127.0.0.1:" + dead));

        FetchResult r = client.fetch(gone, "b", "k", "", "r").join();
        assertThat(r).isInstanceOf(FetchResult.Missing.class);
        assertThat(((FetchResult.Missing) r).reason()).isEqualTo(FetchResult.Reason.UNAVAILABLE);

        Throwable failure = client.forward(gone, put("k", StreamMessage.of(), 0)).aggregate()
                .handle((ok, t) -> t).join();
        assertThat(com.google.common.base.Throwables.getCausalChain(failure))
                .anyMatch(t -> t instanceof MeshUnavailableException && ((MeshUnavailableException) t).site().equals("gone"));
    }

    @Test
    void remoteReadsAreCachedAndRevalidated() throws Exception {
        objects.put("c", "first".getBytes());
        try (DiskCache<String, ObjectMeta> cache = new DiskCache<>(dir.resolve("cache"), 1 << 20)) {
            io.meridian.cache.time.ManualClock clock = new io.meridian.cache.time.ManualClock();
            io.meridian.cache.lease.HeldLeases<String> leases = new io.meridian.cache.lease.HeldLeases<>(clock,
                    io.meridian.cache.time.DriftBound.DEFAULT, 1000);
            RemoteObjects remote = new RemoteObjects(client, cache, leases, blocking);

            RemoteObjects.Read.Found a = (RemoteObjects.Read.Found) remote.read(owner, "b", "c", "r").join();
            a.data().close();
            assertThat(a.cachedBytes()).isFalse();
            assertThat(a.askedOwner()).isTrue();
            // Under the lease that came with the bytes: answered here, without asking the owner.
            RemoteObjects.Read.Found b = (RemoteObjects.Read.Found) remote.read(owner, "b", "c", "r").join();
            b.data().close();
            assertThat(b.cachedBytes()).isTrue();
            assertThat(b.askedOwner()).isFalse();
            assertThat(b.stalenessMillis()).isZero();

            // The owner changed it and revoked the lease: the next read asks again.
            objects.put("c", "second".getBytes());
            assertThat(remote.revoke(java.util.List.of(new Revocation("b", "c", grants.get() + 1)))).isEqualTo(1);
            RemoteObjects.Read.Found c = (RemoteObjects.Read.Found) remote.read(owner, "b", "c", "r").join();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(6);
            c.data().channel().read(buf, 0);
            c.data().close();
            assertThat(new String(buf.array())).isEqualTo("second");
            assertThat(c.cachedBytes()).isFalse();

            // A lease that ran out (2 s granted, minus the drift bound): revalidated by version.
            clock.advance(Duration.ofSeconds(2));
            RemoteObjects.Read.Found d = (RemoteObjects.Read.Found) remote.read(owner, "b", "c", "r").join();
            d.data().close();
            assertThat(d.cachedBytes()).isTrue();
            assertThat(d.askedOwner()).isTrue();

            // (This fake owner does not revoke on delete: once the lease runs out, the read asks.)
            objects.remove("c");
            clock.advance(Duration.ofSeconds(2));
            assertThat(remote.read(owner, "b", "c", "r").join()).isInstanceOf(RemoteObjects.Read.Missing.class);
            assertThat(cache.entryCount()).isZero();
        }
    }

    @Test
    void revocationsReachTheHolderAndAreAcknowledged() {
        revoked.clear();
        int dropped = client.revoke(owner, java.util.List.of(new Revocation("b", "k1", 7), new Revocation("b", "k2", 8)))
                .join();
        assertThat(dropped).isEqualTo(2);
        assertThat(revoked).containsExactly(new Revocation("b", "k1", 7), new Revocation("b", "k2", 8));
    }

    @Test
    void aFetchAskingForALeaseGetsItsGrant() {
        objects.put("leased", new byte[10]);
        FetchResult r = client.fetch(owner, "b", "leased", "", true, true, "r").join();
        FetchResult.Grant grant = ((FetchResult.NotModified) r).grant();
        assertThat(grant.granted()).isTrue();
        assertThat(grant.leaseNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        FetchResult plain = client.fetch(owner, "b", "leased", "", true, false, "r").join();
        assertThat(((FetchResult.NotModified) plain).grant().granted()).isFalse();
    }

    @Test
    void faultHooksLoseAndDelayMessages() {
        objects.put("faulty", new byte[10]);
        java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>("ok");
        MeshFaults faults = (from, to) -> {
            switch (mode.get()) {
                case "cut":
                    return CompletableFuture.completedFuture(false);
                case "lose-answers":
                    return CompletableFuture.completedFuture(!from.equals("owner"));
                case "slow":
                    return CompletableFuture.supplyAsync(() -> true,
                            CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS));
                default:
                    return MeshFaults.DELIVER;
            }
        };
        try (MeshClient faulty = new MeshClient("asker", MeshClient.Timeouts.DEFAULT, faults)) {
            mode.set("cut");
            assertThat(faulty.fetch(owner, "b", "faulty", "", true, "r").join()).isInstanceOf(FetchResult.Missing.class);
            assertThat(faulty.revoke(owner, java.util.List.of(new Revocation("b", "faulty", 1)))
                    .handle((n, t) -> t).join()).isNotNull();
            assertThat(faulty.forward(owner, put("faulty", StreamMessage.of(), 0)).aggregate().handle((ok, t) -> t)
                    .join()).isNotNull();

            mode.set("lose-answers");
            FetchResult lost = faulty.fetch(owner, "b", "faulty", "", true, "r").join();
            assertThat(((FetchResult.Missing) lost).reason()).isEqualTo(FetchResult.Reason.UNAVAILABLE);
            assertThat(faulty.revoke(owner, java.util.List.of(new Revocation("b", "faulty", 1)))
                    .handle((n, t) -> t).join()).isNotNull();

            mode.set("slow");
            long start = System.nanoTime();
            assertThat(faulty.fetch(owner, "b", "faulty", "", true, "r").join()).isInstanceOf(FetchResult.NotModified.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        }
    }

    @Test
    void callsAnsweredWithoutABodyEnd() {
        objects.put("ends", new byte[10]);
        try (MeshClient fresh = new MeshClient("asker", MeshClient.Timeouts.DEFAULT)) {
            for (int i = 0; i < 50; i++) {
                fresh.fetch(owner, "b", "ends", "", true, "meta-" + i).join();
                fresh.fetch(owner, "b", "no-such-key", "", false, "miss-" + i).join();
                FetchResult.Found found = (FetchResult.Found) fresh.fetch(owner, "b", "ends", "", false, "get-" + i)
                        .join();
                fresh.fetch(owner, "b", "ends", found.meta().versionId(), false, "same-" + i).join();
                found.body().abort();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> fresh.openCalls() == 0);
        }
    }

    @Test
    void concurrentColdReadsOfOneObjectFetchItsBytesOnce() throws Exception {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        objects.put("slow-shared", data);
        bodiesSent.set(0);
        try (DiskCache<String, ObjectMeta> cache = new DiskCache<>(dir.resolve("shared-cache"), 16 << 20)) {
            io.meridian.cache.time.ManualClock clock = new io.meridian.cache.time.ManualClock();
            RemoteObjects remote = new RemoteObjects(client, cache, new io.meridian.cache.lease.HeldLeases<>(clock,
                    io.meridian.cache.time.DriftBound.DEFAULT, 1000), blocking);
            java.util.List<CompletableFuture<RemoteObjects.Read>> reads = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                reads.add(remote.read(owner, "b", "slow-shared", "r" + i));
            }
            for (CompletableFuture<RemoteObjects.Read> r : reads) {
                RemoteObjects.Read.Found found = (RemoteObjects.Read.Found) r.get(10, java.util.concurrent.TimeUnit.SECONDS);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(data.length);
                while (buf.hasRemaining() && found.data().channel().read(buf, buf.position()) > 0) {
                    // read it all
                }
                found.data().close();
                assertThat(buf.array()).isEqualTo(data);
            }
            assertThat(bodiesSent.get()).isEqualTo(1);
        }
    }
}
