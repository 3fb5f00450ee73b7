package io.meridian.federation;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.cache.lease.LeaseTable;
import io.meridian.cache.time.DriftBound;
import io.meridian.cache.time.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The owner's side of read leases: grants, the revocations a write waits for, the quiet restart. */
class OwnerLeasesTest {

    private static final Duration R = Duration.ofSeconds(5);
    private static final DriftBound DRIFT = new DriftBound(0.01, Duration.ofMillis(50));

    private final ManualClock clock = new ManualClock();
    /** Each holder's pending acknowledgement, completed (or failed) by the test. */
    private final Map<String, CompletableFuture<Integer>> acks = new ConcurrentHashMap<>();
    private final Map<String, List<Revocation>> sent = new ConcurrentHashMap<>();

    private OwnerLeases owner(boolean restarted) {
        return owner(restarted ? R : Duration.ZERO);
    }

    private OwnerLeases owner(Duration forgotten) {
        return new OwnerLeases("owner", clock, DRIFT, R, forgotten, 1_000, (holder, entries) -> {
            sent.put(holder, entries);
            return acks.computeIfAbsent(holder, h -> new CompletableFuture<>());
        });
    }

    /** Checks that {@code write} stays blocked for several of its polling rounds. */
    private static void stillWaiting(CompletableFuture<Void> write, String why) {
        org.awaitility.Awaitility.await().during(Duration.ofMillis(150)).atMost(Duration.ofSeconds(2))
                .until(() -> !write.isDone());
        assertThat(write).as(why).isNotDone();
    }

    private static LeaseTable.Granted<String> read(OwnerLeases o, String holder) {
        return o.read("b", "k", holder, () -> "v1", v -> true);
    }

    @Test
    void grantsALeaseToAnotherSiteButNotToItselfOrAnAnonymousReader() {
        OwnerLeases o = owner(false);
        LeaseTable.Granted<String> g = read(o, "reader");
        assertThat(g.leased()).isTrue();
        assertThat(g.leaseNanos()).isEqualTo(R.toNanos());
        assertThat(read(o, "owner").leased()).isFalse();
        assertThat(read(o, null).leased()).isFalse();
        assertThat(o.granted()).containsOnlyKeys(OwnerLeases.entry("b", "k"));
    }

    @Test
    void aWriteWithNoHoldersWaitsForNothing() {
        OwnerLeases o = owner(false);
        o.beforeVisible("b", "k").close();
        assertThat(sent).isEmpty();
    }

    @Test
    void aWriteRevokesEveryHolderAndWaitsForItsAcknowledgement() throws Exception {
        OwnerLeases o = owner(false);
        long grant = read(o, "r1").seq();
        read(o, "r2");
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> o.beforeVisible("b", "k").close());

        org.awaitility.Awaitility.await().until(() -> sent.size() == 2);
        assertThat(sent.get("r1")).singleElement().satisfies(r -> {
            assertThat(r.bucket()).isEqualTo("b");
            assertThat(r.key()).isEqualTo("k");
            assertThat(r.seq()).isGreaterThan(grant);
        });
        acks.get("r1").complete(1);
        stillWaiting(write, "for r2");
        acks.get("r2").complete(1);
        write.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aHolderThatCannotBeReachedIsWaitedOutOnTheOwnersClock() throws Exception {
        OwnerLeases o = owner(false);
        read(o, "gone");
        acks.put("gone", CompletableFuture.failedFuture(new MeshUnavailableException("gone", "down", null)));
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> o.beforeVisible("b", "k").close());

        stillWaiting(write, "the lease has not run out on the owner's clock");
        clock.advance(R.minusMillis(1));
        stillWaiting(write, "a millisecond of the lease is left");
        clock.advance(Duration.ofMillis(1));
        write.get(5, TimeUnit.SECONDS);
    }

    @Test
    void noLeaseIsGrantedWhileAWriteIsBecomingVisible() {
        OwnerLeases o = owner(false);
        LeaseTable<String>.WriteGuard guard = o.beforeVisible("b", "k");
        assertThat(read(o, "reader").leased()).isFalse();
        guard.close();
        assertThat(read(o, "reader").leased()).isTrue();
    }

    @Test
    void aRestartedOwnerKeepsQuietForALeasePeriodPlusTheDrift() {
        OwnerLeases o = owner(true);
        long quiet = R.toNanos() + DRIFT.maxDriftNanos(R.toNanos());
        assertThat(o.quietRemainingNanos()).isEqualTo(quiet);
        assertThat(read(o, "reader").leased()).as("no grants while quiet").isFalse();

        clock.advance(Duration.ofNanos(quiet - 1));
        assertThat(o.quietRemainingNanos()).isEqualTo(1);
        clock.advance(Duration.ofNanos(1));
        assertThat(o.quietRemainingNanos()).isZero();
        assertThat(read(o, "reader").leased()).isTrue();

        assertThat(owner(false).quietRemainingNanos()).as("a site that never ran here granted nothing").isZero();
    }

    @Test
    void aRestartedOwnerWaitsOutTheLongestLeaseItsPreviousRunGrantedNotItsNewPeriod() {
        Duration before = Duration.ofSeconds(30);
        OwnerLeases o = owner(before);
        assertThat(o.quietRemainingNanos()).isEqualTo(before.toNanos() + DRIFT.maxDriftNanos(before.toNanos()));
    }
}
