package io.meridian.cache.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DriftBoundTest {

    private static final long MS = 1_000_000L;

    @Test
    void defaultIsOnePercentPlusFiftyMilliseconds() {
        assertThat(DriftBound.DEFAULT.rate()).isEqualTo(0.01);
        assertThat(DriftBound.DEFAULT.margin()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void maxDriftIsRateTimesDurationPlusMargin() {
        DriftBound bound = new DriftBound(0.01, Duration.ofMillis(50));

        assertThat(bound.maxDriftNanos(10_000 * MS)).isEqualTo(150 * MS);
        assertThat(bound.maxDriftNanos(5_000 * MS)).isEqualTo(100 * MS);
        assertThat(bound.maxDriftNanos(6L * 3600 * 1000 * MS)).isEqualTo(216_000 * MS + 50 * MS);
    }

    @Test
    void maxDriftOfNothingIsTheMargin() {
        DriftBound bound = new DriftBound(0.01, Duration.ofMillis(50));

        assertThat(bound.maxDriftNanos(0)).isEqualTo(50 * MS);
    }

    @Test
    void fractionsOfANanosecondRoundUp() {
        DriftBound bound = new DriftBound(0.01, Duration.ZERO);

        assertThat(bound.maxDriftNanos(1)).isEqualTo(1);
        assertThat(bound.maxDriftNanos(100)).isEqualTo(1);
        assertThat(bound.maxDriftNanos(101)).isEqualTo(2);
        assertThat(bound.maxDriftNanos(150)).isEqualTo(2);
    }

    @Test
    void zeroRateLeavesOnlyTheMargin() {
        DriftBound bound = new DriftBound(0, Duration.ofMillis(7));

        assertThat(bound.maxDriftNanos(10_000 * MS)).isEqualTo(7 * MS);
    }

    @Test
    void zeroMarginLeavesOnlyTheRate() {
        DriftBound bound = new DriftBound(0.02, Duration.ZERO);

        assertThat(bound.maxDriftNanos(1_000 * MS)).isEqualTo(20 * MS);
    }

    @Test
    void durationFormAgreesWithNanos() {
        DriftBound bound = new DriftBound(0.01, Duration.ofMillis(50));

        assertThat(bound.maxDrift(Duration.ofSeconds(10))).isEqualTo(Duration.ofMillis(150));
        assertThat(bound.maxDrift(Duration.ZERO)).isEqualTo(Duration.ofMillis(50));
        assertThat(bound.maxDrift(Duration.ofNanos(12_345_678_901L)).toNanos())
                .isEqualTo(bound.maxDriftNanos(12_345_678_901L));
    }

    @Test
    void growsWithTheDuration() {
        DriftBound bound = DriftBound.DEFAULT;
        long previous = bound.maxDriftNanos(0);
        for (long d = MS; d <= 60_000 * MS; d += 997 * MS) {
            long drift = bound.maxDriftNanos(d);
            assertThat(drift).isGreaterThanOrEqualTo(previous);
            previous = drift;
        }
    }

    @Test
    void coversTwoClocksEachHalfTheRateOffACommonBase() {
        // What a lease needs: a duration d on the fast clock reads at least d - maxDrift(d) on the slow one.
        ManualClock base = new ManualClock();
        DriftingClock fast = new DriftingClock(base, 0.005);
        DriftingClock slow = new DriftingClock(base, -0.005);
        DriftBound bound = new DriftBound(0.01, Duration.ZERO);
        long fastStart = fast.nanos();
        long slowStart = slow.nanos();

        base.advance(Duration.ofSeconds(10));

        long onFast = fast.nanos() - fastStart;
        long onSlow = slow.nanos() - slowStart;
        assertThat(onSlow).isGreaterThanOrEqualTo(onFast - bound.maxDriftNanos(onFast));
    }

    @ParameterizedTest(name = "rate {0}")
    @ValueSource(doubles = {-0.01, -Double.MIN_VALUE, 0.5, 0.75, 1.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY})
    void rejectsARateOutsideZeroToOneHalf(double rate) {
        assertThatThrownBy(() -> new DriftBound(rate, Duration.ofMillis(50)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("drift rate must be in [0, 0.5)")
                .hasMessageContaining(String.valueOf(rate));
    }

    @ParameterizedTest(name = "rate {0}")
    @ValueSource(doubles = {0, 0.01, 0.4999})
    void acceptsARateInZeroToOneHalf(double rate) {
        assertThat(new DriftBound(rate, Duration.ZERO).rate()).isEqualTo(rate);
    }

    @Test
    void rejectsANegativeMargin() {
        assertThatThrownBy(() -> new DriftBound(0.01, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("drift margin must not be negative")
                .hasMessageContaining("PT-0.001S");
    }
}
