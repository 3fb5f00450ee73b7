package io.meridian.federation;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.namespace.ObjectMeta;

/** The owner's answer to a fetch of one object. */
public sealed interface FetchResult {

    /**
     * A read lease the owner granted with its answer, on the version the answer names.
     *
     * @param seq the grant's sequence number for this entry; 0 if no lease was granted
     * @param leaseNanos how long the lease lasts, counted by the holder from when it sent the fetch
     */
    record Grant(long seq, long leaseNanos) {
        public static final Grant NONE = new Grant(0, 0);

        public boolean granted() {
            return seq > 0 && leaseNanos > 0;
        }
    }

    /** The current version differs from the caller's: here it is, with its bytes. */
    record Found(ObjectMeta meta, StreamMessage<HttpData> body, Grant grant) implements FetchResult {
        public Found(ObjectMeta meta, StreamMessage<HttpData> body) {
            this(meta, body, Grant.NONE);
        }
    }

    /** The caller's version is current (or only metadata was asked for). */
    record NotModified(ObjectMeta meta, Grant grant) implements FetchResult {
        public NotModified(ObjectMeta meta) {
            this(meta, Grant.NONE);
        }
    }

    /** There is nothing to read, or the asked site could not answer; {@code message} says why. */
    record Missing(Reason reason, String message) implements FetchResult {}

    /** Why a fetch found nothing. */
    enum Reason {
        NO_SUCH_KEY,
        NO_SUCH_BUCKET,
        NOT_OWNER,
        UNAVAILABLE
    }
}
