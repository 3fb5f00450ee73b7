package io.meridian.federation;

import com.linecorp.armeria.client.ClientFactory;
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
import io.meridian.federation.proto.SiteMeshGrpc;
import io.meridian.namespace.SiteInfo;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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

    private final String selfSite;
    private final Duration firstByteTimeout;
    private final ClientFactory factory;
    private final Map<String, SiteMeshGrpc.SiteMeshStub> stubs = new ConcurrentHashMap<>();

    /**
     * @param firstByteTimeout how long to wait for the owner's first answer before giving up on it
     */
    public MeshClient(String selfSite, Duration firstByteTimeout) {
        this.selfSite = selfSite;
        this.firstByteTimeout = firstByteTimeout;
        this.factory = ClientFactory.builder()
                .idleTimeout(Duration.ofMinutes(1))
                .build();
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
        HttpResponseWriter response = HttpResponse.streaming();
        AtomicReference<OutboundPump<HttpData>> pumpRef = new AtomicReference<>();
        ForwardObserver observer = new ForwardObserver(owner.name(), response, pumpRef);
        SiteMeshGrpc.SiteMeshStub stub;
        try {
            stub = stub(owner);
        } catch (MeshUnavailableException e) {
            request.body().abort();
            response.close(e);
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

        ForwardObserver(String owner, HttpResponseWriter response, AtomicReference<OutboundPump<HttpData>> pumpRef) {
            this.owner = owner;
            this.response = response;
            this.pumpRef = pumpRef;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Frame> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
            requestStream.setOnReadyHandler(() -> {
                OutboundPump<HttpData> pump = pumpRef.get();
                if (pump != null) {
                    pump.onReady();
                }
            });
        }

        @Override
        public void onNext(Frame frame) {
            switch (frame.getKindCase()) {
                case RESPONSE_HEAD:
                    headSeen = true;
                    if (!response.tryWrite(responseHeaders(frame.getResponseHead()))) {
                        call.cancel("response abandoned", null);
                        return;
                    }
                    break;
                case DATA:
                    if (!response.tryWrite(MeshCodec.data(frame.getData()))) {
                        call.cancel("response abandoned", null);
                        return;
                    }
                    break;
                default:
                    return;
            }
            response.whenConsumed().thenRun(() -> call.request(1));
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
                    response.close(bodyFailure);
                    return;
                }
            }
            if (!headSeen) {
                response.close(new MeshUnavailableException(owner,
                        "owner site " + owner + " did not answer: " + t.getMessage(), t));
            } else {
                response.close(t);
            }
        }

        @Override
        public void onCompleted() {
            if (!headSeen) {
                response.close(new MeshUnavailableException(owner, "owner site " + owner + " ended without an answer", null));
            } else {
                response.close();
            }
        }
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
        CompletableFuture<FetchResult> result = new CompletableFuture<>();
        SiteMeshGrpc.SiteMeshStub stub;
        try {
            stub = stub(owner);
        } catch (MeshUnavailableException e) {
            result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE, e.getMessage()));
            return result;
        }
        FetchObserver observer = new FetchObserver(owner.name(), result);
        stub.fetch(FetchRequest.newBuilder()
                .setBucket(bucket)
                .setKey(key)
                .setIfNoneMatchVersion(ifNoneMatchVersion)
                .setOriginSite(selfSite)
                .setRequestId(requestId)
                .build(), observer);
        result.orTimeout(firstByteTimeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(t -> {
            if (t instanceof TimeoutException) {
                observer.call.cancel("no answer within " + firstByteTimeout, t);
            }
            return null;
        });
        return result.handle((r, t) -> t == null ? r : new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                "owner site " + owner.name() + " did not answer within " + firstByteTimeout.toMillis() + " ms"));
    }

    private static final class FetchObserver implements ClientResponseObserver<FetchRequest, Frame> {
        private final String owner;
        private final CompletableFuture<FetchResult> result;
        private ClientCallStreamObserver<FetchRequest> call;
        private @Nullable InboundBody body;

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
            if (body == null && frame.hasFetchHead()) {
                FetchHead head = frame.getFetchHead();
                switch (head.getOutcome()) {
                    case FETCH_OUTCOME_FOUND:
                        body = new InboundBody(call::request);
                        if (!result.complete(new FetchResult.Found(MeshCodec.meta(head.getMeta()), body.stream()))) {
                            call.cancel("fetch abandoned", null);
                            return;
                        }
                        call.request(1);
                        return;
                    case FETCH_OUTCOME_NOT_MODIFIED:
                        result.complete(new FetchResult.NotModified(MeshCodec.meta(head.getMeta())));
                        return;
                    default:
                        result.complete(new FetchResult.Missing(MeshCodec.reason(head.getOutcome()),
                                head.getMessage()));
                        return;
                }
            }
            if (body != null && frame.getKindCase() == Frame.KindCase.DATA) {
                if (!body.onData(frame.getData())) {
                    call.cancel("fetched body abandoned", null);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (body != null) {
                body.fail(new MeshUnavailableException(owner, "owner site " + owner + " failed mid-transfer", t));
            } else {
                result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "owner site " + owner + " did not answer: " + t.getMessage()));
            }
        }

        @Override
        public void onCompleted() {
            if (body != null) {
                body.complete();
            } else {
                result.complete(new FetchResult.Missing(FetchResult.Reason.UNAVAILABLE,
                        "owner site " + owner + " ended the fetch without an answer"));
            }
        }
    }

    @Override
    public void close() {
        factory.close();
    }
}
