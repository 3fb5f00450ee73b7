package io.meridian.federation.internal;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.protobuf.ByteString;
import com.linecorp.armeria.common.HttpData;
import io.meridian.federation.FetchResult;
import io.meridian.federation.proto.FetchOutcome;
import io.meridian.federation.proto.Header;
import io.meridian.federation.proto.ObjectMetaProto;
import io.meridian.namespace.ObjectMeta;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;

/** Translates between mesh wire messages and domain types: the one place that does. */
public final class MeshCodec {

    private MeshCodec() {}

    public static ObjectMetaProto meta(ObjectMeta m) {
        return ObjectMetaProto.newBuilder()
                .setVersionId(m.versionId())
                .setEtag(m.etag())
                .setSize(m.size())
                .setLastModifiedMs(m.lastModifiedMs())
                .setContentType(m.contentType())
                .putAllHeaders(m.headers())
                .putAllUserMetadata(m.userMetadata())
                .setPartCount(m.partCount())
                .setEpoch(m.epoch())
                .build();
    }

    public static ObjectMeta meta(ObjectMetaProto p) {
        return new ObjectMeta(p.getVersionId(), p.getEtag(), p.getSize(), p.getLastModifiedMs(),
                p.getContentType(), ImmutableMap.copyOf(p.getHeadersMap()),
                ImmutableMap.copyOf(p.getUserMetadataMap()), p.getPartCount(), p.getEpoch());
    }

    static List<Header> headers(List<Map.Entry<String, String>> entries) {
        return entries.stream()
                .map(e -> Header.newBuilder().setName(e.getKey()).setValue(e.getValue()).build())
                .collect(ImmutableList.toImmutableList());
    }

    static ImmutableList<Map.Entry<String, String>> entries(List<Header> headers) {
        return headers.stream()
                .map(h -> Map.entry(h.getName(), h.getValue()))
                .collect(ImmutableList.toImmutableList());
    }

    /** Copies an Armeria chunk into a protobuf one and releases the chunk. */
    public static ByteString bytes(HttpData data) {
        try {
            return ByteString.copyFrom(data.byteBuf().nioBuffer());
        } finally {
            data.close();
        }
    }

    /** Wraps protobuf bytes as an Armeria chunk without copying. */
    public static HttpData data(ByteString bytes) {
        return HttpData.wrap(Unpooled.wrappedBuffer(bytes.asReadOnlyByteBuffer()));
    }

    public static FetchOutcome outcome(FetchResult.Reason reason) {
        switch (reason) {
            case NO_SUCH_KEY:
                return FetchOutcome.FETCH_OUTCOME_NO_SUCH_KEY;
            case NO_SUCH_BUCKET:
                return FetchOutcome.FETCH_OUTCOME_NO_SUCH_BUCKET;
            case NOT_OWNER:
                return FetchOutcome.FETCH_OUTCOME_NOT_OWNER;
            default:
                return FetchOutcome.FETCH_OUTCOME_UNAVAILABLE;
        }
    }

    public static FetchResult.Reason reason(FetchOutcome outcome) {
        switch (outcome) {
            case FETCH_OUTCOME_NO_SUCH_KEY:
                return FetchResult.Reason.NO_SUCH_KEY;
            case FETCH_OUTCOME_NO_SUCH_BUCKET:
                return FetchResult.Reason.NO_SUCH_BUCKET;
            case FETCH_OUTCOME_NOT_OWNER:
                return FetchResult.Reason.NOT_OWNER;
            default:
                return FetchResult.Reason.UNAVAILABLE;
        }
    }
}
