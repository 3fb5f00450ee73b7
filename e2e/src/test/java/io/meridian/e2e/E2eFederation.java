package io.meridian.e2e;

import io.meridian.node.launch.LocalFederation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Starts the demo's three sites as real processes for an end-to-end test. */
final class E2eFederation {

    private E2eFederation() {}

    /** The classpath site processes run with: this module's runtime classpath, written by Maven. */
    static String siteClasspath() {
        Path file = Path.of("target", "runtime-classpath.txt");
        try {
            return Files.readString(file).trim() + java.io.File.pathSeparator + Path.of("target", "classes")
                    .toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("Run the tests through Maven (./mvnw verify), which writes " + file, e);
        }
    }

    static LocalFederation start(Path dir) throws IOException, InterruptedException {
        return LocalFederation.demo(dir, Ports.freeBasePort(3), "512m").classpath(siteClasspath())
                .startAndAwaitReady(Duration.ofMinutes(3));
    }
}
