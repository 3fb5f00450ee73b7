package io.meridian.consensus.internal;

import org.apache.ratis.util.ExitUtils;

/**
 * Stops Ratis from ending the whole process.
 *
 * <p>When its gRPC server cannot start (for example because the port is taken), Ratis calls
 * {@code System.exit(1)} through {@link ExitUtils#terminate}. With system exit disabled, that call
 * throws {@link ExitUtils.ExitException} instead, which {@code start()} turns into an
 * {@link java.io.IOException}. Initialising {@link ExitUtils} also replaces the JVM's default
 * uncaught-exception handler with one that would end the process; the handler in place before is
 * put back.
 */
final class RatisProcessGuard {

    private static boolean installed;

    private RatisProcessGuard() {}

    static synchronized void install() {
        if (installed) {
            return;
        }
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        ExitUtils.disableSystemExit();
        Thread.setDefaultUncaughtExceptionHandler(previous);
        installed = true;
    }
}
