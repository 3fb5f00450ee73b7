package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Disposes of a request body that will not be used because the request is answered early (with
 * an error, or because it needs no body).
 *
 * <p>Aborting would make the server close the connection while the client is still sending, and
 * the client's TCP stack may then drop the answer it had not read yet (a reset). So a body of a
 * modest size is read and thrown away instead, and the connection survives; a larger one is cut
 * off once {@link #DRAIN_LIMIT} bytes were thrown away (clients that send {@code Expect:
 * 100-continue}, as SDKs do for uploads, never send it at all).
 */
final class Bodies {

    /** How much of an unwanted body is read and thrown away before the connection is cut instead. */
    static final long DRAIN_LIMIT = 8L << 20;

    private Bodies() {}

    static void discard(StreamMessage<?> body) {
        body.subscribe(new Drain());
    }

    /** Reads and throws away what is left of a body being read as a stream, up to the limit. */
    static void skipRest(java.io.InputStream in) {
        byte[] buf = new byte[64 * 1024];
        long skipped = 0;
        try {
            int n;
            while (skipped <= DRAIN_LIMIT && (n = in.read(buf)) >= 0) {
                skipped += n;
            }
        } catch (java.io.IOException ignored) {
            // the client went away, or the body failed its checks: nothing left to skip
        }
    }

    private static final class Drain implements Subscriber<Object> {
        private Subscription subscription;
        private long drained;

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Object item) {
            if (item instanceof HttpData) {
                HttpData data = (HttpData) item;
                drained += data.length();
                data.close();
            }
            if (drained > DRAIN_LIMIT) {
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            // Already subscribed elsewhere, already aborted, or the client went away: nothing to do.
        }

        @Override
        public void onComplete() {
        }
    }
}
