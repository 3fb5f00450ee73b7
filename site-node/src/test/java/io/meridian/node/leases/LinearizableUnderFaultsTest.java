package io.meridian.node.leases;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import io.meridian.node.testing.linearizability.History;
import io.meridian.node.testing.linearizability.Kind;
import io.meridian.node.testing.linearizability.LinearizabilityChecker;
import io.meridian.node.testing.linearizability.Operation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Concurrent clients read, write and delete a few keys through all three sites of a federation
 * while links are cut and slowed, a site is paused, a site is restarted, and two sites' lease
 * clocks run 1 % fast and 1 % slow; every history must be linearizable per key. Each run prints
 * its seed; a failing seed reruns alone with {@code -Dmeridian.linearizability.seeds=SEED}.
 *
 * <p>Three seeds of 6 s run by default; the {@code soak} profile runs
 * {@code meridian.soak.runs} (default 40) random seeds of {@code meridian.soak.seconds} (default
 * 20) each.
 */
class LinearizableUnderFaultsTest {

    private static final List<String> SITES = List.of("alpha", "beta", "gamma");
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3");
    private static final int CLIENTS = 6;
    private static final Duration READ_LEASE = Duration.ofMillis(400);

    @TempDir
    Path dir;

    static Stream<Long> quickSeeds() {
        String chosen = System.getProperty("meridian.linearizability.seeds");
        if (chosen != null && !chosen.isBlank()) {
            return Stream.of(chosen.split(",")).map(String::trim).map(Long::parseLong);
        }
        return Stream.of(11L, 22L, 33L);
    }

    static Stream<Long> soakSeeds() {
        int runs = Integer.getInteger("meridian.soak.runs", 40);
        long base = System.nanoTime();
        return LongStream.range(0, runs).mapToObj(i -> base + i * 7919);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("quickSeeds")
    void historiesUnderFaultsAreLinearizable(long seed) throws Exception {
        run(seed, Duration.ofSeconds(6));
    }

    @Tag("soak")
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("soakSeeds")
    void manyLongerHistoriesUnderFaultsAreLinearizable(long seed) throws Exception {
        run(seed, Duration.ofSeconds(Integer.getInteger("meridian.soak.seconds", 20)));
    }

    private void run(long seed, Duration length) throws Exception {
        System.out.println("LinearizableUnderFaultsTest seed " + seed + " for " + length.toSeconds() + " s");
        Path root = Files.createTempDirectory(dir, "seed-" + seed);
        Map<String, String> settings = Map.of(
                "lease.read-period", READ_LEASE.toMillis() + "ms",
                // Two clocks, one 1 % fast and one 1 % slow, disagree by 2 %: the bound says so.
                "lease.drift-rate", "0.02",
                "lease.drift-margin", "50ms",
                "mesh.first-byte-timeout", "2s",
                "mesh.answer-timeout", "5s",
                "mesh.idle-timeout", "5s");
        History history = new History();
        try (MiniFederation fed = MiniFederation.start(root, SITES, settings)) {
            assertThat(RawS3.send(fed.s3Url("alpha"), "PUT", "/lin", new byte[0]).status()).isEqualTo(200);
            fed.clock("beta").setRate(0.01);
            fed.clock("gamma").setRate(-0.01);

            Map<String, String> urls = new java.util.HashMap<>();
            SITES.forEach(site -> urls.put(site, fed.s3Url(site)));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger values = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Random random = new Random(seed * 31 + c);
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        step(urls, history, client, random, values);
                    }
                }, "lin-client-" + c);
                t.start();
                clients.add(t);
            }
            nemesis(fed, new Random(seed), length);
            stop.set(true);
            for (Thread t : clients) {
                t.join(Duration.ofSeconds(60).toMillis());
            }
            fed.faults().clear();
        }
        List<Operation> ops = history.operations();
        LinearizabilityChecker.Result result = LinearizabilityChecker.check(ops);
        long reads = ops.stream().filter(o -> o.kind() == Kind.READ).count();
        long unknown = ops.stream().filter(o -> !o.outcomeKnown()).count();
        System.out.println("seed " + seed + ": " + ops.size() + " operations (" + reads + " reads, " + unknown
                + " with unknown outcome) checked: " + (result.linearizable() ? "linearizable" : "NOT linearizable"));
        System.out.println("reads answered from a lease: " + LEASE_HITS + "; unknown outcomes by cause: "
                + UNKNOWN_CAUSES);
        UNKNOWN_CAUSES.clear();
        int hits = LEASE_HITS.getAndSet(0);
        assertThat(result.linearizable()).as("seed %s: %s", seed, result.explanation()).isTrue();
        assertThat(reads).as("seed %s produced too few successful reads to mean anything", seed).isGreaterThan(50);
        assertThat(hits).as("seed %s: no read was answered under a lease", seed).isPositive();
    }

    /** One operation by one client at a random site on a random key. */
    private static void step(Map<String, String> urls, History history, int client, Random random,
                             AtomicInteger values) {
        String url = urls.get(SITES.get(random.nextInt(SITES.size())));
        String key = KEYS.get(random.nextInt(KEYS.size()));
        int dice = random.nextInt(100);
        if (dice < 55) {
            History.Pending p = history.invoke(client, key, Kind.READ, null);
            try {
                RawS3.Response r = RawS3.send(url, "GET", "/lin/" + key, new byte[0]);
                if (r.status() == 200) {
                    p.read(r.body());
                    if ("hit".equals(r.headers().get("x-meridian-cache"))) {
                        LEASE_HITS.incrementAndGet();
                    }
                } else if (r.status() == 404) {
                    p.read(null);
                } else {
                    p.unknown();
                }
            } catch (IOException | RuntimeException e) {
                p.unknown();
            }
        } else if (dice < 92) {
            String value = "v" + values.incrementAndGet();
            History.Pending p = history.invoke(client, key, Kind.WRITE, value);
            try {
                RawS3.Response r = RawS3.send(url, "PUT", "/lin/" + key, value.getBytes(StandardCharsets.UTF_8));
                complete(p, r.status() == 200, r);
            } catch (IOException | RuntimeException e) {
                incomplete(p, e);
            }
        } else {
            History.Pending p = history.invoke(client, key, Kind.DELETE, null);
            try {
                RawS3.Response r = RawS3.send(url, "DELETE", "/lin/" + key, new byte[0]);
                complete(p, r.status() == 204, r);
            } catch (IOException | RuntimeException e) {
                incomplete(p, e);
            }
        }
    }

    /**
     * A write's or delete's answer: done; or known to have had no effect (the site that took it
     * says it never sent it to the owner); or anything else, which may hide a change the owner made
     * (its answer lost on the way back).
     */
    private static void complete(History.Pending p, boolean done, RawS3.Response r) {
        if (done) {
            p.ok();
        } else if (r.body().contains("<RequestApplied>false</RequestApplied>")) {
            p.failed();
        } else {
            UNKNOWN_CAUSES.merge(r.status() + " " + code(r.body()), 1, Integer::sum);
            p.unknown();
        }
    }

    static final AtomicInteger LEASE_HITS = new AtomicInteger();
    static final Map<String, Integer> UNKNOWN_CAUSES = new java.util.concurrent.ConcurrentHashMap<>();

    private static String code(String body) {
        int i = body.indexOf("<Message>");
        return i < 0 ? body.substring(0, Math.min(80, body.length())) : body.substring(i, Math.min(body.length(), i + 160));
    }

    private static void incomplete(History.Pending p, Exception e) {
        // Nothing listened at the site (it was down): the request went nowhere.
        if (e instanceof java.net.ConnectException || e.getCause() instanceof java.net.ConnectException) {
            p.failed();
        } else {
            UNKNOWN_CAUSES.merge(e.toString(), 1, Integer::sum);
            p.unknown();
        }
    }

    /** Breaks things for {@code length}: partitions, one-way cuts, delays, a pause and one restart. */
    private static void nemesis(MiniFederation fed, Random random, Duration length) throws IOException {
        long end = System.nanoTime() + length.toNanos();
        long restartAt = System.nanoTime() + length.toNanos() / 2;
        boolean restarted = false;
        while (System.nanoTime() < end) {
            String a = SITES.get(random.nextInt(SITES.size()));
            String b = SITES.get(random.nextInt(SITES.size()));
            switch (random.nextInt(6)) {
                case 0:
                    if (!a.equals(b)) {
                        fed.faults().partition(a, b);
                    }
                    break;
                case 1:
                    if (!a.equals(b)) {
                        fed.faults().cutOneWay(a, b);
                    }
                    break;
                case 2:
                    fed.faults().delay(a, b, Duration.ofMillis(random.nextInt(150)));
                    break;
                case 3:
                    fed.faults().pause(a);
                    sleep(100 + random.nextInt(300));
                    fed.faults().resume(a);
                    break;
                default:
                    fed.faults().clear();
            }
            if (!restarted && System.nanoTime() > restartAt) {
                restarted = true;
                String victim = random.nextBoolean() ? "alpha" : SITES.get(1 + random.nextInt(2));
                fed.faults().clear();
                fed.kill(victim);
                sleep(200);
                fed.startAgain(victim);
                if (!victim.equals("alpha")) {
                    fed.clock(victim).setRate(victim.equals("beta") ? 0.01 : -0.01);
                }
            }
            sleep(150 + random.nextInt(500));
        }
    }

    /**
     * Keeps the current fault in place for {@code ms}: the nemesis's schedule is time itself, not
     * a condition to wait for.
     */
    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
