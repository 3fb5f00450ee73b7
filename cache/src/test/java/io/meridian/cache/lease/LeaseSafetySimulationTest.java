package io.meridian.cache.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.meridian.cache.lease.HeldLeases.Lease;
import io.meridian.cache.lease.LeaseTable.Granted;
import io.meridian.cache.lease.LeaseTable.Holder;
import io.meridian.cache.time.DriftBound;
import io.meridian.cache.time.DriftingClock;
import io.meridian.cache.time.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One owner ({@link LeaseTable}) and two holders ({@link HeldLeases}) exchanging grants,
 * revocations and acknowledgements over a network that delays, reorders and loses messages, with
 * every clock drifting within the bound. Everything runs on one thread from a simulated event queue
 * over a shared {@link ManualClock}, so a seed replays exactly.
 *
 * <p>The invariant, checked after every event: a lease a holder considers valid is on the owner's
 * current committed version; the owner never commits while a holder may still serve the old one.
 */
class LeaseSafetySimulationTest {

    private static final long MS = 1_000_000L;
    private static final int STEPS = 3_000;
    private static final DriftBound DRIFT = new DriftBound(0.01, Duration.ofMillis(50));
    /** Each clock runs at most this much fast or slow, so two disagree by about DRIFT's rate. */
    private static final double MAX_RATE = 0.005;
    private static final long SWEEP_PERIOD = 1_000 * MS;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 16);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void ownerNeverCommitsWhileAHolderHoldsTheOldVersion(long seed) {
        Simulation sim = new Simulation(seed, DRIFT, true);

        sim.run(STEPS);

        sim.assertItExercisedTheProtocol();
    }

    @Test
    void aRevocationThatOvertakesASitesFirstGrantStillWinsAcrossASweep() {
        // The same protocol, scripted: the very first grant a site receives is overtaken by its
        // revocation, the site acknowledges, the owner commits v2, the site's periodic sweep runs
        // (every second in SiteNode), and then the delayed grant on v1 arrives.
        ManualClock clock = new ManualClock();
        LeaseTable<String> owner = new LeaseTable<>(clock, 1_000);
        HeldLeases<String> holder = new HeldLeases<>(clock, DRIFT, 100);
        int[] committed = {1};
        long sentAt = holder.now();
        clock.advance(Duration.ofMillis(10));
        Granted<Integer> grant = owner.readAndGrant("k", "site-b", 5_000 * MS, () -> committed[0], v -> true);
        clock.advance(Duration.ofMillis(10));
        try (LeaseTable<String>.WriteGuard write = owner.beginWrite("k")) {
            assertThat(write.holders()).extracting(Holder::seq).containsExactly(grant.seq());
            clock.advance(Duration.ofMillis(10));
            holder.revoke("k", write.revokeSeq());
            clock.advance(Duration.ofMillis(10));
            committed[0] = 2;
        }
        clock.advance(Duration.ofSeconds(1));
        holder.sweep();

        holder.install("k", "v" + grant.value(), grant.seq(), grant.leaseNanos(), sentAt);

        assertThat(holder.held()).as("the owner committed v%d; no lease on v1 may be valid", committed[0])
                .isEmpty();
    }

    @Test
    void catchesHoldersThatIgnoreTheDriftBound() {
        // Without the drift allowance, a slow holder outlives the owner's count of its lease.
        assertThat(seeds().filter(seed -> violates(new Simulation(seed, new DriftBound(0, Duration.ZERO), true))))
                .isNotEmpty();
    }

    @Test
    void catchesHoldersThatAcknowledgeWithoutRevoking() {
        assertThat(seeds().filter(seed -> violates(new Simulation(seed, DRIFT, false)))).isNotEmpty();
    }

    private static boolean violates(Simulation sim) {
        try {
            sim.run(STEPS);
            return false;
        } catch (AssertionError expected) {
            return true;
        }
    }

    private static final class Simulation {

        private record Event(long at, long order, String what, Runnable action) {}

        private record Site(String name, DriftingClock clock, HeldLeases<String> leases) {}

        private static final class Write {
            final String key;
            final LeaseTable<String>.WriteGuard guard;
            final Map<String, Holder> pending = new LinkedHashMap<>();
            boolean committed;

            Write(String key, LeaseTable<String>.WriteGuard guard) {
                this.key = key;
                this.guard = guard;
                guard.holders().forEach(h -> pending.put(h.site(), h));
            }
        }

        private final long seed;
        private final boolean holdersRevoke;
        private final Random random;
        private final ManualClock base = new ManualClock();
        private final long start = base.nanos();
        private final DriftingClock ownerClock;
        private final LeaseTable<String> table;
        private final List<Site> sites = new ArrayList<>();
        private final List<String> keys = List.of("k0", "k1", "k2");
        private final Map<String, Long> leasePeriod = Map.of("k0", 1_000 * MS, "k1", 2_000 * MS, "k2", 4_000 * MS);
        private final Map<String, Integer> committed = new HashMap<>();
        private final Map<String, Write> writing = new HashMap<>();
        private final PriorityQueue<Event> queue =
                new PriorityQueue<>(Comparator.comparingLong(Event::at).thenComparingLong(Event::order));
        private final ArrayDeque<String> recent = new ArrayDeque<>();
        private long order;
        private int ticks;
        private int steps;

        private int installed;
        private int refused;
        private int commitsAfterAcks;
        private int commitsAfterWaitingOut;

        /**
         * @param holderDrift the drift bound the holders take off their leases
         * @param holdersRevoke whether a holder honours a revocation before acknowledging it
         */
        Simulation(long seed, DriftBound holderDrift, boolean holdersRevoke) {
            this.seed = seed;
            this.holdersRevoke = holdersRevoke;
            this.random = new Random(seed);
            System.out.println("LeaseSafetySimulationTest seed " + seed);
            ownerClock = new DriftingClock(base, rate());
            table = new LeaseTable<>(ownerClock, 1_000);
            for (String name : List.of("site-b", "site-c")) {
                DriftingClock clock = new DriftingClock(base, rate());
                sites.add(new Site(name, clock, new HeldLeases<>(clock, holderDrift, 2 + random.nextInt(5))));
            }
            keys.forEach(k -> committed.put(k, 1));
        }

        void run(int steps) {
            this.steps = steps;
            schedule(0, "tick", this::tick);
            for (Site s : sites) {
                schedule(random.nextLong(SWEEP_PERIOD), s.name() + " sweeps", () -> sweepPeriodically(s));
            }
            while (!queue.isEmpty() && (ticks < steps || !writing.isEmpty())) {
                Event e = queue.poll();
                long now = base.nanos();
                if (e.at() > now) {
                    base.advance(Duration.ofNanos(e.at() - now));
                }
                remember(e.what());
                e.action().run();
                checkInvariant();
            }
        }

        void assertItExercisedTheProtocol() {
            String stats = String.format("seed %d: %d installed, %d refused, %d commits after acks, %d after "
                    + "waiting out a lease", seed, installed, refused, commitsAfterAcks, commitsAfterWaitingOut);
            System.out.println(stats);
            assertThat(installed).as(stats).isPositive();
            assertThat(refused).as(stats).isPositive();
            assertThat(commitsAfterAcks).as(stats).isPositive();
            assertThat(commitsAfterWaitingOut).as(stats).isPositive();
        }

        private void tick() {
            ticks++;
            double r = random.nextDouble();
            if (r < 0.55) {
                request(site(), key());
            } else if (r < 0.70) {
                write(key());
            } else if (r < 0.74) {
                table.sweep();
            } else if (r < 0.82) {
                DriftingClock clock = random.nextInt(3) == 0 ? ownerClock : site().clock();
                clock.setRate(rate());
            } else if (r < 0.85) {
                Site s = site();
                String k = key();
                if (random.nextBoolean()) {
                    s.leases().drop(k);
                } else {
                    s.leases().dropIf(k::equals);
                }
            } else if (r < 0.87) {
                // A holder's clock jumping forward only shortens its leases.
                site().clock().jump(Duration.ofNanos(random.nextLong(500 * MS)));
            }
            if (ticks < steps) {
                schedule(random.nextLong(100 * MS), "tick", this::tick);
            }
        }

        private void sweepPeriodically(Site s) {
            s.leases().sweep();
            schedule(SWEEP_PERIOD, s.name() + " sweeps", () -> sweepPeriodically(s));
        }

        private void request(Site s, String key) {
            long sentAt = s.leases().now();
            schedule(delay(), s.name() + " asks for " + key, () -> {
                Granted<Integer> g = table.readAndGrant(key, s.name(), leasePeriod.get(key), () -> committed.get(key),
                        v -> true);
                String what = String.format("%s gets %s v%d seq %d", s.name(), key, g.value(), g.seq());
                if (lost()) {
                    remember("lost: " + what);
                    return;
                }
                schedule(delay(), what, () -> {
                    boolean held = s.leases().install(key, "v" + g.value(), g.seq(), g.leaseNanos(), sentAt);
                    if (g.leased()) {
                        if (held) {
                            installed++;
                        } else {
                            refused++;
                        }
                    }
                });
            });
        }

        private void write(String key) {
            if (writing.containsKey(key)) {
                return;  // writes to one key are serialized, as LocalStore does with its key locks
            }
            Write w = new Write(key, table.beginWrite(key));
            writing.put(key, w);
            remember(String.format("owner begins write of %s v%d, revokeSeq %d, holders %s", key,
                    committed.get(key) + 1, w.guard.revokeSeq(), w.guard.holders()));
            for (Holder h : w.guard.holders()) {
                Site s = site(h.site());
                int copies = random.nextInt(10) == 0 ? 2 : 1;
                for (int c = 0; c < copies; c++) {
                    String what = String.format("%s revoked %s up to %d", s.name(), key, w.guard.revokeSeq());
                    if (lost()) {
                        remember("lost: " + what);
                        continue;
                    }
                    schedule(delay(), what, () -> {
                        if (holdersRevoke) {
                            s.leases().revoke(key, w.guard.revokeSeq());
                        }
                        String ack = s.name() + " acks revocation of " + key;
                        if (lost()) {
                            remember("lost: " + ack);
                            return;
                        }
                        schedule(delay(), ack, () -> {
                            w.pending.remove(s.name());
                            tryCommit(w, true);
                        });
                    });
                }
                checkExpiry(w, h);
            }
            tryCommit(w, false);
        }

        /** The owner waits out a holder's lease on its own clock; the event comes when that is near. */
        private void checkExpiry(Write w, Holder h) {
            long remaining = h.expiresAtNanos() - ownerClock.nanos();
            if (remaining <= 0) {
                if (w.pending.remove(h.site()) != null) {
                    tryCommit(w, false);
                }
                return;
            }
            schedule(Math.max(1_000, remaining / 100 * 99), "owner checks " + h + " on " + w.key,
                    () -> checkExpiry(w, h));
        }

        private void tryCommit(Write w, boolean afterAck) {
            if (w.committed || !w.pending.isEmpty()) {
                return;
            }
            w.committed = true;
            int version = committed.merge(w.key, 1, Integer::sum);
            if (!w.guard.holders().isEmpty()) {
                if (afterAck) {
                    commitsAfterAcks++;
                } else {
                    commitsAfterWaitingOut++;
                }
            }
            remember(String.format("owner commits %s v%d", w.key, version));
            schedule(random.nextLong(20 * MS), "owner closes write of " + w.key, () -> {
                w.guard.close();
                writing.remove(w.key);
            });
        }

        private void checkInvariant() {
            for (Site s : sites) {
                for (Map.Entry<String, Lease> held : s.leases().held().entrySet()) {
                    String current = "v" + committed.get(held.getKey());
                    if (!held.getValue().version().equals(current)) {
                        fail(String.format("seed %d at %d ms: %s holds %s on %s but the owner committed %s%n"
                                        + "recent events:%n  %s", seed, (base.nanos() - start) / MS, s.name(),
                                held.getValue(), held.getKey(), current, String.join("\n  ", recent)));
                    }
                }
            }
        }

        private void schedule(long delayNanos, String what, Runnable action) {
            queue.add(new Event(base.nanos() + delayNanos, order++, what, action));
        }

        private void remember(String what) {
            recent.addLast((base.nanos() - start) / MS + " ms: " + what);
            if (recent.size() > 40) {
                recent.removeFirst();
            }
        }

        /** Mostly quick, sometimes slow, now and then slower than a lease. */
        private long delay() {
            double r = random.nextDouble();
            if (r < 0.75) {
                return MS + random.nextLong(80 * MS);
            }
            if (r < 0.95) {
                return 80 * MS + random.nextLong(920 * MS);
            }
            return 1_000 * MS + random.nextLong(3_000 * MS);
        }

        private boolean lost() {
            return random.nextInt(20) == 0;
        }

        private double rate() {
            return (random.nextDouble() * 2 - 1) * MAX_RATE;
        }

        private Site site() {
            return sites.get(random.nextInt(sites.size()));
        }

        private Site site(String name) {
            return sites.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
        }

        private String key() {
            return keys.get(random.nextInt(keys.size()));
        }
    }
}
