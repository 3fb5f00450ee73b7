package io.meridian.federation;

import java.time.Duration;
import java.util.Locale;

/**
 * What a read at a site that does not own the object may answer with (DESIGN.md, "The data path"
 * 6), as the {@code x-meridian-consistency} header or a bucket's default names it:
 * {@code linearizable}, {@code bounded; max-staleness=5s} (units {@code ms}, {@code s}, {@code m})
 * or {@code local}.
 *
 * @param maxStaleness for {@link Level#BOUNDED}: how old the answer may be; zero otherwise
 */
public record Consistency(Level level, Duration maxStaleness) {

    public static final Consistency LINEARIZABLE = new Consistency(Level.LINEARIZABLE, Duration.ZERO);
    public static final Consistency LOCAL = new Consistency(Level.LOCAL, Duration.ZERO);

    /** The levels, strongest first. */
    public enum Level {
        /** The latest acknowledged version: from cache only under a valid read lease. */
        LINEARIZABLE,
        /** A version that was current no longer than {@code maxStaleness} ago. */
        BOUNDED,
        /** Whatever is cached; on a miss, fetched if the owner can be reached. */
        LOCAL
    }

    /**
     * Parses a header value; {@code null} or blank means linearizable.
     *
     * @throws IllegalArgumentException saying what is wrong and what is accepted
     */
    public static Consistency parse(String value) {
        if (value == null || value.isBlank()) {
            return LINEARIZABLE;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("linearizable")) {
            return LINEARIZABLE;
        }
        if (v.equals("local")) {
            return LOCAL;
        }
        if (v.startsWith("bounded")) {
            String rest = v.substring("bounded".length()).trim();
            if (rest.startsWith(";")) {
                rest = rest.substring(1).trim();
                if (rest.startsWith("max-staleness")) {
                    rest = rest.substring("max-staleness".length()).trim();
                    if (rest.startsWith("=")) {
                        return new Consistency(Level.BOUNDED, duration(rest.substring(1).trim(), value));
                    }
                }
            }
        }
        throw new IllegalArgumentException(problem(value));
    }

    private static Duration duration(String d, String whole) {
        int i = 0;
        while (i < d.length() && Character.isDigit(d.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 15) {
            throw new IllegalArgumentException(problem(whole));
        }
        long n = Long.parseLong(d.substring(0, i));
        switch (d.substring(i).trim()) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            default:
                throw new IllegalArgumentException(problem(whole));
        }
    }

    private static String problem(String value) {
        return "x-meridian-consistency '" + value + "' is not understood: use 'linearizable', 'local' or"
                + " 'bounded; max-staleness=<n><ms|s|m>' (for example 'bounded; max-staleness=5s')";
    }

    /** The header value that names this consistency. */
    @Override
    public String toString() {
        switch (level) {
            case BOUNDED:
                long ms = maxStaleness.toMillis();
                String amount = ms % 60_000 == 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
                return "bounded; max-staleness=" + amount;
            case LOCAL:
                return "local";
            default:
                return "linearizable";
        }
    }
}
