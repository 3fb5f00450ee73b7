package io.meridian.cache.time;

/**
 * A clock that only measures elapsed time, in nanoseconds from an arbitrary origin. Every lease
 * computation runs on one, injected: {@link #system()} in production, a {@link ManualClock} or a
 * {@link DriftingClock} in tests.
 */
@FunctionalInterface
public interface MonotonicClock {

    /** The current reading; only differences between two readings of one clock mean anything. */
    long nanos();

    /** The JVM's monotonic clock ({@link System#nanoTime()}). */
    static MonotonicClock system() {
        return System::nanoTime;
    }
}
