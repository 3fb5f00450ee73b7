package io.meridian.cache.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManualClockTest {

    @Test
    void standsStillUntilAdvanced() {
        ManualClock clock = new ManualClock();
        long start = clock.nanos();

        assertThat(clock.nanos()).isEqualTo(start);
        assertThat(clock.nanos()).isEqualTo(start);
    }

    @Test
    void advancesByExactlyTheGivenDuration() {
        ManualClock clock = new ManualClock();
        long start = clock.nanos();

        clock.advance(Duration.ofMillis(1500));
        clock.advance(Duration.ofNanos(7));

        assertThat(clock.nanos() - start).isEqualTo(1_500_000_007L);
    }

    @Test
    void advancingByZeroIsAllowed() {
        ManualClock clock = new ManualClock();
        long start = clock.nanos();

        clock.advance(Duration.ZERO);

        assertThat(clock.nanos()).isEqualTo(start);
    }

    @Test
    void refusesToGoBack() {
        ManualClock clock = new ManualClock();
        long start = clock.nanos();

        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.000000001S");
        assertThat(clock.nanos()).isEqualTo(start);
    }
}
