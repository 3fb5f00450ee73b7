package io.meridian.cache.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.meridian.cache.lease.LeaseTable.Granted;
import io.meridian.cache.lease.LeaseTable.Holder;
import io.meridian.cache.time.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LeaseTableTest {

    private static final long LEASE = Duration.ofSeconds(5).toNanos();

    private final ManualClock clock = new ManualClock();
    private final LeaseTable<String> table = new LeaseTable<>(clock, 100);

    private Granted<String> grant(String key, String holder) {
        return table.readAndGrant(key, holder, LEASE, () -> "v1", v -> true);
    }

    @Nested
    class Granting {

        @Test
        void recordsTheGrantWithExpiryNowPlusTheLease() {
            long now = clock.nanos();

            Granted<String> g = grant("k", "site-b");

            assertThat(g.value()).isEqualTo("v1");
            assertThat(g.leased()).isTrue();
            assertThat(g.leaseNanos()).isEqualTo(LEASE);
            assertThat(table.granted()).containsExactly(Map.entry("k", List.of(new Holder("site-b", g.seq(), now + LEASE))));
            assertThat(table.size()).isEqualTo(1);
        }

        @Test
        void expiryCountsFromAfterTheRead() {
            Granted<String> g = table.readAndGrant("k", "site-b", LEASE, () -> {
                clock.advance(Duration.ofMillis(300));
                return "v1";
            }, v -> true);

            assertThat(table.granted().get("k")).extracting(Holder::expiresAtNanos).containsExactly(clock.nanos() + LEASE);
            assertThat(g.leased()).isTrue();
        }

        @Test
        void sequenceNumbersStartAboveTheFirstSequence() {
            assertThat(grant("k", "site-b").seq()).isEqualTo(101);
        }

        @Test
        void sequenceNumbersStrictlyIncreaseAcrossKeysHoldersAndWrites() {
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                seqs.add(grant("k" + (i % 3), "site-" + (i % 4)).seq());
                if (i % 7 == 0) {
                    try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k" + (i % 3))) {
                        seqs.add(guard.revokeSeq());
                    }
                }
            }

            assertThat(seqs).isSorted().doesNotHaveDuplicates();
        }

        @Test
        void noLeaseWhenTheLeaseIsZeroOrNegative() {
            Granted<String> zero = table.readAndGrant("k", "site-b", 0, () -> "v1", v -> true);
            Granted<String> negative = table.readAndGrant("k", "site-b", -1, () -> "v1", v -> true);

            assertThat(zero).isEqualTo(new Granted<>("v1", 0, 0));
            assertThat(zero.leased()).isFalse();
            assertThat(negative.leased()).isFalse();
            assertThat(table.granted()).isEmpty();
            assertThat(table.size()).isZero();
        }

        @Test
        void noLeaseWhenWhatWasReadIsNotGrantable() {
            Granted<String> g = table.readAndGrant("k", "site-b", LEASE, () -> "absent", v -> !v.equals("absent"));

            assertThat(g.value()).isEqualTo("absent");
            assertThat(g.leased()).isFalse();
            assertThat(table.granted()).isEmpty();
            assertThat(table.size()).isZero();
        }

        @Test
        void aSecondGrantToTheSameHolderReplacesTheFirst() {
            Granted<String> first = grant("k", "site-b");
            clock.advance(Duration.ofSeconds(1));

            Granted<String> second = grant("k", "site-b");

            assertThat(second.seq()).isGreaterThan(first.seq());
            assertThat(table.granted().get("k"))
                    .containsExactly(new Holder("site-b", second.seq(), clock.nanos() + LEASE));
        }

        @Test
        void grantsToSeveralHoldersAreKeptApart() {
            Granted<String> b = grant("k", "site-b");
            Granted<String> c = grant("k", "site-c");
            Granted<String> other = grant("other", "site-b");

            Map<String, List<Holder>> granted = table.granted();

            assertThat(granted.get("k")).extracting(Holder::site, Holder::seq)
                    .containsExactlyInAnyOrder(tuple("site-b", b.seq()),
                            tuple("site-c", c.seq()));
            assertThat(granted.get("other")).extracting(Holder::seq).containsExactly(other.seq());
            assertThat(table.size()).isEqualTo(2);
        }
    }

    @Nested
    class Writing {

        @Test
        void noGrantWhileAWriteGuardIsOpen() {
            AtomicInteger reads = new AtomicInteger();
            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                Granted<String> g = table.readAndGrant("k", "site-b", LEASE, () -> "v" + reads.incrementAndGet(),
                        v -> true);

                assertThat(g.value()).isEqualTo("v1");
                assertThat(g.leased()).isFalse();
                assertThat(table.granted()).isEmpty();
            }
            assertThat(reads).hasValue(1);
        }

        @Test
        void aWriteOnOneKeyDoesNotStopGrantsOnAnother() {
            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThat(grant("other", "site-b").leased()).isTrue();
            }
        }

        @Test
        void grantsResumeAfterClose() {
            LeaseTable<String>.WriteGuard guard = table.beginWrite("k");
            guard.close();

            Granted<String> g = grant("k", "site-b");

            assertThat(g.leased()).isTrue();
            assertThat(g.seq()).isGreaterThan(guard.revokeSeq());
        }

        @Test
        void closingTwiceReleasesOnlyOnce() {
            LeaseTable<String>.WriteGuard first = table.beginWrite("k");
            LeaseTable<String>.WriteGuard second = table.beginWrite("k");

            first.close();
            first.close();

            assertThat(grant("k", "site-b").leased()).as("second write still open").isFalse();
            second.close();
            assertThat(grant("k", "site-b").leased()).isTrue();
        }

        @Test
        void beginWriteReturnsTheLiveHoldersAndClearsThem() {
            Granted<String> b = grant("k", "site-b");
            Granted<String> c = grant("k", "site-c");
            grant("other", "site-b");

            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThat(guard.key()).isEqualTo("k");
                assertThat(guard.holders()).extracting(Holder::site, Holder::seq)
                        .containsExactlyInAnyOrder(tuple("site-b", b.seq()),
                                tuple("site-c", c.seq()));
                assertThat(table.granted()).containsOnlyKeys("other");
            }
            try (LeaseTable<String>.WriteGuard again = table.beginWrite("k")) {
                assertThat(again.holders()).isEmpty();
            }
        }

        @Test
        void beginWriteLeavesOutHoldersWhoseLeaseRanOut() {
            grant("k", "site-b");
            clock.advance(Duration.ofSeconds(3));
            Granted<String> c = grant("k", "site-c");
            clock.advance(Duration.ofSeconds(2));
            // site-b's lease ends exactly now: not live.

            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThat(guard.holders()).containsExactly(new Holder("site-c", c.seq(), clock.nanos() + LEASE
                        - Duration.ofSeconds(2).toNanos()));
            }
        }

        @Test
        void aHolderOneNanosecondBeforeExpiryIsLive() {
            Granted<String> b = grant("k", "site-b");
            clock.advance(Duration.ofNanos(LEASE - 1));

            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThat(guard.holders()).extracting(Holder::seq).containsExactly(b.seq());
            }
        }

        @Test
        void revokeSeqIsAboveEveryEarlierGrantAndBelowEveryLaterOne() {
            List<Long> earlier = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                earlier.add(grant(i % 2 == 0 ? "k" : "other", "site-" + i).seq());
            }

            long revokeSeq;
            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                revokeSeq = guard.revokeSeq();
            }
            long later = grant("k", "site-b").seq();

            assertThat(earlier).allSatisfy(seq -> assertThat(seq).isLessThan(revokeSeq));
            assertThat(later).isGreaterThan(revokeSeq);
        }

        @Test
        void holdersCannotBeModified() {
            grant("k", "site-b");
            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThatThrownBy(() -> guard.holders().clear()).isInstanceOf(UnsupportedOperationException.class);
            }
        }

        @Test
        void anOpenWriteCountsInSizeAndClosingForgetsIt() {
            LeaseTable<String>.WriteGuard guard = table.beginWrite("k");
            assertThat(table.size()).isEqualTo(1);

            guard.close();

            assertThat(table.size()).isZero();
        }
    }

    @Nested
    class ReleasingAndSweeping {

        @Test
        void releaseForgetsOneHolder() {
            grant("k", "site-b");
            Granted<String> c = grant("k", "site-c");

            table.release("k", "site-b");

            assertThat(table.granted().get("k")).extracting(Holder::seq).containsExactly(c.seq());
            try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                assertThat(guard.holders()).extracting(Holder::site).containsExactly("site-c");
            }
        }

        @Test
        void releasingWhatIsNotHeldDoesNothing() {
            grant("k", "site-b");

            table.release("k", "site-x");
            table.release("nothing", "site-b");

            assertThat(table.granted().get("k")).extracting(Holder::site).containsExactly("site-b");
        }

        @Test
        void grantedListsOnlyLiveLeases() {
            grant("a", "site-b");
            clock.advance(Duration.ofSeconds(4));
            Granted<String> live = grant("b", "site-b");
            clock.advance(Duration.ofSeconds(1));

            assertThat(table.granted()).containsOnlyKeys("b");
            assertThat(table.granted().get("b")).extracting(Holder::seq).containsExactly(live.seq());
        }

        @Test
        void sweepRemovesExpiredLeasesAndTheirEntries() {
            grant("a", "site-b");
            grant("b", "site-b");
            clock.advance(Duration.ofSeconds(3));
            grant("b", "site-c");
            grant("c", "site-c");
            clock.advance(Duration.ofSeconds(2));
            assertThat(table.size()).isEqualTo(3);

            table.sweep();

            assertThat(table.size()).isEqualTo(2);
            assertThat(table.granted()).containsOnlyKeys("b", "c");
            assertThat(table.granted().get("b")).extracting(Holder::site).containsExactly("site-c");

            clock.advance(Duration.ofSeconds(3));
            table.sweep();
            assertThat(table.size()).isZero();
            assertThat(table.granted()).isEmpty();
        }

        @Test
        void sweepKeepsAnEntryWithAnOpenWrite() {
            LeaseTable<String>.WriteGuard guard = table.beginWrite("k");
            clock.advance(Duration.ofSeconds(60));

            table.sweep();

            assertThat(table.size()).isEqualTo(1);
            assertThat(grant("k", "site-b").leased()).isFalse();
            guard.close();
            assertThat(table.size()).isZero();
            assertThat(grant("k", "site-b").leased()).isTrue();
        }

        @Test
        void sweepOnAnEmptyTableDoesNothing() {
            table.sweep();

            assertThat(table.size()).isZero();
        }
    }

    @Nested
    class Concurrency {

        @Test
        @Timeout(30)
        void aWriteWaitsForAReadInProgressAndThenRevokesItsGrant() throws Exception {
            CountDownLatch inRead = new CountDownLatch(1);
            CountDownLatch finishRead = new CountDownLatch(1);
            CompletableFuture<Granted<String>> read = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    read.complete(table.readAndGrant("k", "site-b", LEASE, () -> {
                        inRead.countDown();
                        awaitUninterruptibly(finishRead);
                        return "v1";
                    }, v -> true));
                } catch (Throwable e) {
                    read.completeExceptionally(e);
                }
            }, "reader");
            reader.start();
            assertThat(inRead.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<LeaseTable<String>.WriteGuard> write = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                try {
                    write.complete(table.beginWrite("k"));
                } catch (Throwable e) {
                    write.completeExceptionally(e);
                }
            }, "writer");
            writer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.getState() == Thread.State.WAITING);
            assertThat(write).as("beginWrite must wait for the read in progress").isNotDone();

            finishRead.countDown();
            Granted<String> g = read.get(10, TimeUnit.SECONDS);
            try (LeaseTable<String>.WriteGuard guard = write.get(10, TimeUnit.SECONDS)) {
                assertThat(g.leased()).isTrue();
                assertThat(guard.holders()).extracting(Holder::site, Holder::seq)
                        .containsExactly(tuple("site-b", g.seq()));
                assertThat(guard.revokeSeq()).isGreaterThan(g.seq());
            }
        }

        @Test
        @Timeout(60)
        void everyGrantOnAVersionIsRevokedByTheWriteThatReplacesIt() throws Exception {
            // The clock stands still, so no lease runs out and every grant must show up in a write.
            AtomicInteger committed = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            record Grant(String site, int version, long seq) {}
            record Write(int oldVersion, long revokeSeq, List<Holder> holders) {}
            List<Grant> grants = new CopyOnWriteArrayList<>();
            List<Write> writes = new CopyOnWriteArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                String site = "site-" + r;
                threads.add(new Thread(() -> {
                    try {
                        start.await();
                        while (!stop.get()) {
                            Granted<Integer> g = table.readAndGrant("k", site, LEASE, committed::get, v -> true);
                            if (g.leased()) {
                                grants.add(new Grant(site, g.value(), g.seq()));
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 2_000; i++) {
                        try (LeaseTable<String>.WriteGuard guard = table.beginWrite("k")) {
                            int old = committed.getAndIncrement();
                            writes.add(new Write(old, guard.revokeSeq(), guard.holders()));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    stop.set(true);
                }
            }));
            threads.forEach(Thread::start);
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }

            assertThat(failures).isEmpty();
            assertThat(writes).hasSize(2_000);
            assertThat(grants).isNotEmpty();
            Map<Integer, Write> replacing = new ConcurrentHashMap<>();
            writes.forEach(w -> replacing.put(w.oldVersion(), w));
            for (Grant g : grants) {
                Write w = replacing.get(g.version());
                if (w == null) {
                    continue;
                }
                assertThat(g.seq()).as("grant %s vs write %s", g, w).isLessThan(w.revokeSeq());
                assertThat(w.holders()).as("grant %s vs write %s", g, w)
                        .anySatisfy(h -> {
                            assertThat(h.site()).isEqualTo(g.site());
                            assertThat(h.seq()).isGreaterThanOrEqualTo(g.seq());
                        });
                Write before = replacing.get(g.version() - 1);
                if (before != null) {
                    assertThat(g.seq()).as("grant %s vs write %s", g, before).isGreaterThan(before.revokeSeq());
                }
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
