package io.meridian.cache.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DriftingClockTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock base = new ManualClock();

    @Test
    void startsAtTheBaseReading() {
        DriftingClock clock = new DriftingClock(base, 0.01);

        assertThat(clock.nanos()).isEqualTo(base.nanos());
    }

    @Test
    void zeroRateFollowsTheBase() {
        DriftingClock clock = new DriftingClock(base, 0);
        long start = clock.nanos();

        base.advance(Duration.ofMillis(1234));

        assertThat(clock.nanos() - start).isEqualTo(1_234_000_000L);
    }

    @Test
    void onePercentFastReadsOnePointZeroOneTimesElapsed() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long start = clock.nanos();

        base.advance(Duration.ofSeconds(1));
        assertThat(clock.nanos() - start).isEqualTo(1_010_000_000L);

        base.advance(Duration.ofSeconds(99));
        assertThat(clock.nanos() - start).isEqualTo(101 * SECOND);
    }

    @Test
    void onePercentSlowReadsZeroPointNineNineTimesElapsed() {
        DriftingClock clock = new DriftingClock(base, -0.01);
        long start = clock.nanos();

        base.advance(Duration.ofSeconds(1));
        assertThat(clock.nanos() - start).isEqualTo(990_000_000L);

        base.advance(Duration.ofSeconds(99));
        assertThat(clock.nanos() - start).isEqualTo(99 * SECOND);
    }

    @Test
    void setRateKeepsTheReadingContinuous() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long start = clock.nanos();
        base.advance(Duration.ofSeconds(1));
        long before = clock.nanos();

        clock.setRate(-0.01);

        assertThat(clock.nanos()).isEqualTo(before);
        assertThat(clock.rate()).isEqualTo(-0.01);
        base.advance(Duration.ofSeconds(1));
        // 1.01 s fast, then 0.99 s slow: the second second is counted at the new rate only.
        assertThat(clock.nanos() - start).isEqualTo(1_010_000_000L + 990_000_000L);
    }

    @Test
    void manyRateChangesAddUpPieceByPiece() {
        DriftingClock clock = new DriftingClock(base, 0);
        long start = clock.nanos();
        double[] rates = {0.02, -0.03, 0.1, 0, -0.2};
        long expected = 0;
        for (double r : rates) {
            clock.setRate(r);
            assertThat(clock.nanos() - start).isEqualTo(expected);
            base.advance(Duration.ofSeconds(2));
            expected += 2 * SECOND + (long) (2 * SECOND * r);
            assertThat(clock.nanos() - start).isEqualTo(expected);
        }
    }

    @Test
    void jumpMovesForwardByExactlyTheJump() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long start = clock.nanos();

        clock.jump(Duration.ofSeconds(30));

        assertThat(clock.nanos() - start).isEqualTo(30 * SECOND);
        base.advance(Duration.ofSeconds(1));
        assertThat(clock.nanos() - start).isEqualTo(30 * SECOND + 1_010_000_000L);
    }

    @Test
    void aJumpSurvivesARateChange() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long start = clock.nanos();
        clock.jump(Duration.ofSeconds(5));
        base.advance(Duration.ofSeconds(1));
        long before = clock.nanos();

        clock.setRate(0);

        assertThat(clock.nanos()).isEqualTo(before);
        base.advance(Duration.ofSeconds(1));
        assertThat(clock.nanos() - start).isEqualTo(5 * SECOND + 1_010_000_000L + SECOND);
    }

    @Test
    void aZeroJumpChangesNothing() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long before = clock.nanos();

        clock.jump(Duration.ZERO);

        assertThat(clock.nanos()).isEqualTo(before);
    }

    @Test
    void rejectsANegativeJump() {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long before = clock.nanos();

        assertThatThrownBy(() -> clock.jump(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot go back")
                .hasMessageContaining("PT-0.001S");
        assertThat(clock.nanos()).isEqualTo(before);
    }

    @ParameterizedTest(name = "rate {0}")
    @ValueSource(doubles = {0.5, -0.5, 0.75, -1.0, 1.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY})
    void rejectsABadRateAtConstruction(double rate) {
        assertThatThrownBy(() -> new DriftingClock(base, rate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("drift rate must be between -0.5 and 0.5")
                .hasMessageContaining(String.valueOf(rate));
    }

    @ParameterizedTest(name = "rate {0}")
    @ValueSource(doubles = {0.5, -0.5, Double.NaN, Double.POSITIVE_INFINITY})
    void rejectsABadNewRateAndKeepsTheOldOne(double rate) {
        DriftingClock clock = new DriftingClock(base, 0.01);
        long start = clock.nanos();
        base.advance(Duration.ofSeconds(1));

        assertThatThrownBy(() -> clock.setRate(rate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(rate));

        assertThat(clock.rate()).isEqualTo(0.01);
        assertThat(clock.nanos() - start).isEqualTo(1_010_000_000L);
        base.advance(Duration.ofSeconds(1));
        assertThat(clock.nanos() - start).isEqualTo(2_020_000_000L);
    }

    @ParameterizedTest(name = "rate {0}")
    @ValueSource(doubles = {-0.4999, -0.01, 0, 0.01, 0.4999})
    void acceptsARateStrictlyBetweenMinusAndPlusOneHalf(double rate) {
        DriftingClock clock = new DriftingClock(base, rate);

        assertThat(clock.rate()).isEqualTo(rate);
    }

    @Test
    void neverGoesBackwardsUnderRandomAdvancesRateChangesAndJumps() {
        long seed = 20_240_611L;
        Random random = new Random(seed);
        DriftingClock clock = new DriftingClock(base, 0);
        long previous = clock.nanos();
        for (int i = 0; i < 20_000; i++) {
            switch (random.nextInt(4)) {
                case 0 -> clock.setRate(random.nextDouble() * 0.98 - 0.49);
                case 1 -> clock.jump(Duration.ofNanos(random.nextInt(1_000)));
                default -> base.advance(Duration.ofNanos(random.nextInt(10_000)));
            }
            long now = clock.nanos();
            assertThat(now).as("seed %d, step %d", seed, i).isGreaterThanOrEqualTo(previous);
            previous = now;
        }
    }

    @Test
    void neverGoesBackwardsEvenIfItsBaseDoes() {
        AtomicLong reading = new AtomicLong(10 * SECOND);
        DriftingClock clock = new DriftingClock(reading::get, 0.01);
        reading.addAndGet(SECOND);
        long high = clock.nanos();

        reading.addAndGet(-SECOND / 2);

        assertThat(clock.nanos()).isEqualTo(high);
        reading.addAndGet(SECOND);
        assertThat(clock.nanos()).isGreaterThan(high);
    }

    @Test
    @Timeout(30)
    void concurrentReadersEachSeeAMonotonicClock() throws InterruptedException {
        DriftingClock clock = new DriftingClock(MonotonicClock.system(), 0.003);
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> readers = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread reader = new Thread(() -> {
                try {
                    start.await();
                    long previous = clock.nanos();
                    for (int i = 0; i < 50_000; i++) {
                        long now = clock.nanos();
                        assertThat(now).isGreaterThanOrEqualTo(previous);
                        previous = now;
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            readers.add(reader);
            reader.start();
        }
        Thread changer = new Thread(() -> {
            try {
                start.await();
                for (int i = 0; i < 2_000; i++) {
                    clock.setRate(i % 2 == 0 ? -0.01 : 0.01);
                    clock.jump(Duration.ofNanos(1));
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        changer.start();

        start.countDown();
        for (Thread reader : readers) {
            reader.join();
        }
        changer.join();

        assertThat(failures).isEmpty();
    }
}
