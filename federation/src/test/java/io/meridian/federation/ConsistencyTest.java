package io.meridian.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConsistencyTest {

    @Test
    void parsesTheThreeLevels() {
        assertThat(Consistency.parse(null)).isEqualTo(Consistency.LINEARIZABLE);
        assertThat(Consistency.parse("")).isEqualTo(Consistency.LINEARIZABLE);
        assertThat(Consistency.parse(" Linearizable ")).isEqualTo(Consistency.LINEARIZABLE);
        assertThat(Consistency.parse("local")).isEqualTo(Consistency.LOCAL);
        assertThat(Consistency.parse("bounded; max-staleness=5s"))
                .isEqualTo(new Consistency(Consistency.Level.BOUNDED, Duration.ofSeconds(5)));
        assertThat(Consistency.parse("bounded;max-staleness = 250ms").maxStaleness()).isEqualTo(Duration.ofMillis(250));
        assertThat(Consistency.parse("BOUNDED; MAX-STALENESS=2m").maxStaleness()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void printsWhatItParses() {
        for (String v : new String[] {"linearizable", "local", "bounded; max-staleness=1500ms",
                "bounded; max-staleness=999999999999m", "bounded; max-staleness=999999999999999ms"}) {
            assertThat(Consistency.parse(Consistency.parse(v).toString())).isEqualTo(Consistency.parse(v));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"eventual", "bounded", "bounded;", "bounded; max-staleness=", "bounded; max-staleness=5",
            "bounded; max-staleness=5h", "bounded; max-staleness=-1s", "bounded; staleness=5s",
            "bounded; max-staleness=9999999999999999s"})
    void refusesWhatItDoesNotUnderstandAndSaysWhatItWouldTake(String value) {
        assertThatThrownBy(() -> Consistency.parse(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bounded; max-staleness=");
    }
}
