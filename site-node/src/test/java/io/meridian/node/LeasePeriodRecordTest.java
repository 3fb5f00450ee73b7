package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeasePeriodRecordTest {

    @TempDir
    Path dir;

    @Test
    void aRecordedPeriodOutlivesTheProcessThatWroteIt() throws IOException {
        assertThat(LeasePeriodRecord.previous(dir, Duration.ofSeconds(5))).as("nothing recorded").hasSeconds(5);
        LeasePeriodRecord.write(dir, Duration.ofSeconds(30));
        assertThat(LeasePeriodRecord.previous(dir, Duration.ofSeconds(5))).hasSeconds(30);
        LeasePeriodRecord.write(dir, Duration.ofMillis(1500));
        assertThat(LeasePeriodRecord.previous(dir, Duration.ofSeconds(5))).isEqualTo(Duration.ofMillis(1500));
        try (var files = Files.list(dir)) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void anUnreadableRecordFallsBackToTheGivenPeriod() throws IOException {
        Files.writeString(dir.resolve("read-lease-period-ms"), "soon");
        assertThat(LeasePeriodRecord.previous(dir, Duration.ofSeconds(7))).hasSeconds(7);
    }
}
