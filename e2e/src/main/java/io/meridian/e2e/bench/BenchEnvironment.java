package io.meridian.e2e.bench;

import io.meridian.e2e.Ports;
import io.meridian.node.launch.LocalFederation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where benches put their data and results, and how they start a federation. */
final class BenchEnvironment {

    private BenchEnvironment() {}

    /** The repository root: where ./meridian runs from (it passes -Dmeridian.home). */
    static Path home() {
        return Path.of(System.getProperty("meridian.home", ".")).toAbsolutePath().normalize();
    }

    static Path resultsDir() {
        return home().resolve("e2e/target/bench");
    }

    /** Starts a fresh three-site federation for bench {@code name} in e2e/target/bench-data/NAME. */
    static LocalFederation freshFederation(String name, String heap) throws IOException, InterruptedException {
        Path dir = home().resolve("e2e/target/bench-data").resolve(name);
        deleteTree(dir);
        return LocalFederation.demo(dir, Ports.freeBasePort(3), heap).startAndAwaitReady(Duration.ofMinutes(3));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
