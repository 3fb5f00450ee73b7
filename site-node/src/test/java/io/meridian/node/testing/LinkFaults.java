package io.meridian.node.testing;

import io.meridian.federation.MeshFaults;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The named faults of a test federation's mesh: links cut or slowed (each direction on its own),
 * and sites paused. One instance is shared by every site; each message asks it when it may go.
 */
public final class LinkFaults implements MeshFaults {

    private final Map<String, Boolean> cut = new ConcurrentHashMap<>();
    private final Map<String, Duration> delay = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> paused = new ConcurrentHashMap<>();

    private static String link(String from, String to) {
        return from + "->" + to;
    }

    /** Loses every message between {@code a} and {@code b}, both ways, until healed. */
    public void partition(String a, String b) {
        cutOneWay(a, b);
        cutOneWay(b, a);
    }

    /** Loses every message from {@code from} to {@code to} until healed. */
    public void cutOneWay(String from, String to) {
        cut.put(link(from, to), true);
    }

    /** Restores the link between {@code a} and {@code b}, both ways. */
    public void heal(String a, String b) {
        cut.remove(link(a, b));
        cut.remove(link(b, a));
    }

    /** Delays every message from {@code from} to {@code to} by {@code d} (zero: none). */
    public void delay(String from, String to, Duration d) {
        if (d.isZero()) {
            delay.remove(link(from, to));
        } else {
            delay.put(link(from, to), d);
        }
    }

    /** Holds every message to or from {@code site} until {@link #resume}, as if it had frozen. */
    public void pause(String site) {
        paused.putIfAbsent(site, new CompletableFuture<>());
    }

    public void resume(String site) {
        CompletableFuture<Void> gate = paused.remove(site);
        if (gate != null) {
            gate.complete(null);
        }
    }

    /** Heals every link, removes every delay and resumes every site. */
    public void clear() {
        cut.clear();
        delay.clear();
        paused.keySet().forEach(this::resume);
    }

    @Override
    public CompletableFuture<Boolean> admit(String from, String to) {
        CompletableFuture<Void> gate = paused.get(from);
        if (gate == null) {
            gate = paused.get(to);
        }
        if (gate != null) {
            return gate.thenCompose(ignored -> admit(from, to));
        }
        if (cut.containsKey(link(from, to))) {
            return CompletableFuture.completedFuture(false);
        }
        Duration d = delay.get(link(from, to));
        if (d == null) {
            return DELIVER;
        }
        // Decided again on arrival: a link cut while the message was on its way loses it.
        return CompletableFuture.supplyAsync(() -> !cut.containsKey(link(from, to)),
                CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS));
    }
}
