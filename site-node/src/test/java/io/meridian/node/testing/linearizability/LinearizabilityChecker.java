package io.meridian.node.testing.linearizability;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Verify.verifyNotNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Checks that a history of register operations is linearizable: that each operation can be given one
 * instant between its invocation and its completion such that, taken in the order of those instants,
 * the operations behave like one register per key that starts absent.
 *
 * <p>Keys are independent registers and linearizability is compositional, so each key is checked on its
 * own. A key is searched with the algorithm of Wing and Gong as refined by Lowe: a depth-first search
 * that repeatedly places next one of the operations invoked before the earliest pending completion,
 * backtracks when that completion is reached with its operation unplaced, and memoizes every (set of
 * placed operations, register value) pair it has explored so that no configuration is explored twice.
 *
 * <p>A write or delete whose outcome is unknown may take effect at any time after its invocation, or
 * never: the search may place it but need not. Two reductions keep such operations cheap. One whose
 * effect no read could have observed (no read completing after its invocation saw the value it leaves)
 * is dropped, since leaving it out changes no read. A write that is the only writer of a value some read
 * saw must have taken effect, so it is required, by the completion of the first such read. A read with
 * an unknown outcome constrains nothing and is ignored.
 *
 * <p>The search is exponential in the worst case. It gives up after a budget of explored
 * configurations and reports the key as undecided, which callers must treat as a failure.
 */
public final class LinearizabilityChecker {

    /** Configurations explored per key before giving up; each costs roughly 100 to 200 bytes of heap. */
    public static final long DEFAULT_MAX_STATES = 5_000_000;

    private static final int PREFIX_SHOWN = 6;
    private static final int CANDIDATES_SHOWN = 8;
    private static final int VALUE_CHARS_SHOWN = 40;

    private LinearizabilityChecker() {}

    /**
     * The verdict on a history.
     *
     * @param linearizable {@code false} both for a violation and for a search that ran out of budget
     *     (the explanation then starts with {@code undecided})
     * @param explanation for a failure: the key, the longest linearizable prefix found and the operations
     *     none of which can be placed after it
     */
    public record Result(boolean linearizable, String explanation) {}

    /** Checks every key of {@code ops} with the {@link #DEFAULT_MAX_STATES default budget}. */
    public static Result check(List<Operation> ops) {
        return check(ops, DEFAULT_MAX_STATES);
    }

    /**
     * Checks every key of {@code ops}, giving each key a budget of {@code maxStates} configurations. A
     * failure explains the first violating key in key order (or the first undecided one if no key is a
     * definite violation) and lists the other failing keys.
     */
    public static Result check(List<Operation> ops, long maxStates) {
        checkArgument(maxStates > 0, "maxStates must be positive, got %s", maxStates);
        if (ops.isEmpty()) {
            return new Result(true, "the history is empty");
        }
        long origin = ops.stream().mapToLong(Operation::invokedNanos).min().getAsLong();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : ops) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        List<String> violating = new ArrayList<>();
        List<String> undecided = new ArrayList<>();
        Map<String, Result> failures = new HashMap<>();
        for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
            Search search = new Search(e.getKey(), e.getValue(), origin, maxStates);
            Result result = search.run();
            if (!result.linearizable()) {
                failures.put(e.getKey(), result);
                (search.undecided ? undecided : violating).add(e.getKey());
            }
        }
        if (failures.isEmpty()) {
            return new Result(true, ops.size() + " operations on " + byKey.size() + " keys are linearizable");
        }
        List<String> failing = new ArrayList<>(violating);
        failing.addAll(undecided);
        StringBuilder explanation = new StringBuilder(failures.get(failing.get(0)).explanation());
        if (violating.size() > 1) {
            explanation.append("\nOther keys that are not linearizable: ")
                    .append(violating.subList(1, violating.size()));
        }
        if (!undecided.isEmpty() && !violating.isEmpty()) {
            explanation.append("\nKeys left undecided (budget exhausted): ").append(undecided);
        } else if (undecided.size() > 1) {
            explanation.append("\nOther keys left undecided (budget exhausted): ")
                    .append(undecided.subList(1, undecided.size()));
        }
        return new Result(false, explanation.toString());
    }

    /** Checks the operations of one key with the {@link #DEFAULT_MAX_STATES default budget}. */
    public static Result checkKey(List<Operation> ops) {
        return checkKey(ops, DEFAULT_MAX_STATES);
    }

    /** Checks the operations of one key, giving up after {@code maxStates} explored configurations. */
    public static Result checkKey(List<Operation> ops, long maxStates) {
        checkArgument(maxStates > 0, "maxStates must be positive, got %s", maxStates);
        if (ops.isEmpty()) {
            return new Result(true, "the history is empty");
        }
        String key = ops.get(0).key();
        for (Operation op : ops) {
            checkArgument(op.key().equals(key),
                    "checkKey takes the operations of one key, got '%s' and '%s'; use check() for several keys",
                    key, op.key());
        }
        long origin = ops.stream().mapToLong(Operation::invokedNanos).min().getAsLong();
        return new Search(key, ops, origin, maxStates).run();
    }

    /** An invocation or completion in the time-ordered, doubly linked list of events the search walks. */
    private static final class Event {
        final int op;
        final boolean call;
        final long time;
        @Nullable Event match;
        @Nullable Event prev;
        @Nullable Event next;

        Event(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    /** A configuration already explored: the placed operations and the register value after them. */
    private record Config(BitSet placed, int value) {}

    /** The search over the history of one key. */
    private static final class Search {

        private static final int ABSENT = 0;
        private static final int ILLEGAL = -1;
        private static final long OPTIONAL = Long.MAX_VALUE;

        private final String key;
        private final long origin;
        private final long maxStates;
        private final Operation[] ops;
        /** Per operation: the value id a write or delete leaves, or the value id a read observed. */
        private final int[] effect;
        private final List<@Nullable String> values = new ArrayList<>();
        private final Map<String, Integer> valueIds = new HashMap<>();
        /** Per operation: the time by which it must be placed, or OPTIONAL if it may be left out. */
        private final long[] due;
        private final int requiredCount;
        private final int droppedUnknown;
        private final Event head = new Event(-1, false, Long.MIN_VALUE);
        private final Event[] calls;

        private int[] bestPrefix = new int[0];
        private int bestValue = ABSENT;
        private int bestRequired = -1;
        private long explored;
        boolean undecided;

        Search(String key, List<Operation> all, long origin, long maxStates) {
            this.key = key;
            this.origin = origin;
            this.maxStates = maxStates;
            values.add(null);
            for (Operation op : all) {
                valueId(op.value());
            }

            // Per value id: when the first and the last read that observed it completed, and how many
            // operations wrote it.
            long[] firstReadDone = new long[values.size()];
            long[] lastReadDone = new long[values.size()];
            int[] writers = new int[values.size()];
            Arrays.fill(firstReadDone, Long.MAX_VALUE);
            Arrays.fill(lastReadDone, Long.MIN_VALUE);
            for (Operation op : all) {
                int id = valueId(op.value());
                if (op.kind() == Kind.READ && op.outcomeKnown()) {
                    firstReadDone[id] = Math.min(firstReadDone[id], op.completedNanos());
                    lastReadDone[id] = Math.max(lastReadDone[id], op.completedNanos());
                } else if (op.kind() == Kind.WRITE) {
                    writers[id]++;
                }
            }

            record Kept(Operation op, long due) {}
            List<Kept> kept = new ArrayList<>();
            int dropped = 0;
            for (Operation op : all) {
                if (op.outcomeKnown()) {
                    kept.add(new Kept(op, op.completedNanos()));
                    continue;
                }
                if (op.kind() == Kind.READ) {
                    continue;
                }
                int id = op.kind() == Kind.DELETE ? ABSENT : valueId(op.value());
                if (lastReadDone[id] < op.invokedNanos()) {
                    // No read that could follow it observed what it leaves: leaving it out changes nothing.
                    dropped++;
                } else if (op.kind() == Kind.WRITE && writers[id] == 1 && firstReadDone[id] >= op.invokedNanos()) {
                    // The only writer of a value some read saw: it took effect before that read completed.
                    kept.add(new Kept(op, firstReadDone[id]));
                } else {
                    kept.add(new Kept(op, OPTIONAL));
                }
            }
            kept.sort(Comparator.comparingLong((Kept k) -> k.op().invokedNanos()).thenComparingLong(k -> k.op().id()));
            int n = kept.size();
            ops = new Operation[n];
            due = new long[n];
            effect = new int[n];
            int required = 0;
            for (int i = 0; i < n; i++) {
                ops[i] = kept.get(i).op();
                due[i] = kept.get(i).due();
                effect[i] = ops[i].kind() == Kind.DELETE ? ABSENT : valueId(ops[i].value());
                if (due[i] != OPTIONAL) {
                    required++;
                }
            }
            requiredCount = required;
            droppedUnknown = dropped;

            calls = new Event[n];
            List<Event> events = new ArrayList<>(2 * n);
            for (int i = 0; i < n; i++) {
                calls[i] = new Event(i, true, ops[i].invokedNanos());
                events.add(calls[i]);
                if (due[i] != OPTIONAL) {
                    Event ret = new Event(i, false, due[i]);
                    calls[i].match = ret;
                    events.add(ret);
                }
            }
            // On equal times an invocation sorts before a completion: operations that merely touch are
            // treated as concurrent, never as ordered.
            events.sort(Comparator.<Event>comparingLong(e -> e.time)
                    .thenComparingInt(e -> e.call ? 0 : 1)
                    .thenComparingInt(e -> e.op));
            Event last = head;
            for (Event e : events) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        private int valueId(@Nullable String value) {
            if (value == null) {
                return ABSENT;
            }
            return valueIds.computeIfAbsent(value, v -> {
                values.add(v);
                return values.size() - 1;
            });
        }

        /** Returns the register value after {@code op} runs on {@code value}, or ILLEGAL if it cannot. */
        private int step(int value, int op) {
            return switch (ops[op].kind()) {
                case WRITE, DELETE -> effect[op];
                case READ -> effect[op] == value ? value : ILLEGAL;
            };
        }

        Result run() {
            int n = ops.length;
            BitSet placed = new BitSet(n);
            Set<Config> seen = new HashSet<>();
            int[] stackOps = new int[n];
            int[] stackValues = new int[n];
            int depth = 0;
            int value = ABSENT;
            int requiredLeft = requiredCount;
            recordBest(stackOps, depth, value, 0);

            Event event = head.next;
            while (requiredLeft > 0) {
                Event current = verifyNotNull(event, "key '%s': the search walked past the last event", key);
                if (current.call) {
                    int op = current.op;
                    int after = step(value, op);
                    if (after != ILLEGAL) {
                        placed.set(op);
                        if (!seen.contains(new Config(placed, after))) {
                            if (explored >= maxStates) {
                                undecided = true;
                                return budgetExhausted();
                            }
                            seen.add(new Config((BitSet) placed.clone(), after));
                            explored++;
                            stackOps[depth] = op;
                            stackValues[depth] = value;
                            depth++;
                            value = after;
                            lift(current);
                            if (due[op] != OPTIONAL) {
                                requiredLeft--;
                                recordBest(stackOps, depth, value, requiredCount - requiredLeft);
                            }
                            event = head.next;
                            continue;
                        }
                        placed.clear(op);
                    }
                    event = current.next;
                } else {
                    // The operation completing here was never placed: undo the last placement and try
                    // the candidates after it.
                    if (depth == 0) {
                        return violation();
                    }
                    depth--;
                    int op = stackOps[depth];
                    value = stackValues[depth];
                    placed.clear(op);
                    Event call = calls[op];
                    unlift(call);
                    if (due[op] != OPTIONAL) {
                        requiredLeft++;
                    }
                    event = call.next;
                }
            }
            return new Result(true, "key '" + key + "': " + ops.length + " operations are linearizable ("
                    + explored + " configurations explored)");
        }

        private void recordBest(int[] stackOps, int depth, int value, int required) {
            if (required > bestRequired) {
                bestRequired = required;
                bestPrefix = Arrays.copyOf(stackOps, depth);
                bestValue = value;
            }
        }

        private static void lift(Event call) {
            remove(call);
            if (call.match != null) {
                remove(call.match);
            }
        }

        /** Undoes {@link #lift}; removed events keep their links, so reinserting in reverse order works. */
        private static void unlift(Event call) {
            if (call.match != null) {
                reinsert(call.match);
            }
            reinsert(call);
        }

        private static void remove(Event e) {
            Event prev = verifyNotNull(e.prev);
            prev.next = e.next;
            if (e.next != null) {
                e.next.prev = prev;
            }
        }

        private static void reinsert(Event e) {
            verifyNotNull(e.prev).next = e;
            if (e.next != null) {
                e.next.prev = e;
            }
        }

        private Result violation() {
            StringBuilder sb = new StringBuilder();
            sb.append("key '").append(key).append("' is not linearizable: ");
            sb.append("no operation can follow the longest linearizable prefix found (")
                    .append(bestPrefix.length).append(" of ").append(ops.length).append(" operations placed, ")
                    .append(explored).append(" configurations explored).");
            appendDeepestPoint(sb, true);
            return new Result(false, sb.toString());
        }

        private Result budgetExhausted() {
            StringBuilder sb = new StringBuilder();
            sb.append("undecided: budget exhausted for key '").append(key).append("' after exploring ")
                    .append(maxStates).append(" configurations of ").append(ops.length)
                    .append(" operations. Treat this as a failure; to decide it, check a shorter history,")
                    .append(" use fewer concurrent clients or fewer unknown-outcome operations, or raise maxStates.")
                    .append("\nDeepest point reached: ").append(bestPrefix.length).append(" operations placed.");
            appendDeepestPoint(sb, false);
            return new Result(false, sb.toString());
        }

        /**
         * Describes the end of the longest prefix found and the operations that could go after it; when
         * {@code proven}, the search has shown that none of them can go next.
         */
        private void appendDeepestPoint(StringBuilder sb, boolean proven) {
            int shownFrom = Math.max(0, bestPrefix.length - PREFIX_SHOWN);
            if (bestPrefix.length == 0) {
                sb.append("\nNothing could be placed first; the register starts absent.");
            } else {
                sb.append("\nEnd of that prefix");
                if (shownFrom > 0) {
                    sb.append(" (last ").append(bestPrefix.length - shownFrom).append(')');
                }
                sb.append(", in linearization order:");
                for (int i = shownFrom; i < bestPrefix.length; i++) {
                    sb.append("\n    ").append(describe(bestPrefix[i]));
                }
                sb.append("\nThe register then holds ").append(show(values.get(bestValue))).append('.');
            }

            BitSet placed = new BitSet(ops.length);
            for (int op : bestPrefix) {
                placed.set(op);
            }
            int deadline = -1;
            for (int i = 0; i < ops.length; i++) {
                if (!placed.get(i) && due[i] != OPTIONAL && (deadline < 0 || due[i] < due[deadline])) {
                    deadline = i;
                }
            }
            if (deadline < 0) {
                return;
            }
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < ops.length; i++) {
                if (!placed.get(i) && ops[i].invokedNanos() <= due[deadline]) {
                    candidates.add(i);
                }
            }
            sb.append(proven ? "\nNone of these can be placed next" : "\nCandidates to place next")
                    .append(" (all were invoked by ").append(time(due[deadline]))
                    .append(", when #").append(ops[deadline].id()).append(" had to be placed):");
            for (int c = 0; c < Math.min(candidates.size(), CANDIDATES_SHOWN); c++) {
                int op = candidates.get(c);
                sb.append("\n    ").append(describe(op));
                if (proven || step(bestValue, op) == ILLEGAL) {
                    sb.append(": ").append(whyNot(op));
                }
            }
            if (candidates.size() > CANDIDATES_SHOWN) {
                sb.append("\n    ... and ").append(candidates.size() - CANDIDATES_SHOWN).append(" more");
            }
            if (droppedUnknown > 0) {
                sb.append("\n(").append(droppedUnknown).append(" unknown-outcome writes or deletes were left out:")
                        .append(" no read could have observed their effect.)");
            }
        }

        private String whyNot(int op) {
            Operation o = ops[op];
            if (o.kind() != Kind.READ) {
                if (o.outcomeKnown()) {
                    return "every continuation after it fails";
                }
                return due[op] == OPTIONAL
                        ? "may be left out, and every continuation after placing it fails"
                        : "the only write of a value read by " + time(due[op])
                                + ", so it took effect; every continuation after it fails";
            }
            if (step(bestValue, op) != ILLEGAL) {
                return "every continuation after it fails";
            }
            String observed = show(o.value());
            long firstWriter = Long.MAX_VALUE;
            long writerId = -1;
            for (Operation w : ops) {
                boolean writes = o.value() == null ? w.kind() == Kind.DELETE
                        : w.kind() == Kind.WRITE && Objects.equals(w.value(), o.value());
                if (writes && w.invokedNanos() < firstWriter) {
                    firstWriter = w.invokedNanos();
                    writerId = w.id();
                }
            }
            if (o.value() != null && writerId < 0) {
                return "observed " + observed + ", which no operation on this key wrote";
            }
            if (o.value() != null && firstWriter > o.completedNanos()) {
                return "observed " + observed + ", first written by #" + writerId
                        + ", which was invoked after this read completed";
            }
            return "observed " + observed + " but the register holds " + show(values.get(bestValue));
        }

        private String describe(int op) {
            Operation o = ops[op];
            StringBuilder sb = new StringBuilder();
            sb.append('#').append(o.id()).append(" client ").append(o.client()).append(' ');
            switch (o.kind()) {
                case WRITE -> sb.append("WRITE ").append(show(o.value()));
                case DELETE -> sb.append("DELETE");
                case READ -> sb.append("READ saw ").append(show(o.value()));
            }
            sb.append(" [").append(time(o.invokedNanos())).append(", ");
            sb.append(o.outcomeKnown() ? time(o.completedNanos()) + "]" : "?) outcome unknown");
            return sb.toString();
        }

        private String time(long nanos) {
            return String.format(Locale.ROOT, "+%.3fms", (nanos - origin) / 1e6);
        }

        private static String show(@Nullable String value) {
            if (value == null) {
                return "absent";
            }
            return value.length() <= VALUE_CHARS_SHOWN
                    ? "'" + value + "'"
                    : "'" + value.substring(0, VALUE_CHARS_SHOWN) + "...' (" + value.length() + " chars)";
        }
    }
}
