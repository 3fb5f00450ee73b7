package io.meridian.consensus;

import static io.meridian.consensus.KeyValueHandler.count;
import static io.meridian.consensus.KeyValueHandler.get;
import static io.meridian.consensus.KeyValueHandler.put;
import static io.meridian.consensus.KeyValueHandler.text;
import static io.meridian.consensus.MiniGroup.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meridian.consensus.ConsensusException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each test breaks its own group: members die, restart, leave and join. */
class ReplicatedGroupFaultTest {

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
    void aNewLeaderIsElectedWhenTheLeaderDiesAndSubmitsKeepWorking() throws Exception {
        group = MiniGroup.start("leader-death", dir, 3, b -> b);
        ReplicatedGroup oldLeader = group.awaitLeader();
        oldLeader.submit(put("k", "before")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        String oldLeaderId = oldLeader.selfId();

        group.stop(oldLeaderId);
        ReplicatedGroup newLeader = group.awaitLeader();

        assertThat(newLeader.selfId()).isNotEqualTo(oldLeaderId);
        for (ReplicatedGroup survivor : group.runningMembers()) {
            survivor.submit(put("k", "after-" + survivor.selfId())).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        // The old leader comes back as a follower and catches up.
        ReplicatedGroup back = group.start(oldLeaderId);
        back.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(group.handler(oldLeaderId).localGet("k")).startsWith("after-");
        assertThat(group.handler(oldLeaderId).digest()).isEqualTo(group.handler(newLeader.selfId()).digest());
    }

    @Test
    void membersRestartedOnTheirDirectoriesRecoverTheirStateFromSnapshotAndLog() throws Exception {
        group = MiniGroup.start("restart", dir, 3, b -> b.snapshotEvery(10));
        ReplicatedGroup leader = group.awaitLeader();
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.add(leader.submit(put("key-" + (i % 7), "v" + i)));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        String follower = group.aFollower().selfId();
        group.member(follower).barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        String digest = group.handler(follower).digest();

        // One member alone, then the whole group.
        group.restart(follower).barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(group.handler(follower).digest()).isEqualTo(digest);
        assertThat(group.handler(follower).snapshotsRead()).isGreaterThanOrEqualTo(1);

        group.stopAll();
        group.memberIds().forEach(group::start);
        group.awaitLeader();
        for (String id : group.memberIds()) {
            group.member(id).barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            KeyValueHandler handler = group.handler(id);
            assertThat(handler.commands()).as("commands at %s", id).isEqualTo(50);
            assertThat(handler.digest()).as("digest at %s", id).isEqualTo(digest);
            assertThat(handler.localGet("key-0")).isEqualTo("v49");
            assertThat(handler.snapshotsRead()).as("snapshots read at %s", id).isGreaterThanOrEqualTo(1);
        }
        group.awaitLeader().submit(put("key-0", "new")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        // About five snapshots were taken at each member; only the newest few are kept.
        for (String id : group.memberIds()) {
            assertThat(snapshotFiles(dir.resolve(id))).as("snapshot files of %s", id).isNotEmpty().hasSizeLessThanOrEqualTo(3);
        }
    }

    private static List<Path> snapshotFiles(Path memberDir) throws IOException {
        try (Stream<Path> files = Files.walk(memberDir)) {
            return files.filter(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
        }
    }

    @Test
    void aMemberRestartedWhileTheMajorityIsDownCatchesUpOnceItReturns() throws Exception {
        Duration requestTimeout = Duration.ofSeconds(2);
        group = MiniGroup.start("restart-alone", dir, 3, b -> b.requestTimeout(requestTimeout));
        ReplicatedGroup leader = group.awaitLeader();
        leader.submit(put("k", "v1")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        String alone = group.memberIds().get(0);
        group.memberIds().stream().filter(id -> !id.equals(alone)).forEach(group::stop);
        ReplicatedGroup restarted = group.restart(alone);
        assertThat(restarted.isServing()).isTrue();

        // Reads keep failing while no majority exists; each failure may break the engine's client.
        for (int i = 0; i < 3; i++) {
            assertThat(awaitFailure(restarted.barrier()).reason()).isEqualTo(Reason.UNAVAILABLE);
            assertThat(awaitFailure(restarted.query(get("k"))).reason()).isEqualTo(Reason.UNAVAILABLE);
        }

        group.memberIds().stream().filter(id -> !id.equals(alone)).forEach(group::start);
        ReplicatedGroup newLeader = group.awaitLeader();
        newLeader.submit(put("k", "v2")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            restarted.barrier().get(10, TimeUnit.SECONDS);
            assertThat(text(restarted.query(get("k")).get(10, TimeUnit.SECONDS))).isEqualTo("v2");
        });
        restarted.close();
        assertThat(restarted.isServing()).isFalse();
    }

    @Test
    void withAMajorityDownRequestsFailWithUnavailableAfterTheTimeoutAndWorkAgainLater() throws Exception {
        Duration requestTimeout = Duration.ofSeconds(2);
        group = MiniGroup.start("majority-down", dir, 3, b -> b.requestTimeout(requestTimeout));
        ReplicatedGroup leader = group.awaitLeader();
        leader.submit(put("k", "v")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        List<String> followers = group.memberIds().stream().filter(id -> !id.equals(leader.selfId())).toList();
        followers.forEach(group::stop);

        long start = System.nanoTime();
        CompletableFuture<byte[]> submit = leader.submit(put("k", "lost?"));
        // The isolated leader must not answer a read from its own state: it cannot know it still leads.
        CompletableFuture<byte[]> query = leader.query(get("k"));
        CompletableFuture<Void> barrier = leader.barrier();

        ConsensusException failure = awaitFailure(submit);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertThat(failure.reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("majority-down").contains("2000 ms");
        assertThat(elapsed).isGreaterThanOrEqualTo(requestTimeout.minusMillis(100)).isLessThan(Duration.ofSeconds(30));
        assertThat(awaitFailure(query).reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThat(awaitFailure(barrier).reason()).isEqualTo(Reason.UNAVAILABLE);

        followers.forEach(group::start);
        ReplicatedGroup newLeader = group.awaitLeader();
        // The same member submits again: its client recovers from the failed request.
        leader.submit(put("k", "again")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(text(newLeader.query(get("k")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS))).isEqualTo("again");
    }

    @Test
    void closingAMemberFailsItsRequestsInFlightWithClosed() throws Exception {
        group = MiniGroup.start("close-in-flight", dir, 3, b -> b.requestTimeout(Duration.ofSeconds(30)));
        ReplicatedGroup leader = group.awaitLeader();
        group.memberIds().stream().filter(id -> !id.equals(leader.selfId())).toList().parallelStream().forEach(group::stop);
        // Without a majority none of these can complete; they would wait for the 30 s timeout.
        CompletableFuture<byte[]> submit = leader.submit(put("k", "v"));
        CompletableFuture<byte[]> query = leader.query(get("k"));
        CompletableFuture<Void> barrier = leader.barrier();

        long start = System.nanoTime();
        leader.close();

        for (CompletableFuture<?> request : List.of(submit, query, barrier)) {
            assertThat(awaitFailure(request).reason()).isEqualTo(Reason.CLOSED);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void setMembersAddsAndRemovesMembers() throws Exception {
        group = MiniGroup.start("membership", dir, 3, b -> b);
        ReplicatedGroup leader = group.awaitLeader();
        for (int i = 0; i < 20; i++) {
            leader.submit(put("k" + i, "v" + i)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }

        // A new member starts with the new member list, then the group adopts it.
        group.addMember("m3");
        ReplicatedGroup joiner = group.start("m3");
        leader.setMembers(group.memberList()).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        for (ReplicatedGroup member : group.runningMembers()) {
            await().atMost(PATIENCE).untilAsserted(() ->
                    assertThat(member.members()).containsExactlyInAnyOrderElementsOf(group.memberList()));
        }
        joiner.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(group.handler("m3").commands()).isEqualTo(20);

        // Remove one of the original members, asking through a member that may not lead.
        String leaving = group.memberIds().stream().filter(id -> !id.equals("m3")).findFirst().orElseThrow();
        List<Member> remaining = group.memberList().stream().filter(m -> !m.id().equals(leaving)).toList();
        joiner.setMembers(remaining).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        group.stop(leaving);

        ReplicatedGroup newLeader = group.awaitLeader();
        for (ReplicatedGroup member : group.runningMembers()) {
            await().atMost(PATIENCE).untilAsserted(() ->
                    assertThat(member.members()).containsExactlyInAnyOrderElementsOf(remaining));
        }
        newLeader.submit(put("after", "removal")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        joiner.barrier().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(group.handler("m3").localGet("after")).isEqualTo("removal");
    }

    @Test
    void anApplyFailureFailsTheSubmitAndStopsTheMember() throws Exception {
        group = MiniGroup.start("poisoned", dir, 1, b -> b.requestTimeout(Duration.ofSeconds(5)));
        ReplicatedGroup solo = group.awaitLeader();
        solo.submit(put("k", "v")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        ConsensusException failure = awaitFailure(solo.submit(KeyValueHandler.poison()));

        assertThat(failure.reason()).isEqualTo(Reason.APPLY_FAILED);
        assertThat(failure.getMessage()).contains("poison command");
        await().atMost(PATIENCE).until(() -> solo.role() == ReplicatedGroup.Role.UNKNOWN);
        ConsensusException afterwards = awaitFailure(solo.submit(put("k", "w")));
        assertThat(afterwards.reason()).isEqualTo(Reason.CLOSED);
        assertThat(afterwards.getMessage()).contains("apply failure");
        assertThat(awaitFailure(solo.query(count())).reason()).isEqualTo(Reason.CLOSED);
        assertThat(group.handler(solo.selfId()).appliedHere()).containsExactly("put k v");
    }

    private static ConsensusException awaitFailure(CompletableFuture<?> future) {
        await().atMost(PATIENCE).until(future::isDone);
        assertThatThrownBy(future::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ConsensusException.class);
        try {
            future.get();
            throw new AssertionError("unreachable");
        } catch (ExecutionException e) {
            return (ConsensusException) e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
