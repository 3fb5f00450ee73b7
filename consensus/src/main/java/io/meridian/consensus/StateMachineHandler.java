package io.meridian.consensus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The deterministic state machine a {@link ReplicatedGroup} replicates.
 *
 * <p>{@link #apply} is called on one thread, in log order, on every member. It must not read
 * clocks, use randomness or depend on anything but its current state and the command, so that all
 * members reach the same state. An exception thrown by {@code apply} is treated as unrecoverable:
 * the member stops rather than drift from its peers. Commands that are merely invalid must be
 * answered with a result that says so, not with an exception.
 */
public interface StateMachineHandler {

    /** Applies the command committed at {@code index} and returns the result for its submitter. */
    byte[] apply(long index, byte[] command);

    /** Answers a read-only query from the current state. May run concurrently with {@link #apply}. */
    byte[] query(byte[] query);

    /** Writes the whole current state; called on the apply thread, between two applies. */
    void writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the whole current state with one written by {@link #writeSnapshot}. */
    void readSnapshot(InputStream in) throws IOException;
}
