package io.meridian.node.testing.linearizability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.node.testing.linearizability.LinearizabilityChecker.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearizabilityCheckerTest {

    private static final Duration FAST = Duration.ofSeconds(5);

    private long nextId;

    // Times below are in milliseconds; each helper returns an operation with the next id.

    private Operation write(int client, String key, String value, long invokedMs, long completedMs) {
        return new Operation(nextId++, client, key, Kind.WRITE, value, ms(invokedMs), ms(completedMs), true);
    }

    private Operation delete(int client, String key, long invokedMs, long completedMs) {
        return new Operation(nextId++, client, key, Kind.DELETE, null, ms(invokedMs), ms(completedMs), true);
    }

    private Operation read(int client, String key, @Nullable String observed, long invokedMs, long completedMs) {
        return new Operation(nextId++, client, key, Kind.READ, observed, ms(invokedMs), ms(completedMs), true);
    }

    private Operation unknownWrite(int client, String key, String value, long invokedMs) {
        return new Operation(nextId++, client, key, Kind.WRITE, value, ms(invokedMs), Long.MAX_VALUE, false);
    }

    private Operation unknownDelete(int client, String key, long invokedMs) {
        return new Operation(nextId++, client, key, Kind.DELETE, null, ms(invokedMs), Long.MAX_VALUE, false);
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static void assertLinearizable(List<Operation> ops) {
        Result result = LinearizabilityChecker.check(ops);
        assertThat(result.linearizable()).as("%s", result).isTrue();
    }

    private static Result assertNotLinearizable(List<Operation> ops) {
        Result result = LinearizabilityChecker.check(ops);
        assertThat(result.linearizable()).as("%s", result).isFalse();
        assertThat(result.explanation()).doesNotStartWith("undecided");
        return result;
    }

    @Test
    void sequentialReadsOfTheLatestValueAreLinearizable() {
        assertLinearizable(List.of(
                read(2, "k", null, 0, 1),
                write(1, "k", "a", 2, 3),
                read(2, "k", "a", 4, 5),
                write(3, "k", "b", 6, 7),
                read(2, "k", "b", 8, 9),
                read(1, "k", "b", 10, 11)));
    }

    @Test
    void sequentialReadOfAnOverwrittenValueIsNotLinearizable() {
        Operation stale = read(2, "k", "a", 4, 5);
        Result result = assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                write(1, "k", "b", 2, 3),
                stale));
        assertThat(result.explanation())
                .contains("key 'k'")
                .contains("#" + stale.id() + " client 2 READ saw 'a'")
                .contains("observed 'a' but the register holds 'b'");
    }

    @Test
    void registerStartsAbsent() {
        assertLinearizable(List.of(read(1, "k", null, 0, 1)));
        assertNotLinearizable(List.of(read(1, "k", "a", 0, 1)));
    }

    @Test
    void overlappingWriteAndReadMayBeOrderedEitherWay() {
        for (String observed : new String[] {"a", "b"}) {
            nextId = 0;
            assertLinearizable(List.of(
                    write(1, "k", "a", 0, 1),
                    write(1, "k", "b", 2, 10),
                    read(2, "k", observed, 3, 9)));
        }
    }

    @Test
    void staleReadAfterTheWriteCompletedIsNotLinearizable() {
        Operation stale = read(2, "k", "a", 5, 6);
        Result result = assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                write(1, "k", "b", 2, 4),
                stale));
        assertThat(result.explanation()).contains("#" + stale.id());

        nextId = 0;
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                write(1, "k", "b", 2, 4),
                read(2, "k", "a", 3, 6)));
    }

    @Test
    void readOfAValueNeverWrittenIsNotLinearizable() {
        Operation phantom = read(2, "k", "ghost", 3, 9);
        Result result = assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                write(1, "k", "b", 2, 10),
                phantom));
        assertThat(result.explanation())
                .contains("#" + phantom.id())
                .contains("observed 'ghost', which no operation on this key wrote");
    }

    @Test
    void readOfAValueWrittenOnlyLaterIsNotLinearizable() {
        Result result = assertNotLinearizable(List.of(
                read(1, "k", "a", 0, 1),
                write(2, "k", "a", 2, 3)));
        assertThat(result.explanation()).contains("which was invoked after this read completed");
    }

    @Test
    void deleteThenReadSeesAbsent() {
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                delete(1, "k", 2, 3),
                read(2, "k", null, 4, 5)));

        nextId = 0;
        Result result = assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                delete(1, "k", 2, 3),
                read(2, "k", "a", 4, 5)));
        assertThat(result.explanation()).contains("observed 'a' but the register holds absent");
    }

    @Test
    void unknownWriteObservedLongAfterItsInvocationIsLinearizable() {
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownWrite(1, "k", "b", 2),
                read(2, "k", "a", 10, 11),
                write(3, "k", "c", 12, 13),
                read(2, "k", "c", 14, 15),
                read(2, "k", "b", 20, 21),
                read(3, "k", "b", 30, 31)));
    }

    @Test
    void unknownWriteNeverObservedIsLinearizable() {
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownWrite(1, "k", "b", 2),
                read(2, "k", "a", 3, 4),
                read(2, "k", "a", 50, 51)));
    }

    @Test
    void unknownWriteTakesEffectAtMostOnce() {
        Result result = assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownWrite(1, "k", "b", 2),
                read(2, "k", "b", 10, 11),
                read(2, "k", "a", 12, 13)));
        assertThat(result.explanation()).contains("observed 'a' but the register holds 'b'");
    }

    @Test
    void eitherOfTwoUnknownWritesOfOneValueMayExplainARead() {
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownWrite(1, "k", "b", 2),
                unknownWrite(2, "k", "b", 12),
                read(3, "k", "a", 5, 6),
                write(1, "k", "c", 7, 8),
                read(3, "k", "c", 9, 10),
                read(3, "k", "b", 20, 21)));
    }

    @Test
    void unknownWriteCannotTakeEffectBeforeItsInvocation() {
        assertNotLinearizable(List.of(
                read(2, "k", "b", 0, 1),
                unknownWrite(1, "k", "b", 2)));
    }

    @Test
    void unknownDeleteMayTakeEffectLater() {
        assertLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownDelete(1, "k", 2),
                read(2, "k", "a", 10, 11),
                read(2, "k", null, 20, 21)));
        nextId = 0;
        assertNotLinearizable(List.of(
                write(1, "k", "a", 0, 1),
                unknownDelete(1, "k", 2),
                read(2, "k", null, 10, 11),
                read(2, "k", "a", 20, 21)));
    }

    @Test
    void readsCannotGoBackInTime() {
        Operation slowWrite = write(1, "k", "b", 2, 20);
        Operation seesNew = read(2, "k", "b", 3, 4);
        Operation seesOld = read(3, "k", "a", 5, 6);
        Operation first = write(1, "k", "a", 0, 1);
        // Either read alone overlaps the slow write and is fine; together the second goes back in time.
        assertLinearizable(List.of(first, slowWrite, seesNew));
        assertLinearizable(List.of(first, slowWrite, seesOld));
        Result result = assertNotLinearizable(List.of(first, slowWrite, seesNew, seesOld));
        assertThat(result.explanation()).contains("#" + seesOld.id());
    }

    @Test
    void keysAreCheckedIndependentlyAndTheFailingKeyIsNamed() {
        Result result = assertNotLinearizable(List.of(
                write(1, "k1", "a", 0, 1),
                read(2, "k1", "a", 2, 3),
                write(1, "k2", "b", 0, 1),
                read(2, "k2", "a", 2, 3)));
        assertThat(result.explanation()).contains("key 'k2'").doesNotContain("key 'k1'");
    }

    @Test
    void concurrentClientsOnManyKeysReportEveryFailingKey() {
        List<Operation> ops = new ArrayList<>();
        for (String key : List.of("a", "b", "c")) {
            ops.add(write(1, key, "x", 0, 1));
            ops.add(write(1, key, "y", 2, 3));
            ops.add(read(2, key, key.equals("b") ? "y" : "x", 4, 5));
        }
        Result result = assertNotLinearizable(ops);
        assertThat(result.explanation()).contains("key 'a'").contains("Other keys that are not linearizable: [c]");
    }

    @Test
    void agreesWithExhaustiveSearchOnSmallHistories() {
        long seed = 42;
        System.out.println("agreesWithExhaustiveSearchOnSmallHistories seed=" + seed);
        Random random = new Random(seed);
        String[] written = {"a", "b", "c"};
        String[] observed = {"a", "b", "c", null};
        int violations = 0;
        for (int round = 0; round < 3_000; round++) {
            nextId = 0;
            List<Operation> ops = new ArrayList<>();
            int size = 1 + random.nextInt(7);
            for (int i = 0; i < size; i++) {
                int client = random.nextInt(3);
                long invoked = random.nextInt(10);
                long completed = invoked + random.nextInt(6);
                int roll = random.nextInt(10);
                boolean unknown = random.nextInt(4) == 0;
                if (roll < 4) {
                    String value = written[random.nextInt(written.length)];
                    ops.add(unknown ? unknownWrite(client, "k", value, invoked)
                            : write(client, "k", value, invoked, completed));
                } else if (roll < 6) {
                    ops.add(unknown ? unknownDelete(client, "k", invoked) : delete(client, "k", invoked, completed));
                } else {
                    ops.add(read(client, "k", observed[random.nextInt(observed.length)], invoked, completed));
                }
            }
            boolean expected = Exhaustive.linearizable(ops);
            violations += expected ? 0 : 1;
            assertThat(LinearizabilityChecker.checkKey(ops).linearizable())
                    .as("seed %d round %d: %s", seed, round, ops).isEqualTo(expected);
        }
        assertThat(violations).as("both verdicts occur").isBetween(300, 2_700);
    }

    /** Tries every order of every admissible subset of a tiny history. */
    private static final class Exhaustive {

        static boolean linearizable(List<Operation> ops) {
            List<Operation> unknown = ops.stream().filter(o -> !o.outcomeKnown()).toList();
            for (int mask = 0; mask < 1 << unknown.size(); mask++) {
                List<Operation> chosen = new ArrayList<>();
                for (Operation o : ops) {
                    int u = unknown.indexOf(o);
                    if (u < 0 || (mask & 1 << u) != 0) {
                        chosen.add(o);
                    }
                }
                if (orders(chosen, new boolean[chosen.size()], 0, null)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean orders(List<Operation> ops, boolean[] placed, int count, @Nullable String value) {
            if (count == ops.size()) {
                return true;
            }
            for (int i = 0; i < ops.size(); i++) {
                Operation o = ops.get(i);
                if (placed[i] || mustWait(ops, placed, o)) {
                    continue;
                }
                String after = switch (o.kind()) {
                    case WRITE -> o.value();
                    case DELETE -> null;
                    case READ -> value;
                };
                if (o.kind() == Kind.READ && !Objects.equals(o.value(), value)) {
                    continue;
                }
                placed[i] = true;
                boolean found = orders(ops, placed, count + 1, after);
                placed[i] = false;
                if (found) {
                    return true;
                }
            }
            return false;
        }

        /** Whether some unplaced operation completed before {@code o} was invoked. */
        private static boolean mustWait(List<Operation> ops, boolean[] placed, Operation o) {
            for (int j = 0; j < ops.size(); j++) {
                if (!placed[j] && ops.get(j).completedNanos() < o.invokedNanos()) {
                    return true;
                }
            }
            return false;
        }
    }

    @Test
    void exhaustedBudgetIsAFailureThatSaysSo() {
        List<Operation> ops = simulateAtomicRegister(7, 6, 1, 300, false);
        Result result = LinearizabilityChecker.check(ops, 10);
        assertThat(result.linearizable()).isFalse();
        assertThat(result.explanation()).startsWith("undecided: budget exhausted for key 'k0'")
                .contains("raise maxStates");
    }

    @Test
    void checkKeyTakesOneKey() {
        List<Operation> ops = List.of(write(1, "a", "x", 0, 1), write(1, "b", "x", 0, 1));
        assertThatThrownBy(() -> LinearizabilityChecker.checkKey(ops))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use check() for several keys");
    }

    @Test
    void historyRecordsOutcomesAndDropsWhatConstrainsNothing() {
        AtomicLong now = new AtomicLong();
        History history = new History(now::get);
        History.Pending written = history.invoke(1, "k", Kind.WRITE, "a");
        History.Pending read = history.invoke(2, "k", Kind.READ, null);
        History.Pending timedOut = history.invoke(3, "k", Kind.WRITE, "b");
        History.Pending lostRead = history.invoke(4, "k", Kind.READ, null);
        History.Pending rejected = history.invoke(5, "k", Kind.DELETE, null);
        History.Pending stillRunning = history.invoke(6, "other", Kind.DELETE, null);
        now.set(100);
        written.ok();
        read.read("a");
        timedOut.unknown();
        lostRead.unknown();
        rejected.failed();

        assertThat(history.operations()).containsExactly(
                new Operation(written.id(), 1, "k", Kind.WRITE, "a", 0, 100, true),
                new Operation(read.id(), 2, "k", Kind.READ, "a", 0, 100, true),
                new Operation(timedOut.id(), 3, "k", Kind.WRITE, "b", 0, Long.MAX_VALUE, false),
                new Operation(stillRunning.id(), 6, "other", Kind.DELETE, null, 0, Long.MAX_VALUE, false));
        assertThat(history.byKey()).containsOnlyKeys("k", "other");
        assertThat(history.byKey().get("k")).hasSize(3);

        assertThatThrownBy(written::ok).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already completed as OK");
        assertThatThrownBy(history.invoke(1, "k", Kind.READ, null)::ok).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("complete it with read(observed)");
        assertThatThrownBy(() -> history.invoke(1, "k", Kind.DELETE, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 20240611})
    void simulatedAtomicRegisterIsLinearizable(long seed) {
        System.out.println("simulatedAtomicRegisterIsLinearizable seed=" + seed);
        List<Operation> ops = simulateAtomicRegister(seed, 6, 5, 2_000, true);
        assertThat(ops).hasSizeGreaterThan(1_900);

        long start = System.nanoTime();
        Result result = LinearizabilityChecker.check(ops);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(result.linearizable()).as("seed %d: %s", seed, result).isTrue();
        assertThat(took).as("seed %d: checking %d operations", seed, ops.size()).isLessThan(FAST);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 20240611})
    void staleReadInASimulatedHistoryIsFound(long seed) {
        System.out.println("staleReadInASimulatedHistoryIsFound seed=" + seed);
        List<Operation> ops = simulateAtomicRegister(seed, 6, 5, 2_000, true);
        Operation stale = makeOneReadStale(ops, new Random(seed));

        long start = System.nanoTime();
        Result result = LinearizabilityChecker.check(ops);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(result.linearizable()).as("seed %d", seed).isFalse();
        assertThat(result.explanation()).as("seed %d", seed)
                .doesNotStartWith("undecided")
                .contains("key '" + stale.key() + "'")
                .contains("#" + stale.id() + " ");
        assertThat(took).as("seed %d: checking %d operations", seed, ops.size()).isLessThan(FAST);
    }

    @Test
    void oneKeySharedBySixClientsIsCheckedFast() {
        for (long seed : new long[] {1, 3}) {
            List<Operation> ops = simulateAtomicRegister(seed, 6, 1, 2_000, true);
            long start = System.nanoTime();
            Result result = LinearizabilityChecker.check(ops);
            Operation stale = makeOneReadStale(ops, new Random(seed));
            Result mutated = LinearizabilityChecker.check(ops);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(result.linearizable()).as("seed %d: %s", seed, result).isTrue();
            assertThat(mutated.linearizable()).as("seed %d", seed).isFalse();
            assertThat(mutated.explanation()).as("seed %d", seed).contains("#" + stale.id() + " ");
            assertThat(took).as("seed %d: checking %d operations twice", seed, ops.size()).isLessThan(FAST);
        }
    }

    @Test
    void concurrentMapUsedByRealThreadsIsLinearizable() throws Exception {
        int threads = 6;
        int opsPerThread = 300;
        Map<String, String> map = new ConcurrentHashMap<>();
        History history = new History();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < threads; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    Random random = new Random(client);
                    start.await();
                    for (int i = 0; i < opsPerThread; i++) {
                        String key = "k" + random.nextInt(3);
                        int roll = random.nextInt(10);
                        if (roll < 4) {
                            String value = "t" + client + "-" + i;
                            History.Pending p = history.invoke(client, key, Kind.WRITE, value);
                            map.put(key, value);
                            p.ok();
                        } else if (roll < 5) {
                            History.Pending p = history.invoke(client, key, Kind.DELETE, null);
                            map.remove(key);
                            p.ok();
                        } else {
                            History.Pending p = history.invoke(client, key, Kind.READ, null);
                            p.read(map.get(key));
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : clients) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Operation> ops = history.operations();
        assertThat(ops).hasSize(threads * opsPerThread);
        Result result = LinearizabilityChecker.check(ops);
        assertThat(result.linearizable()).as("%s", result).isTrue();
    }

    /** An operation a simulated client performs, with the instant the register applies it. */
    private static final class Planned {
        final int client;
        final String key;
        final Kind kind;
        final @Nullable String value;
        final long invoked;
        final long completed;
        /** When the register applies it; NEVER if it does not take effect. */
        final long applied;
        final Outcome outcome;
        @Nullable String observed;
        History.@Nullable Pending pending;

        Planned(int client, String key, Kind kind, @Nullable String value, long invoked, long completed,
                long applied, Outcome outcome) {
            this.client = client;
            this.key = key;
            this.kind = kind;
            this.value = value;
            this.invoked = invoked;
            this.completed = completed;
            this.applied = applied;
            this.outcome = outcome;
        }
    }

    private enum Outcome { OK, UNKNOWN, FAILED }

    private static final long NEVER = Long.MAX_VALUE;

    /**
     * Simulates clients, each running one operation at a time, against an atomic register per key in
     * virtual time (microseconds), and returns the history they record. Each operation takes effect at one random instant
     * inside its interval. With {@code uncertain}, a few operations time out (the client records an
     * unknown outcome, and a write or delete then takes effect at some later instant or never) and a few
     * writes and deletes fail without effect.
     */
    private static List<Operation> simulateAtomicRegister(long seed, int clients, int keys, int total,
                                                          boolean uncertain) {
        final long latency = 400;
        final long think = 100;
        final long timeout = 3 * latency;
        Random random = new Random(seed);
        long[] clientTime = new long[clients];
        for (int c = 0; c < clients; c++) {
            clientTime[c] = random.nextInt((int) latency);
        }
        List<Planned> plans = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            int client = i % clients;
            String key = "k" + random.nextInt(keys);
            int roll = random.nextInt(100);
            Kind kind = roll < 40 ? Kind.WRITE : roll < 50 ? Kind.DELETE : Kind.READ;
            String value = kind == Kind.WRITE ? "c" + client + "-" + i : null;
            long invoked = clientTime[client] + random.nextInt((int) think);
            long applied = invoked + 1 + random.nextInt((int) latency);
            long completed = applied + 1 + random.nextInt((int) latency);
            Outcome outcome = Outcome.OK;
            int fate = random.nextInt(100);
            if (uncertain && fate < 3) {
                outcome = Outcome.UNKNOWN;
                completed = invoked + timeout;
                // A timed-out write may still land, possibly after the client gave up.
                applied = random.nextBoolean() ? invoked + 1 + random.nextInt((int) (2 * timeout)) : NEVER;
            } else if (uncertain && fate < 5 && kind != Kind.READ) {
                outcome = Outcome.FAILED;
                applied = NEVER;
            }
            plans.add(new Planned(client, key, kind, value, invoked, completed, applied, outcome));
            clientTime[client] = completed;
        }

        List<Planned> byApplication = new ArrayList<>(plans);
        byApplication.removeIf(p -> p.applied == NEVER);
        byApplication.sort(Comparator.comparingLong(p -> p.applied));
        Map<String, String> register = new HashMap<>();
        for (Planned p : byApplication) {
            switch (p.kind) {
                case WRITE -> register.put(p.key, p.value);
                case DELETE -> register.remove(p.key);
                case READ -> p.observed = register.get(p.key);
            }
        }

        record Step(long time, boolean invoke, Planned plan) {}
        List<Step> steps = new ArrayList<>(2 * total);
        for (Planned p : plans) {
            steps.add(new Step(p.invoked, true, p));
            steps.add(new Step(p.completed, false, p));
        }
        steps.sort(Comparator.comparingLong(Step::time).thenComparing(s -> !s.invoke()));
        AtomicLong now = new AtomicLong();
        History history = new History(now::get);
        for (Step s : steps) {
            now.set(TimeUnit.MICROSECONDS.toNanos(s.time()));
            Planned p = s.plan();
            if (s.invoke()) {
                p.pending = history.invoke(p.client, p.key, p.kind, p.value);
                continue;
            }
            History.Pending pending = p.pending;
            switch (p.outcome) {
                case OK -> {
                    if (p.kind == Kind.READ) {
                        pending.read(p.observed);
                    } else {
                        pending.ok();
                    }
                }
                case UNKNOWN -> pending.unknown();
                case FAILED -> pending.failed();
            }
        }
        return history.operations();
    }

    /**
     * Replaces, in the second half of {@code ops}, one read with a read of a value that a newer write had
     * already replaced before the read was invoked: write W1 completed before write W2 was invoked, W2
     * completed before the read was invoked, and the read now returns W1's value. W2 and W1 are the latest
     * such writes, so the stale value is as recent as it can be. Write values are unique, so no
     * linearization can explain the read. Returns it.
     */
    private static Operation makeOneReadStale(List<Operation> ops, Random random) {
        int from = ops.size() / 2 + random.nextInt(ops.size() / 4);
        for (int i = from; i < ops.size(); i++) {
            Operation r = ops.get(i);
            if (r.kind() != Kind.READ) {
                continue;
            }
            Operation newer = null;
            for (Operation w : ops) {
                if (w.key().equals(r.key()) && w.kind() == Kind.WRITE && w.outcomeKnown()
                        && w.completedNanos() < r.invokedNanos()
                        && (newer == null || w.completedNanos() > newer.completedNanos())) {
                    newer = w;
                }
            }
            if (newer == null) {
                continue;
            }
            Operation older = null;
            for (Operation w : ops) {
                if (w.key().equals(r.key()) && w.kind() == Kind.WRITE && w.outcomeKnown()
                        && w.completedNanos() < newer.invokedNanos()
                        && (older == null || w.completedNanos() > older.completedNanos())) {
                    older = w;
                }
            }
            if (older != null && !older.value().equals(r.value())) {
                Operation stale = new Operation(r.id(), r.client(), r.key(), Kind.READ, older.value(),
                        r.invokedNanos(), r.completedNanos(), true);
                ops.set(i, stale);
                return stale;
            }
        }
        throw new AssertionError("no read to make stale after index " + from);
    }
}
