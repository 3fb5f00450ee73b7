package io.meridian.cache.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that runs fast or slow against another by a fixed rate, and that can jump forward: the
 * faults a lease measured in elapsed time has to survive. A rate of {@code 0.01} runs 1 % fast,
 * {@code -0.01} runs 1 % slow. Changing the rate keeps the reading continuous.
 */
public final class DriftingClock implements MonotonicClock {

    private final MonotonicClock base;
    private final Object lock = new Object();
    private long baseAtChange;
    private long readingAtChange;
    private double rate;
    private final AtomicLong jumped = new AtomicLong();
    private long lastReading = Long.MIN_VALUE;

    public DriftingClock(MonotonicClock base, double rate) {
        this.base = base;
        this.baseAtChange = base.nanos();
        this.readingAtChange = baseAtChange;
        this.rate = checkRate(rate);
    }

    @Override
    public long nanos() {
        synchronized (lock) {
            long elapsed = base.nanos() - baseAtChange;
            long reading = readingAtChange + elapsed + (long) (elapsed * rate) + jumped.get();
            // Never go back, even across a rate change and rounding.
            lastReading = Math.max(lastReading, reading);
            return lastReading;
        }
    }

    /** Changes how fast this clock runs from now on. */
    public void setRate(double newRate) {
        synchronized (lock) {
            long now = base.nanos();
            long elapsed = now - baseAtChange;
            readingAtChange = readingAtChange + elapsed + (long) (elapsed * rate);
            baseAtChange = now;
            rate = checkRate(newRate);
        }
    }

    /** Jumps forward by {@code d}, as a clock does after a suspended VM resumes. */
    public void jump(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a monotonic clock cannot go back: " + d);
        }
        jumped.addAndGet(d.toNanos());
    }

    public double rate() {
        synchronized (lock) {
            return rate;
        }
    }

    private static double checkRate(double r) {
        if (!(r > -0.5 && r < 0.5)) {
            throw new IllegalArgumentException("drift rate must be between -0.5 and 0.5, was " + r);
        }
        return r;
    }
}
