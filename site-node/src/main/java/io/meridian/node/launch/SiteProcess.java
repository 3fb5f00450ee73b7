package io.meridian.node.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A site running as its own JVM process, started from this process's classpath, with its output in
 * a log file. {@link #stop()} asks it to shut down cleanly (SIGTERM); {@link #kill()} does not ask.
 */
public final class SiteProcess {

    private final String name;
    private final List<String> command;
    private final Path log;
    private Process process;

    SiteProcess(String name, List<String> command, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.log = log;
    }

    /** Returns the command line that starts a site JVM with {@code heap} and the given site arguments. */
    static List<String> javaCommand(String heap, String classpath, List<String> siteArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        cmd.add("-Xmx" + heap);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("io.meridian.node.cli.Main");
        cmd.add("site");
        cmd.addAll(siteArgs);
        cmd.add("--exit-with-parent");
        return cmd;
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("site " + name + " is already running");
        }
        Files.createDirectories(log.getParent());
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process.pid();
    }

    /** Asks the site to stop and waits for it; kills it if it does not stop within the timeout. */
    public synchronized int stop(long timeoutSeconds) throws InterruptedException {
        if (process == null) {
            return 0;
        }
        process.destroy();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    public int stop() throws InterruptedException {
        return stop(30);
    }

    /** Kills the site at once (SIGKILL), as a crash would. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    public synchronized Process process() {
        return process;
    }
}
