package io.meridian.consensus.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Futures that complete once the local state machine has applied a given log index.
 *
 * <p>The apply path calls {@link #advanceTo} after each entry; the futures it releases are
 * completed on {@code completionExecutor}, so that callers' callbacks never run on (and never
 * stall) the apply thread.
 */
final class AppliedIndexWaiters {

    private final Executor completionExecutor;

    private final NavigableMap<Long, CompletableFuture<Void>> waiting = new TreeMap<>();
    private long applied = -1;
    private Throwable failure;

    AppliedIndexWaiters(Executor completionExecutor) {
        this.completionExecutor = completionExecutor;
    }

    /** Returns a future that completes once {@code index} has been applied. */
    CompletableFuture<Void> await(long index) {
        synchronized (this) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (index <= applied) {
                return CompletableFuture.completedFuture(null);
            }
            // Callers get a copy, so that one caller cancelling does not cancel the others.
            return waiting.computeIfAbsent(index, i -> new CompletableFuture<>()).copy();
        }
    }

    /** Records that every index up to {@code index} has been applied, and releases their waiters. */
    void advanceTo(long index) {
        List<CompletableFuture<Void>> released;
        synchronized (this) {
            if (index <= applied) {
                return;
            }
            applied = index;
            if (waiting.isEmpty() || waiting.firstKey() > index) {
                return;
            }
            NavigableMap<Long, CompletableFuture<Void>> ready = waiting.headMap(index, true);
            released = new ArrayList<>(ready.values());
            ready.clear();
        }
        complete(released, null);
    }

    /** Fails every current and future waiter with {@code cause}. */
    void failAll(Throwable cause) {
        List<CompletableFuture<Void>> released;
        synchronized (this) {
            if (failure == null) {
                failure = cause;
            }
            released = new ArrayList<>(waiting.values());
            waiting.clear();
        }
        complete(released, cause);
    }

    private void complete(List<CompletableFuture<Void>> futures, Throwable cause) {
        Runnable completion = () -> futures.forEach(
                f -> {
                    if (cause == null) {
                        f.complete(null);
                    } else {
                        f.completeExceptionally(cause);
                    }
                });
        try {
            completionExecutor.execute(completion);
        } catch (RejectedExecutionException e) {
            // The group is closing and its executor is gone; complete here rather than strand the waiters.
            completion.run();
        }
    }
}
