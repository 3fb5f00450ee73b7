package io.meridian.federation;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meridian.federation.internal.InboundBody;
import io.meridian.federation.internal.MeshCodec;
import io.meridian.federation.internal.OutboundPump;
import io.meridian.federation.proto.FetchHead;
import io.meridian.federation.proto.FetchRequest;
import io.meridian.federation.proto.Frame;
import io.meridian.federation.proto.Header;
import io.meridian.federation.proto.RequestHead;
import io.meridian.federation.proto.ResponseHead;
import io.meridian.federation.proto.RevokeAck;
import io.meridian.federation.proto.RevokeRequest;
import io.meridian.federation.proto.RevokedEntry;
import io.meridian.federation.proto.SiteMeshGrpc;
import io.meridian.namespace.SiteInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * This site's client side of the mesh: forwards requests to owners and fetches objects from them.
 * One client per site process; connections to each peer are pooled and reused.
 */
public final class MeshClient implements AutoCloseable {

    /** Largest data frame either side sends. */
    public static final int MAX_FRAME_BYTES = 8 << 20;
    /** HTTP/2 flow-control windows of mesh calls, both ways. */
    static final int STREAM_WINDOW = 4 << 20;
    static final int CONNECTION_WINDOW = 16 << 20;
    /** Frames of a fetched body asked for ahead of the reader, so that transfer does not stall on demand. */
    private static final int FETCH_PREFETCH = 4;

    /**
     * How long this site waits on another.
     *
     * @param firstByte for a fetch: until the owner's first answer
     * @param answer for a forward: from the end of the request body until the owner's answer
     * @param idle for any call: without a frame sent or received, before the call is given up
     */
    public record Timeouts(Duration firstByte, Duration answer, Duration idle) {
        public static final Timeouts DEFAULT =
                new Timeouts(Duration.ofSeconds(15), Duration.ofSeconds(120), Duration.ofSeconds(30));
    }

    private static final Duration WATCH_INTERVAL = Duration.ofMillis(500);
    /** How much of a client's body is read and dropped after the owner answered early. */
    private static final long EARLY_ANSWER_DRAIN_LIMIT = 8L << 20;

    private final String selfSite;
    private final Duration firstByteTimeout;
    private final Timeouts timeouts;
    private final ClientFactory factory;
    private final ScheduledExecutorService watchdog;
    private final Map<String, SiteMeshGrpc.SiteMeshStub> stubs = new ConcurrentHashMap<>();
    private final MeshFaults faults;
    private final java.util.concurrent.atomic.AtomicInteger openCalls = new java.util.concurrent.atomic.AtomicInteger();

    /** The calls to other sites that have not ended yet (forwards and fetches). */
    public int openCalls() {
        return openCalls.get();
    }

    public MeshClient(String selfSite, Timeouts timeouts) {
        this(selfSite, timeouts, MeshFaults.NONE);
    }

    /** A client whose messages pass through {@code faults} first (tests break links with it). */
    public MeshClient(String selfSite, Timeouts timeouts, MeshFaults faults) {
        this.selfSite = selfSite;
        this.faults = faults;
        this.timeouts = timeouts;
        this.firstByteTimeout = timeouts.firstByte();
        this.factory = ClientFactory.builder()
                .idleTimeout(Duration.ofMinutes(1))
                // Between sites a round trip can be long: windows large enough that a transfer is
                // not paced by window updates (4 MiB in flight per stream, so a 1 MiB object
                // arrives in one round trip; 16 MiB per connection bounds what a peer can buffer).
                .http2InitialStreamWindowSize(STREAM_WINDOW)
                .http2InitialConnectionWindowSize(CONNECTION_WINDOW)
                .build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mesh-watchdog-" + selfSite);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Gives up a call that stopped making progress: {@code check} returns why, or null while all is
     * well; it runs every half second until the call ends.
     */
    private void watch(CompletableFuture<?> callDone, java.util.function.Supplier<String> check,
                       java.util.function.Consumer<String> giveUp) {
        openCalls.incrementAndGet();
        callDone.whenComplete((ignored, error) -> openCalls.decrementAndGet());
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        task[0] = watchdog.scheduleWithFixedDelay(() -> {
            if (callDone.isDone()) {
                task[0].cancel(false);
                return;
            }
            String why = check.get();
            if (why != null) {
                task[0].cancel(false);
                giveUp.accept(why);
            }
        }, WATCH_INTERVAL.toMillis(), WATCH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        callDone.whenComplete((ignored, error) -> task[0].cancel(false));
    }

    private SiteMeshGrpc.SiteMeshStub stub(SiteInfo site) {
        String address = site.endpoint(SiteInfo.MESH).orElseThrow(() -> new MeshUnavailableException(site.name(),
                "site " + site.name() + " has not registered a mesh endpoint yet", null));
        return stubs.computeIfAbsent(address, a -> GrpcClients.builder("http://" + a)
                .factory(factory)
                .maxRequestMessageLength(MAX_FRAME_BYTES + 65536)
                .maxResponseMessageLength(MAX_FRAME_BYTES + 65536)
                .maxResponseLength(0)
                .responseTimeoutMillis(0)
                .writeTimeoutMillis(0)
                .build(SiteMeshGrpc.SiteMeshStub.class));
    }

    /**
     * Sends {@code request} to {@code owner} and returns the owner's response as it streams back.
     * If the owner cannot be reached before it answers, the response fails with a
     * {@link MeshUnavailableException}.
     */
    public HttpResponse forward(SiteInfo owner, ForwardedRequest request) {
        CompletableFuture<Boolean> admitted = faults.admit(selfSite, owner.name());
        if (admitted.isDone() && Boolean.TRUE.equals(admitted.getNow(false))) {
            return forwardNow(owner, request);
        }
        return HttpResponse.of(admitted.thenApply(ok -> {
            if (ok) {
                return forwardNow(owner, request);
            }
            request.body().abort();
            throw new MeshUnavailableException(owner.name(), "the link to owner site " + owner.name() + " is down",
                    null, true);
        }));
    }

    private HttpResponse forwardNow(SiteInfo owner, ForwardedRequest request) {
        HttpResponseWriter response = HttpResponse.streaming();
        AtomicReference<OutboundPump<HttpData>> pumpRef = new AtomicReference<>();
        ForwardObserver observer = new ForwardObserver(owner.name(), response, pumpRef);
        SiteMeshGrpc.SiteMeshStub stub;
        try {
            stub = stub(owner);
        } catch (MeshUnavailableException e) {
            request.body().abort();
            response.close(new MeshUnavailableException(e.site(), e.getMessage(), null, true));
            return response;
        }
        stub.forward(observer);
        ClientCallStreamObserver<Frame> call = observer.call;
        OutboundPump<HttpData> pump = new OutboundPump<>(call,
                data -> data.isEmpty() ? null : Frame.newBuilder().setData(MeshCodec.bytes(data)).build(), true);
        pumpRef.set(pump);
        RequestHead.Builder head = RequestHead.newBuilder()
                .setMethod(request.method())
                .setBucket(request.bucket())
                .setAccessKeyId(request.accessKeyId())
                .setOriginSite(selfSite)
                .setContentLength(request.contentLength())
                .setRequestId(request.requestId());
        if (request.key() != null) {
            head.setKey(request.key());
        }
        request.query().forEach(e -> head.addQuery(Header.newBuilder().setName(e.getKey()).setValue(e.getValue())));
        request.headers().forEach(e -> head.addHeaders(Header.newBuilder().setName(e.getKey()).setValue(e.getValue())));
        pump.sendFirst(Frame.newBuilder().setRequestHead(head).build());
        request.body().subscribe(pump);
        watch(response.whenComplete(), () -> {
            long now = System.nanoTime();
            long bodyDone = pump.sourceCompletedNanos();
            if (!observer.headSeen && bodyDone != 0 && now - bodyDone > timeouts.answer().toNanos()) {
                return "owner site " + owner.name() + " did not answer within " + timeouts.answer().toSeconds()
                        + " s of receiving the request";
            }
            long last = Math.max(pump.lastSentNanos(), observer.lastReceivedNanos);
            if (now - last > timeouts.idle().toNanos()) {
                return "no data moved to or from owner site " + owner.name() + " for "
                        + timeouts.idle().toSeconds() + " s";
            }
            return null;
        }, why -> {
            observer.giveUp(why);
            pump.cancel();
            call.cancel(why, new MeshUnavailableException(owner.name(), why, null));
        });
        response.whenComplete().exceptionally(cause -> {
            pump.cancel();
            call.cancel("the client of the forwarding site went away", cause);
            return null;
        });
        return response;
    }

    private final class ForwardObserver implements ClientResponseObserver<Frame, Frame> {
        private final String owner;
        private final HttpResponseWriter response;
        private final AtomicReference<OutboundPump<HttpData>> pumpRef;
        private ClientCallStreamObserver<Frame> call;
        private volatile boolean headSeen;
        private volatile long lastReceivedNanos = System.nanoTime();
        private volatile @Nullable String gaveUp;

        void giveUp(String why) {
            gaveUp = why;
        }

        ForwardObserver(String owner, HttpResponseWriter response, AtomicReference<OutboundPump<HttpData>> pumpRef) {
            this.owner = owner;
            this.response = response;
            this.pumpRef = pumpRef;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Frame> requestStream) {
            // The owner's answers are small (errors, ETags, listings; object bytes travel by Fetch),
            // so they are taken as fast as they come: an answer must be whole before the call can
            // end, and the call ends early (cancelled) when the owner answered before reading all of
            // the body while this site was still sending it.
            this.call = requestStream;
            requestStream.setOnReadyHandler(() -> {
                OutboundPump<HttpData> pump = pumpRef.get();
                if (pump != null) {
                    pump.onReady();
                }
            });
        }

        @Override
        public void onNext(Frame frame) {
            lastReceivedNanos = System.nanoTime();
            switch (frame.getKindCase()) {
                case RESPONSE_HEAD:
                    CompletableFuture<Boolean> back = faults.admit(owner, selfSite);
                    if (back.isDone() && !back.getNow(true)) {
                        String why = "the answer of owner site " + owner + " was lost on the way back";
                        giveUp(why);
                        call.cancel(why, new MeshUnavailableException(owner, why, null));
                        return;
                    }
                    headSeen = true;
                    if (!response.tryWrite(responseHeaders(frame.getResponseHead()))) {
                        call.cancel("response abandoned", null);
                    }
                    return;
                case DATA:
                    if (!response.tryWrite(MeshCodec.data(frame.getData()))) {
                        call.cancel("response abandoned", null);
                    }
                    return;
                default:
            }
        }

        @Override
        public void onError(Throwable t) {
            OutboundPump<HttpData> pump = pumpRef.get();
            if (pump != null) {
                pump.cancel();
                Throwable bodyFailure = pump.sourceFailure();
                if (bodyFailure != null) {
                    // The request body failed here (a client that went away, a chunk signature or
                    // checksum that did not match); that, not the owner, is why the call ended.
                    response.close(new ForwardedBodyException(bodyFailure));
                    return;
                }
            }
            if (!headSeen) {
                String why = gaveUp != null ? gaveUp : "owner site " + owner + " did not answer: " + t.getMessage();
                // Armeria says when a request never reached the other side (refused connection).
                boolean neverSent = gaveUp == null && causedBy(t, UnprocessedRequestException.class);
                response.close(new MeshUnavailableException(owner, why, t, neverSent));
            } else if (gaveUp == null && causedBy(t, com.linecorp.armeria.common.stream.ClosedStreamException.class)) {
                // A body frame sent after the owner had answered in full and closed its side: the
                // answer is complete; only the late frame was lost.
                response.close();
            } else {
                response.close(t);
            }
        }

        @Override
        public void onCompleted() {
            // The owner answered in full, possibly before it read all of the body (an early error):
            // stop sending, and read and drop what the client still sends (up to a limit), so that
            // the client gets the answer instead of a reset.
            OutboundPump<HttpData> pump = pumpRef.get();
            if (pump != null) {
                pump.cancel();
            }
            completeResponse();
        }

        private void completeResponse() {
            if (!headSeen) {
                response.close(new MeshUnavailableException(owner, "owner site " + owner + " ended without an answer", null));
            } else {
                response.close();
            }
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static ResponseHeaders responseHeaders(ResponseHead head) {
        ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.valueOf(head.getStatus()));
        for (Header h : head.getHeadersList()) {
            b.add(h.getName(), h.getValue());
        }
        return b.build();
    }

    /**
     * Asks {@code owner} for the current version of an object, sending no bytes back if
     * {@code ifNoneMatchVersion} is current. Completes with {@link FetchResult.Missing} of reason
     * UNAVAILABLE if the owner cannot be reached or does not answer within the first-byte timeout.
     * A {@link FetchResult.Found} body must be consumed or aborted by the caller.
     */
    public CompletableFuture<FetchResult> fetch(SiteInfo owner, String bucket, String key, String ifNoneMatchVersion,
                                                String requestId) {
        return fetch(owner, bucket, key, ifNoneMatchVersion, false, requestId);
    }

    /**
     * As {@link #fetch(SiteInfo, String, String, String, String)}; with {@code metadataOnly} the
     * owner answers with the current version's metadata only, as {@link FetchResult.NotModified}.
     */
    public CompletableFuture<FetchResult> fetch(SiteInfo owner, String bucket, String key, String ifNoneMatchVersion,
                                                boolean metadataOnly, String requestId) {
        return fetch(owner, bucket, key, ifNoneMatchVersion, metadataOnly, false, requestId);
    }

    /**
     * As {@link #fetch(SiteInfo, String, String, String, boolean, String)}; with {@code wantLease}
     * the owner may grant this site a read lease on the version it answers with. The caller counts
     * the lease from before it called this method.
     */
    public CompletableFuture<FetchResult> fetch(SiteInfo owner, String bucket, String key, String ifNoneMatchVersion,
                                                boolean metadataOnly, boolean wantLease, String requestId) {
        FetchRequest request = FetchRequest.newBuilder()
                .setBucket(bucket)
                .setKey(key)
                .setIfNoneMatchVersion(ifNoneMatchVersion)
                .setOriginSite(selfSite)
                .setRequestId(requestId)
                .setMetadataOnly(metadataOnly)
                .setWantLease(wantLease)
                .build();
        CompletableFuture<Boolean> admitted = faults.admit(selfSite, owner.name());
        if (admitted.isDone() && Boolean.TRUE.equals(admitted.getNow(false))) {
            return fetchNow(owner, request);
        }
        return admitted.thenCompose(ok -> ok ? fetchNow(owner, request)
                : CompletableFuture.completedFuture(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "the link to owner site " + owner.name() + " is down")));
    }

    private CompletableFuture<FetchResult> fetchNow(SiteInfo owner, FetchRequest request) {
        CompletableFuture<FetchResult> result = new CompletableFuture<>();
        SiteMeshGrpc.SiteMeshStub stub;
        try {
            stub = stub(owner);
        } catch (MeshUnavailableException e) {
            result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE, e.getMessage()));
            return result;
        }
        FetchObserver observer = new FetchObserver(owner.name(), result);
        stub.fetch(request, observer);
        watch(observer.done, () -> observer.body != null
                        && System.nanoTime() - observer.lastReceivedNanos > timeouts.idle().toNanos()
                        ? "owner site " + owner.name() + " sent nothing for " + timeouts.idle().toSeconds() + " s"
                        : null,
                why -> observer.call.cancel(why, new MeshUnavailableException(owner.name(), why, null)));
        result.orTimeout(firstByteTimeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(t -> {
            if (t instanceof TimeoutException) {
                observer.call.cancel("no answer within " + firstByteTimeout, t);
            }
            return null;
        });
        return result.handle((r, t) -> t == null ? r : new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                "owner site " + owner.name() + " did not answer within " + firstByteTimeout.toMillis() + " ms"));
    }

    private final class FetchObserver implements ClientResponseObserver<FetchRequest, Frame> {
        private final String owner;
        private final CompletableFuture<FetchResult> result;
        private ClientCallStreamObserver<FetchRequest> call;
        private volatile @Nullable InboundBody body;
        private volatile long lastReceivedNanos = System.nanoTime();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        /** The owner's answer arrived (it may still be on a delayed way to the caller). */
        private volatile boolean answered;

        FetchObserver(String owner, CompletableFuture<FetchResult> result) {
            this.owner = owner;
            this.result = result;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<FetchRequest> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(Frame frame) {
            lastReceivedNanos = System.nanoTime();
            if (body == null && frame.hasFetchHead()) {
                FetchHead head = frame.getFetchHead();
                FetchResult.Grant grant = head.getLeaseSeq() > 0 && head.getLeaseMs() > 0
                        ? new FetchResult.Grant(head.getLeaseSeq(), TimeUnit.MILLISECONDS.toNanos(head.getLeaseMs()))
                        : FetchResult.Grant.NONE;
                switch (head.getOutcome()) {
                    case FETCH_OUTCOME_FOUND:
                        InboundBody b = new InboundBody(call::request);
                        body = b;
                        deliver(new FetchResult.Found(MeshCodec.meta(head.getMeta()), b.stream(), grant));
                        call.request(FETCH_PREFETCH);
                        return;
                    case FETCH_OUTCOME_NOT_MODIFIED:
                        deliver(new FetchResult.NotModified(MeshCodec.meta(head.getMeta()), grant));
                        // Nothing follows the head; asking for it lets the call see its end.
                        call.request(1);
                        return;
                    default:
                        deliver(new FetchResult.Missing(MeshCodec.reason(head.getOutcome()), head.getMessage()));
                        call.request(1);
                        return;
                }
            }
            InboundBody b = body;
            if (b != null && frame.getKindCase() == Frame.KindCase.DATA) {
                if (!b.onData(frame.getData())) {
                    call.cancel("fetched body abandoned", null);
                }
            }
        }

        /** Hands the owner's answer to the caller, unless the way back loses or delays it. */
        private void deliver(FetchResult answer) {
            answered = true;
            CompletableFuture<Boolean> back = faults.admit(owner, selfSite);
            if (back.isDone() && Boolean.TRUE.equals(back.getNow(false))) {
                complete(answer);
                return;
            }
            back.whenComplete((ok, error) -> {
                if (Boolean.TRUE.equals(ok)) {
                    complete(answer);
                    return;
                }
                if (answer instanceof FetchResult.Found) {
                    ((FetchResult.Found) answer).body().abort();
                }
                call.cancel("answer lost", null);
                result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "the answer of owner site " + owner + " was lost on the way back"));
            });
        }

        private void complete(FetchResult answer) {
            if (!result.complete(answer)) {
                if (answer instanceof FetchResult.Found) {
                    ((FetchResult.Found) answer).body().abort();
                }
                call.cancel("fetch abandoned", null);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.complete(null);
            InboundBody b = body;
            if (b != null) {
                b.fail(new MeshUnavailableException(owner, "owner site " + owner + " failed mid-transfer", t));
            } else {
                result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "owner site " + owner + " did not answer: " + t.getMessage()));
            }
        }

        @Override
        public void onCompleted() {
            done.complete(null);
            InboundBody b = body;
            if (b != null) {
                b.complete();
            } else if (!answered) {
                result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "owner site " + owner + " ended the fetch without an answer"));
            }
        }
    }

    /**
     * Tells {@code holder} that its read leases on {@code entries} are revoked; completes with how
     * many it still held once it has stopped answering from them, or fails if it cannot be reached.
     */
    public CompletableFuture<Integer> revoke(SiteInfo holder, List<Revocation> entries) {
        RevokeRequest.Builder request = RevokeRequest.newBuilder().setOwnerSite(selfSite);
        for (Revocation r : entries) {
            request.addEntries(RevokedEntry.newBuilder().setBucket(r.bucket()).setKey(r.key()).setSeq(r.seq()));
        }
        return faults.admit(selfSite, holder.name()).thenCompose(ok -> {
            if (!ok) {
                return CompletableFuture.failedFuture(new MeshUnavailableException(holder.name(),
                        "the link to site " + holder.name() + " is down", null));
            }
            CompletableFuture<RevokeAck> ack = new CompletableFuture<>();
            stub(holder).revoke(request.build(), new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(RevokeAck value) {
                    ack.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    ack.completeExceptionally(new MeshUnavailableException(holder.name(),
                            "site " + holder.name() + " did not acknowledge a revocation: " + t.getMessage(), t));
                }

                @Override
                public void onCompleted() {
                    ack.completeExceptionally(new MeshUnavailableException(holder.name(),
                            "site " + holder.name() + " ended a revocation without an answer", null));
                }
            });
            return ack.thenCompose(a -> faults.admit(holder.name(), selfSite).thenApply(back -> {
                if (!back) {
                    throw new MeshUnavailableException(holder.name(),
                            "the acknowledgement of site " + holder.name() + " was lost on the way back", null);
                }
                return a.getDropped();
            }));
        });
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        factory.close();
    }
}
