package io.meridian.cache.time;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MonotonicClockTest {

    @Test
    void systemClockNeverGoesBack() {
        MonotonicClock clock = MonotonicClock.system();
        long previous = clock.nanos();
        for (int i = 0; i < 10_000; i++) {
            long now = clock.nanos();
            assertThat(now - previous).isNotNegative();
            previous = now;
        }
    }

    @Test
    void systemClockReadsNanoTime() {
        MonotonicClock clock = MonotonicClock.system();

        long before = System.nanoTime();
        long reading = clock.nanos();
        long after = System.nanoTime();

        assertThat(reading - before).isNotNegative();
        assertThat(after - reading).isNotNegative();
    }

    @Test
    void aLambdaIsAClock() {
        MonotonicClock fixed = () -> 42L;

        assertThat(fixed.nanos()).isEqualTo(42L);
    }
}
