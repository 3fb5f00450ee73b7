package io.meridian.consensus;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One replicated state machine shared by a set of members: commands submitted at any member are
 * ordered by the group and applied, in the same order, by every member's {@link StateMachineHandler}.
 *
 * <p>Implementations hide the consensus engine; nothing above this module sees its types. Futures
 * returned here never throw from the call itself: failures complete them exceptionally, with a
 * {@link ConsensusException} saying what went wrong. They are completed on threads of the engine,
 * so callers must not block in their callbacks.
 */
public interface ReplicatedGroup extends AutoCloseable {

    /** Returns a builder for a group backed by Apache Ratis. */
    static ReplicatedGroupBuilder builder() {
        return new ReplicatedGroupBuilder();
    }

    /** Starts this member: opens (or formats) its storage, replays its log and joins the group. */
    void start() throws IOException;

    /**
     * Replicates {@code command} and completes with what this group's handler returned when it
     * applied it. The command is applied exactly once if the future completes normally; if it
     * completes exceptionally the command may or may not have been applied.
     *
     * <p>Commands submitted at one member are ordered in the order of the calls. Fails with
     * {@link ConsensusException.Reason#UNAVAILABLE} once the request timeout has passed without a
     * leader committing the command, and with {@link ConsensusException.Reason#APPLY_FAILED} if the
     * handler threw while applying it. Blocks the calling thread only while a thousand submits from
     * this member are already in flight (back-pressure).
     */
    CompletableFuture<byte[]> submit(byte[] command);

    /**
     * Runs a read-only {@code query} against the state of a member that is known to have applied
     * everything committed before this call (a linearizable read). The leader confirms with a
     * majority that it still leads before the query runs, so a deposed leader never answers.
     * Fails with {@link ConsensusException.Reason#QUERY_FAILED} if the handler threw, and with
     * {@link ConsensusException.Reason#UNAVAILABLE} if no majority answered within the request timeout.
     */
    CompletableFuture<byte[]> query(byte[] query);

    /**
     * Completes once this member's own state machine has applied every command committed before
     * this call; afterwards, local reads of the state are at least as new as any acknowledged write.
     *
     * <p>On a follower, right after a write, this takes until the leader's next heartbeat tells the
     * follower that the write is committed: up to half the minimum election timeout.
     */
    CompletableFuture<Void> barrier();

    /** Returns the index of the last command applied by this member's state machine. */
    long appliedIndex();

    /** Returns this member's id. */
    String selfId();

    /** Returns the id of the leader this member currently knows of, if any. */
    Optional<String> leaderId();

    /**
     * Returns whether this member is running and its consensus server is alive. False after an
     * apply failure, after {@link #close}, or if the engine stopped the server by itself; such a
     * member needs a restart.
     */
    boolean isServing();

    /** Returns this member's current role in the group. */
    Role role();

    /** Returns the current voting members of the group, as this member knows them. */
    List<Member> members();

    /**
     * Replaces the voting members of the group, and completes when the new configuration commits.
     * Members being added must already be running, built with the new member list; the leader
     * first brings them up to date (log entries, or a snapshot), then commits the configuration.
     */
    CompletableFuture<Void> setMembers(List<Member> members);

    /**
     * Takes a snapshot of this member's state machine now and completes with its index; the log is
     * then purged up to it. If nothing was applied since the latest snapshot, completes with that
     * snapshot's index (0 if there is none).
     */
    CompletableFuture<Long> takeSnapshot();

    /** Stops this member. Idempotent. */
    @Override
    void close();

    /** The role of a member in the group. */
    enum Role {
        LEADER,
        FOLLOWER,
        CANDIDATE,
        LISTENER,
        UNKNOWN
    }
}
