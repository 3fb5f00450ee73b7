package io.meridian.federation;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.namespace.ObjectMeta;

/** The owner's answer to a fetch of one object. */
public sealed interface FetchResult {

    /** The current version differs from the caller's: here it is, with its bytes. */
    record Found(ObjectMeta meta, StreamMessage<HttpData> body) implements FetchResult {}

    /** The caller's version is current. */
    record NotModified(ObjectMeta meta) implements FetchResult {}

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
