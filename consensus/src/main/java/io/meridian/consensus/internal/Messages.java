package io.meridian.consensus.internal;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.ByteBuffer;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Converts between the byte arrays of the public API and Ratis messages, whose payloads are shaded
 * protobuf {@link ByteString}s. Every such conversion in this module goes through here.
 *
 * <p>Read-only requests carry a one-byte kind ahead of their payload, so that the adapter can
 * answer its own queries (the applied index, for {@code barrier()}) next to the handler's.
 */
final class Messages {

    /** The kind byte of a query for the handler. */
    static final byte HANDLER_QUERY = 1;
    /** The kind byte of a query for the index of the last entry the answering member applied. */
    static final byte APPLIED_INDEX_QUERY = 2;

    private Messages() {}

    static ByteString toByteString(byte[] bytes) {
        return ByteString.copyFrom(bytes);
    }

    static byte[] toBytes(ByteString bytes) {
        return bytes.toByteArray();
    }

    static Message toMessage(byte[] bytes) {
        return Message.valueOf(toByteString(bytes));
    }

    static byte[] toBytes(Message message) {
        return message == null ? new byte[0] : toBytes(message.getContent());
    }

    static Message handlerQuery(byte[] query) {
        return Message.valueOf(ByteString.copyFrom(new byte[] {HANDLER_QUERY}).concat(toByteString(query)));
    }

    static Message appliedIndexQuery() {
        return Message.valueOf(ByteString.copyFrom(new byte[] {APPLIED_INDEX_QUERY}));
    }

    /** Returns the kind byte of a read-only request made by {@link #handlerQuery} or {@link #appliedIndexQuery}. */
    static byte queryKind(Message query) {
        ByteString content = query.getContent();
        checkArgument(!content.isEmpty(), "empty query: every query starts with its kind byte");
        return content.byteAt(0);
    }

    /** Returns the handler's query carried by a request made by {@link #handlerQuery}. */
    static byte[] handlerQueryPayload(Message query) {
        return toBytes(query.getContent().substring(1));
    }

    static Message appliedIndexAnswer(long index) {
        return Message.valueOf(ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).putLong(0, index)));
    }

    static long parseAppliedIndexAnswer(Message answer) {
        ByteString content = answer.getContent();
        checkArgument(content.size() == Long.BYTES,
                "an applied-index answer has %s bytes, got %s", Long.BYTES, content.size());
        return content.asReadOnlyByteBuffer().getLong();
    }
}
