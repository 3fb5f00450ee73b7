package io.meridian.consensus.internal;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis settings of a replicated group: everything this module sets on Ratis is set here, with
 * its reason. What a caller may tune comes from {@link io.meridian.consensus.ReplicatedGroupBuilder}.
 */
final class RatisProperties {

    /**
     * Size at which a log segment is closed. Only closed segments can be purged after a snapshot,
     * so segments much larger than the log written between two snapshots would never be purged.
     */
    static final SizeInBytes LOG_SEGMENT_SIZE_MAX = SizeInBytes.valueOf("1MB");
    /** Snapshot files kept on disk; older ones are deleted after each new snapshot. */
    static final int SNAPSHOTS_RETAINED = 3;
    /** Upper bound of the number of entries between two log purges. */
    static final int LOG_PURGE_GAP_MAX = 1024;
    /** Shortest timeout of one server-to-server RPC (append entries, vote, snapshot chunk). */
    static final Duration SERVER_RPC_TIMEOUT_MIN = Duration.ofSeconds(3);
    /** Longest timeout of one client RPC attempt; a request is retried until the request timeout. */
    static final Duration CLIENT_RPC_TIMEOUT_MAX = Duration.ofSeconds(3);
    /**
     * Submits a member may have in flight; one more blocks the submitting thread until one completes
     * (Ratis' back-pressure). Ratis' default of 100 is easily reached by a burst of async submits.
     */
    static final int CLIENT_OUTSTANDING_SUBMITS_MAX = 1000;
    /**
     * Ratis closes a server whose JVM was paused longer than this (default 60 s) and never brings it
     * back. Raft itself is safe across pauses (terms fence a paused leader), and a site whose process
     * was stopped for a while must rejoin when it resumes, so the threshold is set out of reach.
     */
    static final Duration JVM_PAUSE_CLOSE_THRESHOLD = Duration.ofDays(1);
    /** Pause between two attempts of a client request, for example while a leader is elected. */
    static final Duration CLIENT_RETRY_SLEEP = Duration.ofMillis(100);

    private RatisProperties() {}

    static RaftProperties forServer(Path storageDir, int port, Duration electionTimeoutMin,
            Duration electionTimeoutMax, long snapshotEvery, Duration requestTimeout) {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
        // No host: the server listens on every interface, at the port of the member's own address.
        GrpcConfigKeys.Server.setPort(properties, port);
        RaftServerConfigKeys.setStorageDir(properties, List.of(storageDir.toFile().getAbsoluteFile()));

        RaftServerConfigKeys.setCloseThreshold(properties, toTimeDuration(JVM_PAUSE_CLOSE_THRESHOLD));
        RaftServerConfigKeys.Rpc.setTimeoutMin(properties, toTimeDuration(electionTimeoutMin));
        RaftServerConfigKeys.Rpc.setTimeoutMax(properties, toTimeDuration(electionTimeoutMax));
        RaftServerConfigKeys.Rpc.setRequestTimeout(properties,
                toTimeDuration(max(SERVER_RPC_TIMEOUT_MIN, electionTimeoutMax)));

        // A deposed leader must not answer reads: every read confirms leadership with a majority
        // (ReadIndex), and a follower serves one only once it applied up to the leader's commit index.
        RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setTimeout(properties, toTimeDuration(requestTimeout));

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, snapshotEvery);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, SNAPSHOTS_RETAINED);
        // Purge up to the snapshot even when a follower has not got that far: the leader then sends it
        // the snapshot. Otherwise one member that is down would stop every other member's log purge.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
        RaftServerConfigKeys.Log.setPurgeGap(properties, (int) Math.min(LOG_PURGE_GAP_MAX, snapshotEvery));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(properties, true);
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties, LOG_SEGMENT_SIZE_MAX);
        RaftServerConfigKeys.Log.setPreallocatedSize(properties, LOG_SEGMENT_SIZE_MAX);
        return properties;
    }

    static RaftProperties forClient(Duration requestTimeout) {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties,
                toTimeDuration(min(CLIENT_RPC_TIMEOUT_MAX, requestTimeout)));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(properties, CLIENT_OUTSTANDING_SUBMITS_MAX);
        return properties;
    }

    /**
     * Retries writes and admin requests (through elections, to whichever member leads) until
     * {@code requestTimeout} has passed since they were made; they then fail with a
     * {@code RaftRetryFailureException}. Reads are not retried by the client: each read names the
     * leader the member knows of, and the Ratis client would retry it at that same server, even after
     * it died, so the member retries reads itself, naming the leader it knows of by then.
     */
    static RetryPolicy clientRetryPolicy(Duration requestTimeout) {
        RetryPolicy retryForever = RetryPolicies.retryForeverWithSleep(toTimeDuration(CLIENT_RETRY_SLEEP));
        RequestTypeDependentRetryPolicy.Builder policy = RequestTypeDependentRetryPolicy.newBuilder();
        for (TypeCase type : TypeCase.values()) {
            if (type == TypeCase.READ) {
                policy.setRetryPolicy(type, RetryPolicies.noRetry());
            } else if (type != TypeCase.TYPE_NOT_SET) {
                policy.setRetryPolicy(type, retryForever);
                policy.setTimeout(type, toTimeDuration(requestTimeout));
            }
        }
        return policy.build();
    }

    static TimeDuration toTimeDuration(Duration duration) {
        return TimeDuration.valueOf(duration.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
