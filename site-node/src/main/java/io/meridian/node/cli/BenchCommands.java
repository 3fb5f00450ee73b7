package io.meridian.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Adds the {@code bench} command when the benchmarks (module e2e) are on the classpath, as they are
 * when {@code ./meridian} runs from a source tree; otherwise a stand-in says where they are.
 */
final class BenchCommands {

    static final String BENCH_CLASS = "io.meridian.e2e.bench.BenchCommand";

    private BenchCommands() {}

    static void register(CommandLine cli) {
        Object bench;
        try {
            bench = Class.forName(BENCH_CLASS).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            bench = new Missing();
        }
        cli.addSubcommand("bench", bench);
    }

    @Command(name = "bench", description = "Run a benchmark (needs the e2e module; run ./meridian from the source tree).")
    static final class Missing implements Runnable {
        @Override
        public void run() {
            System.err.println("The benchmarks are in the e2e module, which is not on this classpath."
                    + " Run ./meridian bench from a Meridian source tree.");
        }
    }
}
