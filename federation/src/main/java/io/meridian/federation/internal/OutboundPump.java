package io.meridian.federation.internal;

import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import io.meridian.federation.proto.Frame;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Sends a reactive stream over a gRPC call as frames, asking the stream for the next element only
 * when the call can take one more ({@link CallStreamObserver#isReady()}). The owner of the call
 * must route the call's on-ready signal to {@link #onReady()} and may {@link #cancel()} the pump.
 *
 * <p>gRPC observers are not thread-safe; every call into {@code out} happens under one lock.
 */
public final class OutboundPump<T> implements Subscriber<T> {

    private final CallStreamObserver<Frame> out;
    private final Function<? super T, @Nullable Frame> toFrame;
    private final boolean completeCall;
    private volatile @Nullable Throwable sourceFailure;
    private volatile long lastSentNanos = System.nanoTime();
    private volatile long sourceCompletedNanos;
    private long drainLimit = -1;
    private long drained;
    private final Object lock = new Object();
    private @Nullable Subscription subscription;
    private boolean demandPending;
    private boolean done;

    /**
     * @param toFrame turns an element into a frame, or returns {@code null} to skip it
     * @param completeCall whether the end of the stream also completes the call
     */
    public OutboundPump(CallStreamObserver<Frame> out, Function<? super T, @Nullable Frame> toFrame,
                        boolean completeCall) {
        this.out = out;
        this.toFrame = toFrame;
        this.completeCall = completeCall;
    }

    /** Sends one frame ahead of the stream (a head frame). */
    public void sendFirst(Frame frame) {
        synchronized (lock) {
            if (!done) {
                out.onNext(frame);
            }
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        boolean cancel;
        synchronized (lock) {
            cancel = done;
            subscription = s;
        }
        if (cancel) {
            s.cancel();
        } else {
            requestIfReady();
        }
    }

    /**
     * Stops sending and instead reads and throws away up to {@code limit} more bytes of the source,
     * then cancels it: the receiver answered early and the source's producer (a client still
     * uploading) should not be cut off under that answer.
     */
    public void drain(long limit) {
        Subscription s;
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            drainLimit = limit;
            s = subscription;
        }
        if (s != null) {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(T item) {
        synchronized (lock) {
            if (drainLimit >= 0) {
                if (item instanceof com.linecorp.armeria.common.HttpData) {
                    drained += ((com.linecorp.armeria.common.HttpData) item).length();
                    ((com.linecorp.armeria.common.HttpData) item).close();
                }
                if (drained > drainLimit && subscription != null) {
                    subscription.cancel();
                }
                return;
            }
        }
        Frame frame = toFrame.apply(item);
        synchronized (lock) {
            if (done) {
                return;
            }
            if (frame != null) {
                out.onNext(frame);
                lastSentNanos = System.nanoTime();
            }
        }
        requestIfReady();
    }

    /** To be called from the gRPC call's on-ready handler. */
    public void onReady() {
        synchronized (lock) {
            if (!demandPending) {
                return;
            }
        }
        requestIfReady();
    }

    private void requestIfReady() {
        Subscription s;
        synchronized (lock) {
            if (done || subscription == null) {
                return;
            }
            if (!out.isReady()) {
                demandPending = true;
                return;
            }
            demandPending = false;
            s = subscription;
        }
        s.request(1);
    }

    /** Returns why the source stream failed, if it did (for example a body that failed its checks). */
    public @Nullable Throwable sourceFailure() {
        return sourceFailure;
    }

    @Override
    public void onError(Throwable t) {
        sourceFailure = t;
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            out.onError(Status.UNAVAILABLE.withDescription("stream failed: " + t).withCause(t).asRuntimeException());
        }
    }

    /** Returns when a frame was last sent (System.nanoTime), or when the pump was made. */
    public long lastSentNanos() {
        return lastSentNanos;
    }

    /** Returns when the source stream completed (System.nanoTime), or 0 if it has not. */
    public long sourceCompletedNanos() {
        return sourceCompletedNanos;
    }

    @Override
    public void onComplete() {
        sourceCompletedNanos = System.nanoTime();
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            if (completeCall) {
                out.onCompleted();
            }
        }
    }

    /** Stops sending and cancels the source stream; the call itself is left to its owner. */
    public void cancel() {
        Subscription s;
        synchronized (lock) {
            done = true;
            s = subscription;
        }
        if (s != null) {
            s.cancel();
        }
    }
}
