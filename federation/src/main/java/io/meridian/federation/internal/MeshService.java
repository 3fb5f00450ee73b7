package io.meridian.federation.internal;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.ResponseHeaders;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meridian.federation.FetchResult;
import io.meridian.federation.ForwardedRequest;
import io.meridian.federation.LocalSite;
import io.meridian.federation.proto.FetchHead;
import io.meridian.federation.proto.FetchOutcome;
import io.meridian.federation.proto.FetchRequest;
import io.meridian.federation.proto.Frame;
import io.meridian.federation.proto.Header;
import io.meridian.federation.proto.RequestHead;
import io.meridian.federation.proto.ResponseHead;
import io.meridian.federation.proto.RevokeAck;
import io.meridian.federation.proto.RevokeRequest;
import io.meridian.federation.proto.RevokedEntry;
import io.meridian.federation.Revocation;
import io.meridian.federation.proto.SiteMeshGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The owner's side of the mesh: executes forwarded requests and answers fetches. */
public final class MeshService extends SiteMeshGrpc.SiteMeshImplBase {

    private static final Logger log = LoggerFactory.getLogger(MeshService.class);

    private final LocalSite site;

    public MeshService(LocalSite site) {
        this.site = site;
    }

    @Override
    public StreamObserver<Frame> forward(StreamObserver<Frame> responseObserver) {
        ServerCallStreamObserver<Frame> out = (ServerCallStreamObserver<Frame>) responseObserver;
        out.disableAutoRequest();
        ForwardCall call = new ForwardCall(out);
        out.setOnReadyHandler(call::onReady);
        out.setOnCancelHandler(call::onCancel);
        out.request(1);
        return call;
    }

    private final class ForwardCall implements StreamObserver<Frame> {
        private final ServerCallStreamObserver<Frame> out;
        private @Nullable InboundBody body;
        private @Nullable OutboundPump<HttpObject> pump;

        ForwardCall(ServerCallStreamObserver<Frame> out) {
            this.out = out;
        }

        @Override
        public void onNext(Frame frame) {
            if (body == null) {
                if (!frame.hasRequestHead()) {
                    out.onError(Status.INVALID_ARGUMENT.withDescription("first frame must be a request head")
                            .asRuntimeException());
                    return;
                }
                start(frame.getRequestHead());
                return;
            }
            if (frame.getKindCase() != Frame.KindCase.DATA) {
                body.fail(new IllegalStateException("unexpected frame " + frame.getKindCase()));
                return;
            }
            if (!body.onData(frame.getData())) {
                log.debug("Forwarded request body was abandoned by its handler");
            }
        }

        private void start(RequestHead head) {
            body = new InboundBody(out::request);
            ForwardedRequest request = new ForwardedRequest(head.getMethod(), head.getBucket(),
                    head.hasKey() ? head.getKey() : null, MeshCodec.entries(head.getQueryList()),
                    MeshCodec.entries(head.getHeadersList()), head.getAccessKeyId(), head.getOriginSite(),
                    head.getContentLength(), head.getRequestId(), body.stream());
            HttpResponse response;
            try {
                response = site.executeForwarded(request);
            } catch (RuntimeException e) {
                log.error("Forwarded request {} failed", head.getRequestId(), e);
                body.fail(e);
                out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                return;
            }
            OutboundPump<HttpObject> p = new OutboundPump<>(out, MeshService::responseFrame, true);
            synchronized (this) {
                pump = p;
            }
            response.subscribe(p);
            // Ask for the first body frame; later ones are asked for as the handler consumes them.
            out.request(1);
        }

        void onReady() {
            OutboundPump<HttpObject> p;
            synchronized (this) {
                p = pump;
            }
            if (p != null) {
                p.onReady();
            }
        }

        void onCancel() {
            OutboundPump<HttpObject> p;
            synchronized (this) {
                p = pump;
            }
            if (body != null) {
                body.fail(new IllegalStateException("the forwarding site cancelled the request"));
            }
            if (p != null) {
                p.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            if (body != null) {
                body.fail(t);
            }
        }

        @Override
        public void onCompleted() {
            if (body != null) {
                body.complete();
            }
        }
    }

    private static @Nullable Frame responseFrame(HttpObject object) {
        if (object instanceof ResponseHeaders) {
            ResponseHeaders headers = (ResponseHeaders) object;
            if (headers.status().isInformational()) {
                return null;
            }
            ResponseHead.Builder head = ResponseHead.newBuilder().setStatus(headers.status().code());
            headers.forEach((name, value) -> {
                if (!name.toString().startsWith(":")) {
                    head.addHeaders(Header.newBuilder().setName(name.toString()).setValue(value));
                }
            });
            return Frame.newBuilder().setResponseHead(head).build();
        }
        if (object instanceof HttpData) {
            HttpData data = (HttpData) object;
            if (data.isEmpty()) {
                data.close();
                return null;
            }
            return Frame.newBuilder().setData(MeshCodec.bytes(data)).build();
        }
        return null;
    }

    @Override
    public void fetch(FetchRequest request, StreamObserver<Frame> responseObserver) {
        ServerCallStreamObserver<Frame> out = (ServerCallStreamObserver<Frame>) responseObserver;
        // gRPC takes its handlers only while this method runs; the pump they drive comes later.
        AtomicReference<OutboundPump<HttpData>> pumpRef = new AtomicReference<>();
        out.setOnReadyHandler(() -> {
            OutboundPump<HttpData> p = pumpRef.get();
            if (p != null) {
                p.onReady();
            }
        });
        out.setOnCancelHandler(() -> {
            OutboundPump<HttpData> p = pumpRef.get();
            if (p != null) {
                p.cancel();
            }
        });
        site.fetchLocal(request.getBucket(), request.getKey(), request.getIfNoneMatchVersion(),
                        request.getMetadataOnly(), request.getWantLease() ? request.getOriginSite() : null)
                .whenComplete((result, error) -> {
                    if (error != null) {
                        log.warn("Fetch of {}/{} failed", request.getBucket(), request.getKey(), error);
                        out.onError(Status.INTERNAL.withDescription(error.toString()).asRuntimeException());
                        return;
                    }
                    sendFetch(out, result, pumpRef);
                });
    }

    private static void sendFetch(ServerCallStreamObserver<Frame> out, FetchResult result,
                                  AtomicReference<OutboundPump<HttpData>> pumpRef) {
        if (result instanceof FetchResult.Found) {
            FetchResult.Found found = (FetchResult.Found) result;
            OutboundPump<HttpData> pump = new OutboundPump<>(out,
                    data -> data.isEmpty() ? null : Frame.newBuilder().setData(MeshCodec.bytes(data)).build(), true);
            pumpRef.set(pump);
            if (out.isCancelled()) {
                found.body().abort();
                return;
            }
            pump.sendFirst(Frame.newBuilder().setFetchHead(withGrant(FetchHead.newBuilder()
                    .setOutcome(FetchOutcome.FETCH_OUTCOME_FOUND)
                    .setMeta(MeshCodec.meta(found.meta())), found.grant())).build());
            found.body().subscribe(pump);
            return;
        }
        FetchHead.Builder head = FetchHead.newBuilder();
        if (result instanceof FetchResult.NotModified) {
            FetchResult.NotModified current = (FetchResult.NotModified) result;
            withGrant(head.setOutcome(FetchOutcome.FETCH_OUTCOME_NOT_MODIFIED)
                    .setMeta(MeshCodec.meta(current.meta())), current.grant());
        } else {
            FetchResult.Missing missing = (FetchResult.Missing) result;
            head.setOutcome(MeshCodec.outcome(missing.reason())).setMessage(missing.message());
        }
        out.onNext(Frame.newBuilder().setFetchHead(head).build());
        out.onCompleted();
    }


    private static FetchHead.Builder withGrant(FetchHead.Builder head, FetchResult.Grant grant) {
        if (grant.granted()) {
            head.setLeaseSeq(grant.seq()).setLeaseMs(TimeUnit.NANOSECONDS.toMillis(grant.leaseNanos()));
        }
        return head;
    }

    @Override
    public void revoke(RevokeRequest request, StreamObserver<RevokeAck> responseObserver) {
        List<Revocation> entries = new ArrayList<>(request.getEntriesCount());
        for (RevokedEntry e : request.getEntriesList()) {
            entries.add(new Revocation(e.getBucket(), e.getKey(), e.getSeq()));
        }
        int dropped;
        try {
            dropped = site.revoke(request.getOwnerSite(), entries);
        } catch (RuntimeException e) {
            log.error("Revocation from {} failed", request.getOwnerSite(), e);
            responseObserver.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            return;
        }
        responseObserver.onNext(RevokeAck.newBuilder().setDropped(dropped).build());
        responseObserver.onCompleted();
    }
}
