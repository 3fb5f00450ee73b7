package io.meridian.consensus;

import static io.meridian.consensus.KeyValueHandler.count;
import static io.meridian.consensus.KeyValueHandler.get;
import static io.meridian.consensus.KeyValueHandler.put;
import static io.meridian.consensus.KeyValueHandler.text;
import static io.meridian.consensus.MiniGroup.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A healthy three-member group, shared by tests that do not break it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicatedGroupTest {

    @TempDir
    static Path dir;

    private MiniGroup group;

    @BeforeAll
    void startGroup() {
        group = MiniGroup.start("healthy", dir, 3, b -> b);
    }

    @AfterAll
    void closeGroup() {
        if (group != null) {
            group.close();
        }
    }

    @Test
    void everyMemberAppliesTheSameCommandsInTheSameOrder() throws Exception {
        ReplicatedGroup leader = group.awaitLeader();
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        // Submit from every member at once, so that the group has to order concurrent commands.
        for (int i = 0; i < 60; i++) {
            for (ReplicatedGroup member : group.runningMembers()) {
                results.add(member.submit(put("order-" + member.selfId(), Integer.toString(i))));
            }
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        for (ReplicatedGroup member : group.runningMembers()) {
            member.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(member.leaderId()).contains(leader.selfId());
        }
        List<String> leaderHistory = group.handler(leader.selfId()).appliedHere();
        assertThat(leaderHistory).hasSizeGreaterThanOrEqualTo(180);
        for (ReplicatedGroup member : group.runningMembers()) {
            KeyValueHandler handler = group.handler(member.selfId());
            assertThat(handler.appliedHere()).as("history of %s", member.selfId()).isEqualTo(leaderHistory);
            assertThat(handler.digest()).isEqualTo(group.handler(leader.selfId()).digest());
            assertThat(member.appliedIndex()).isEqualTo(leader.appliedIndex());
        }
        assertThat(group.runningMembers()).filteredOn(m -> m.role() == ReplicatedGroup.Role.LEADER).hasSize(1);
        assertThat(group.runningMembers()).filteredOn(m -> m.role() == ReplicatedGroup.Role.FOLLOWER).hasSize(2);
    }

    @Test
    void submitAtAFollowerReturnsWhatTheHandlerAnswered() throws Exception {
        ReplicatedGroup follower = group.aFollower();

        follower.submit(put("follower-key", "one")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        byte[] previous = follower.submit(put("follower-key", "two")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(text(previous)).isEqualTo("one");
    }

    @Test
    void queryAtAnyMemberSeesEveryWriteAcknowledgedBeforeIt() throws Exception {
        List<ReplicatedGroup> members = group.runningMembers();
        for (int i = 0; i < 30; i++) {
            ReplicatedGroup writer = members.get(i % members.size());
            ReplicatedGroup reader = members.get((i + 1) % members.size());
            writer.submit(put("linearizable", "v" + i)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            byte[] answer = reader.query(get("linearizable")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            assertThat(text(answer)).as("read %d at %s after a write at %s", i, reader.selfId(), writer.selfId())
                    .isEqualTo("v" + i);
        }
    }

    @Test
    void barrierMakesAFollowersLocalStateIncludeAnAcknowledgedWrite() throws Exception {
        ReplicatedGroup leader = group.awaitLeader();
        ReplicatedGroup follower = group.aFollower();
        KeyValueHandler followerState = group.handler(follower.selfId());
        for (int i = 0; i < 15; i++) {
            leader.submit(put("barrier", "v" + i)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            follower.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            assertThat(followerState.localGet("barrier")).as("local state after barrier %d", i).isEqualTo("v" + i);
        }
    }

    @Test
    void aFailingQueryFailsItsFutureAndTheMemberKeepsRunning() throws Exception {
        ReplicatedGroup member = group.aFollower();

        assertThatThrownBy(() -> member.query(KeyValueHandler.bytes("nonsense")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ConsensusException.class)
                .satisfies(e -> assertThat(((ConsensusException) e).reason()).isEqualTo(ConsensusException.Reason.QUERY_FAILED));
        assertThat(text(member.query(count()).get(PATIENCE.toSeconds(), TimeUnit.SECONDS))).isNotEmpty();
    }

    @Test
    void takeSnapshotCompletesWithTheIndexItCovers() throws Exception {
        ReplicatedGroup member = group.aFollower();
        member.submit(put("snapshot", "x")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        member.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        long applied = member.appliedIndex();

        long snapshotIndex = member.takeSnapshot().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(snapshotIndex).isGreaterThanOrEqualTo(applied).isLessThanOrEqualTo(member.appliedIndex());
        // Nothing new was applied: the same snapshot answers again.
        if (member.appliedIndex() == snapshotIndex) {
            assertThat(member.takeSnapshot().get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(snapshotIndex);
        }
    }

    @Test
    void membersReportTheConfiguration() {
        for (ReplicatedGroup member : group.runningMembers()) {
            assertThat(member.members()).containsExactlyInAnyOrderElementsOf(group.memberList());
        }
    }

    @Test
    void requestsBeforeStartAndAfterCloseFailWithClosed() throws Exception {
        Member solo = new Member("solo", "127.0.0.1:1");
        ReplicatedGroup notStarted = ReplicatedGroup.builder().groupName("never").selfId("solo")
                .members(List.of(solo)).storageDir(dir.resolve("never")).handler(new KeyValueHandler()).build();

        assertClosed(notStarted.submit(put("k", "v")));
        assertClosed(notStarted.query(get("k")));
        assertClosed(notStarted.barrier());
        assertClosed(notStarted.takeSnapshot());
        assertThat(notStarted.role()).isEqualTo(ReplicatedGroup.Role.UNKNOWN);
        assertThat(notStarted.leaderId()).isEmpty();

        notStarted.close();
        notStarted.close();

        assertClosed(notStarted.submit(put("k", "v")));
        assertThatThrownBy(notStarted::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("CLOSED");
    }

    @Test
    void aMemberWhosePortIsTakenFailsToStartWithoutEndingTheProcess() throws Exception {
        try (ServerSocket taken = new ServerSocket(MiniGroup.freePort())) {
            int port = taken.getLocalPort();
            ReplicatedGroup member = ReplicatedGroup.builder().groupName("port-taken").selfId("solo")
                    .members(List.of(new Member("solo", "127.0.0.1:" + port))).storageDir(dir.resolve("port-taken"))
                    .handler(new KeyValueHandler()).build();

            assertThatThrownBy(member::start).isInstanceOf(IOException.class).hasMessageContaining("port " + port);
            assertClosed(member.submit(put("k", "v")));
        }
    }

    @Test
    void startingTwiceFailsLoudly() {
        ReplicatedGroup member = group.runningMembers().get(0);

        assertThatThrownBy(member::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("RUNNING");
    }

    private static void assertClosed(CompletableFuture<?> future) {
        await().atMost(PATIENCE).until(future::isDone);
        assertThatThrownBy(future::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ConsensusException.class)
                .satisfies(e -> assertThat(((ConsensusException) e).reason()).isEqualTo(ConsensusException.Reason.CLOSED));
    }
}
