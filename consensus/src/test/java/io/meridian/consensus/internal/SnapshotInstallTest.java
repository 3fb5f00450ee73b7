package io.meridian.consensus.internal;

import static io.meridian.consensus.KeyValueHandler.put;
import static io.meridian.consensus.MiniGroup.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.consensus.KeyValueHandler;
import io.meridian.consensus.MiniGroup;
import io.meridian.consensus.ReplicatedGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario FED-10 in miniature: a member that was down while the others purged their logs catches
 * up through a snapshot sent by the leader.
 */
class SnapshotInstallTest {

    /** Commands big enough to fill several log segments, which is what lets the log be purged. */
    private static final String PADDING = "x".repeat(600);

    @TempDir
    Path dir;

    private MiniGroup group;

    @AfterEach
    void closeGroup() {
        if (group != null) {
            group.close();
        }
    }

    @Test
    void aMemberThatMissedPurgedEntriesCatchesUpThroughSnapshotInstall() throws Exception {
        group = MiniGroup.start("fed-10", dir, 3, b -> b.snapshotEvery(1_000_000));
        submitAll(group.awaitLeader(), 0, 1000);

        String lagging = group.aFollower().selfId();
        group.member(lagging).barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        long appliedWhenStopped = group.member(lagging).appliedIndex();
        group.stop(lagging);

        ReplicatedGroup leader = group.awaitLeader();
        submitAll(leader, 1000, 4000);
        for (ReplicatedGroup member : group.runningMembers()) {
            member.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            long snapshotIndex = member.takeSnapshot().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(snapshotIndex).isGreaterThan(appliedWhenStopped + 3000);
            RatisReplicatedGroup ratis = (RatisReplicatedGroup) member;
            await("log purged at " + member.selfId()).atMost(PATIENCE)
                    .until(ratis::logStartIndex, start -> start > appliedWhenStopped + 1);
        }

        ReplicatedGroup restarted = group.start(lagging);
        ReplicatedGroup currentLeader = group.awaitLeader();
        submitAll(currentLeader, 4000, 4010);

        for (ReplicatedGroup member : group.runningMembers()) {
            member.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        await("same applied index everywhere").atMost(PATIENCE).until(() ->
                group.runningMembers().stream().map(ReplicatedGroup::appliedIndex).distinct().count() == 1);
        KeyValueHandler caughtUp = group.handler(lagging);
        KeyValueHandler reference = group.handler(currentLeader.selfId());
        assertThat(caughtUp.commands()).isEqualTo(4010);
        assertThat(caughtUp.digest()).isEqualTo(reference.digest());
        assertThat(restarted.appliedIndex()).isEqualTo(currentLeader.appliedIndex());
        // The 3,000 entries it missed were purged everywhere: it can only have got them from a snapshot.
        assertThat(caughtUp.snapshotsRead()).isGreaterThanOrEqualTo(1);
        assertThat(caughtUp.appliedHere()).hasSizeLessThan(3000);
    }

    private static void submitAll(ReplicatedGroup member, int from, int to) throws Exception {
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = from; i < to; i++) {
            writes.add(member.submit(put("key-" + (i % 100), i + "-" + PADDING)));
            if (writes.size() >= 500) {
                CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                writes.clear();
            }
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
}
