package io.meridian.cache.time;

import java.time.Duration;

/**
 * How far two sites' clocks may disagree about a duration {@code d}: {@code rate * d + margin}
 * (DESIGN.md "Leases and time"). A lease is only as safe as this bound is true.
 *
 * @param rate the largest relative rate error between two clocks, for example 0.01 for 1 %
 * @param margin a fixed allowance on top, for scheduling and message handling
 */
public record DriftBound(double rate, Duration margin) {

    public static final DriftBound DEFAULT = new DriftBound(0.01, Duration.ofMillis(50));

    public DriftBound {
        if (!(rate >= 0 && rate < 0.5)) {
            throw new IllegalArgumentException("drift rate must be in [0, 0.5), was " + rate);
        }
        if (margin.isNegative()) {
            throw new IllegalArgumentException("drift margin must not be negative, was " + margin);
        }
    }

    /** {@code maxDrift(d)} in nanoseconds. */
    public long maxDriftNanos(long durationNanos) {
        return (long) Math.ceil(durationNanos * rate) + margin.toNanos();
    }

    public Duration maxDrift(Duration d) {
        return Duration.ofNanos(maxDriftNanos(d.toNanos()));
    }
}
