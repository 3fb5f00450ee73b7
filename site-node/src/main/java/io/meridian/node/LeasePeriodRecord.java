package io.meridian.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The longest read lease a site may have granted, kept in its data directory: after a restart the
 * site keeps quiet for that long, even if it was restarted with a shorter period.
 */
final class LeasePeriodRecord {

    private static final Logger log = LoggerFactory.getLogger(LeasePeriodRecord.class);
    private static final String FILE = "read-lease-period-ms";

    private LeasePeriodRecord() {}

    /** What the previous run recorded; {@code fallback} if it recorded nothing readable. */
    static Duration previous(Path dataDir, Duration fallback) {
        Path file = dataDir.resolve(FILE);
        try {
            return Duration.ofMillis(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim()));
        } catch (IOException | RuntimeException e) {
            if (Files.exists(file)) {
                log.warn("Cannot read {} ({}); assuming the previous run granted leases of {}", file, e.toString(),
                        fallback);
            }
            return fallback;
        }
    }

    /** Records {@code period} durably (written aside, synced, then renamed over the old record). */
    static void write(Path dataDir, Duration period) throws IOException {
        Path tmp = dataDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, Long.toString(period.toMillis()), StandardCharsets.US_ASCII);
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(tmp,
                java.nio.file.StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void writeQuietly(Path dataDir, Duration period) {
        try {
            write(dataDir, period);
        } catch (IOException e) {
            log.warn("Cannot record the read-lease period in {}", dataDir, e);
        }
    }
}
