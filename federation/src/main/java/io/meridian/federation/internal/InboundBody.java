package io.meridian.federation.internal;

import com.google.protobuf.ByteString;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.common.stream.StreamWriter;
import java.util.function.IntConsumer;

/**
 * Turns data frames arriving on a gRPC call into a reactive stream of chunks, asking the call for
 * the next frame only once the stream's reader has consumed the previous one.
 */
public final class InboundBody {

    private final StreamWriter<HttpData> writer = StreamMessage.streaming();
    private final IntConsumer request;

    /** @param request asks the gRPC call for more messages (thread-safe in gRPC) */
    public InboundBody(IntConsumer request) {
        this.request = request;
    }

    /** Returns the stream the frames feed. */
    public StreamMessage<HttpData> stream() {
        return writer;
    }

    /** Feeds one data frame. Returns false if the reader went away; the caller then cancels the call. */
    public boolean onData(ByteString bytes) {
        if (!writer.tryWrite(MeshCodec.data(bytes))) {
            return false;
        }
        writer.whenConsumed().thenRun(() -> request.accept(1));
        return true;
    }

    public void complete() {
        writer.close();
    }

    public void fail(Throwable cause) {
        writer.close(cause);
    }

    /** Returns true once the reader cancelled or the stream ended. */
    public boolean isOpen() {
        return writer.isOpen();
    }
}
