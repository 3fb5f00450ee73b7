package io.meridian.e2e.bench;

import picocli.CommandLine.Command;

/** {@code meridian bench NAME}: runs a benchmark, prints a table and writes e2e/target/bench/NAME.json. */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = {"Run a benchmark against a fresh local federation; prints a table and writes"
                + " e2e/target/bench/NAME.json."},
        subcommands = {LocalityBench.class, LeaseBench.class})
public final class BenchCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
