package io.meridian.consensus;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import io.meridian.consensus.internal.RatisReplicatedGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Builds a {@link ReplicatedGroup}. Every setting has one home here, with its default and unit.
 */
public final class ReplicatedGroupBuilder {

    /** Default lower bound of the randomized election timeout. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(1000);
    /** Default upper bound of the randomized election timeout. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(2000);
    /** Default number of applied commands after which a snapshot is taken automatically. */
    public static final long DEFAULT_SNAPSHOT_EVERY = 10_000;
    /** Default time a submit or query keeps retrying (for example through an election) before failing. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private String groupName;
    private String selfId;
    private List<Member> members;
    private Path storageDir;
    private StateMachineHandler handler;
    private Duration electionTimeoutMin = DEFAULT_ELECTION_TIMEOUT_MIN;
    private Duration electionTimeoutMax = DEFAULT_ELECTION_TIMEOUT_MAX;
    private long snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

    ReplicatedGroupBuilder() {}

    /** Names the group; members of one group must use the same name. Required. */
    public ReplicatedGroupBuilder groupName(String groupName) {
        checkArgument(groupName != null && !groupName.isBlank(), "groupName must not be blank");
        this.groupName = groupName;
        return this;
    }

    /** Sets this member's id, which must be one of {@link #members}. Required. */
    public ReplicatedGroupBuilder selfId(String selfId) {
        this.selfId = selfId;
        return this;
    }

    /** Sets the initial voting members, used when the storage is new. Required. */
    public ReplicatedGroupBuilder members(List<Member> members) {
        checkArgument(members != null && !members.isEmpty(), "members must not be empty");
        this.members = List.copyOf(members);
        return this;
    }

    /** Sets the directory holding this member's log and snapshots. Required. */
    public ReplicatedGroupBuilder storageDir(Path storageDir) {
        this.storageDir = storageDir;
        return this;
    }

    /** Sets the state machine to replicate. Required. */
    public ReplicatedGroupBuilder handler(StateMachineHandler handler) {
        this.handler = handler;
        return this;
    }

    /** Sets the randomized election timeout range. Default 1 s to 2 s. */
    public ReplicatedGroupBuilder electionTimeout(Duration min, Duration max) {
        checkArgument(!min.isNegative() && !min.isZero() && max.compareTo(min) > 0,
                "election timeout must be 0 < min < max, got %s..%s", min, max);
        this.electionTimeoutMin = min;
        this.electionTimeoutMax = max;
        return this;
    }

    /** Takes a snapshot automatically after this many applied commands. Default 10,000. */
    public ReplicatedGroupBuilder snapshotEvery(long commands) {
        checkArgument(commands > 0, "snapshotEvery must be positive, got %s", commands);
        this.snapshotEvery = commands;
        return this;
    }

    /** Sets how long a submit or query retries before failing with UNAVAILABLE. Default 15 s. */
    public ReplicatedGroupBuilder requestTimeout(Duration requestTimeout) {
        checkArgument(!requestTimeout.isNegative() && !requestTimeout.isZero(),
                "requestTimeout must be positive, got %s", requestTimeout);
        this.requestTimeout = requestTimeout;
        return this;
    }

    public ReplicatedGroup build() {
        checkState(groupName != null, "groupName is required");
        checkState(selfId != null, "selfId is required");
        checkState(members != null, "members are required");
        checkState(storageDir != null, "storageDir is required");
        checkState(handler != null, "handler is required");
        checkState(members.stream().anyMatch(m -> m.id().equals(selfId)),
                "selfId %s is not one of the members %s", selfId, members);
        return new RatisReplicatedGroup(groupName, selfId, members, storageDir, handler,
                electionTimeoutMin, electionTimeoutMax, snapshotEvery, requestTimeout);
    }
}
