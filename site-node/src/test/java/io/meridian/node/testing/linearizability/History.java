package io.meridian.node.testing.linearizability;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Records register operations from concurrent clients for a {@link LinearizabilityChecker}. Safe for use
 * by many threads.
 *
 * <p>A client calls {@link #invoke} just before it sends a request and completes the returned
 * {@link Pending} as soon as it has the outcome, so that the recorded interval contains the moment the
 * system applied the operation.
 */
public final class History {

    private final LongSupplier nanoClock;
    private final List<Pending> invoked = new ArrayList<>();

    /** A history timed by {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** A history timed by {@code nanoClock}, which must be monotonic (a fake clock in simulations). */
    public History(LongSupplier nanoClock) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Records the invocation of an operation and returns the handle that records its outcome.
     *
     * @param value the value to write for a {@link Kind#WRITE}; {@code null} for a delete or a read,
     *     whose observed value is given to {@link Pending#read}
     */
    public Pending invoke(int client, String key, Kind kind, @Nullable String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        checkArgument((kind == Kind.WRITE) == (value != null),
                "%s of key '%s' by client %s: only a WRITE takes a value, got '%s'", kind, key, client, value);
        long now = nanoClock.getAsLong();
        synchronized (this) {
            Pending pending = new Pending(invoked.size(), client, key, kind, value, now);
            invoked.add(pending);
            return pending;
        }
    }

    /**
     * Returns the recorded operations in invocation order. Failed operations and reads without an
     * outcome are left out; a write or delete still pending is included with an unknown outcome,
     * since it may yet take effect.
     */
    public synchronized List<Operation> operations() {
        List<Operation> ops = new ArrayList<>(invoked.size());
        for (Pending p : invoked) {
            Operation op = p.toOperation();
            if (op != null) {
                ops.add(op);
            }
        }
        return ops;
    }

    /** Returns {@link #operations()} grouped by key, keys in sorted order. */
    public Map<String, List<Operation>> byKey() {
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : operations()) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        return byKey;
    }

    private enum Status { PENDING, OK, READ, UNKNOWN, FAILED }

    /** An invoked operation waiting for its outcome; complete it exactly once. */
    public final class Pending {

        private final long id;
        private final int client;
        private final String key;
        private final Kind kind;
        private final @Nullable String value;
        private final long invokedNanos;

        private Status status = Status.PENDING;
        private @Nullable String observed;
        private long completedNanos = Long.MAX_VALUE;

        private Pending(long id, int client, String key, Kind kind, @Nullable String value, long invokedNanos) {
            this.id = id;
            this.client = client;
            this.key = key;
            this.kind = kind;
            this.value = value;
            this.invokedNanos = invokedNanos;
        }

        /** Returns the id the recorded {@link Operation} will carry. */
        public long id() {
            return id;
        }

        /** Records that the write or delete took effect. */
        public void ok() {
            checkState(kind != Kind.READ, "operation #%s is a READ: complete it with read(observed)", id);
            complete(Status.OK, null);
        }

        /** Records that the read observed {@code observed}, {@code null} meaning the key was absent. */
        public void read(@Nullable String observed) {
            checkState(kind == Kind.READ, "operation #%s is a %s: complete it with ok()", id, kind);
            complete(Status.READ, observed);
        }

        /**
         * Records that the outcome is unknown: a write or delete may have taken effect at any time after
         * its invocation, or never; a read is dropped.
         */
        public void unknown() {
            complete(Status.UNKNOWN, null);
        }

        /** Records that the operation certainly did not take effect; it is dropped from the history. */
        public void failed() {
            complete(Status.FAILED, null);
        }

        private void complete(Status outcome, @Nullable String observedValue) {
            long now = nanoClock.getAsLong();
            synchronized (History.this) {
                checkState(status == Status.PENDING, "operation #%s was already completed as %s", id, status);
                status = outcome;
                observed = observedValue;
                if (outcome != Status.UNKNOWN) {
                    completedNanos = now;
                }
            }
        }

        private @Nullable Operation toOperation() {
            return switch (status) {
                case OK -> new Operation(id, client, key, kind, value, invokedNanos, completedNanos, true);
                case READ -> new Operation(id, client, key, kind, observed, invokedNanos, completedNanos, true);
                case PENDING, UNKNOWN -> kind == Kind.READ
                        ? null
                        : new Operation(id, client, key, kind, value, invokedNanos, Long.MAX_VALUE, false);
                case FAILED -> null;
            };
        }
    }
}
