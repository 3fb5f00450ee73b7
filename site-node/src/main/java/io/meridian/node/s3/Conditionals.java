package io.meridian.node.s3;

import io.meridian.namespace.ObjectMeta;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Evaluates HTTP conditional request headers against an object's current version (RFC 9110 13.2.2). */
final class Conditionals {

    /** What the conditions ask the server to do. */
    enum Outcome {
        PROCEED,
        NOT_MODIFIED,
        PRECONDITION_FAILED
    }

    private Conditionals() {}

    static Outcome evaluate(ObjectMeta meta, @Nullable String ifMatch, @Nullable String ifNoneMatch,
                            @Nullable String ifModifiedSince, @Nullable String ifUnmodifiedSince) {
        long lastModifiedSeconds = meta.lastModifiedMs() / 1000;
        if (ifMatch != null) {
            if (!matchesAny(ifMatch, meta.etag())) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else if (ifUnmodifiedSince != null) {
            Optional<Instant> t = HttpDates.parse(ifUnmodifiedSince);
            if (t.isPresent() && lastModifiedSeconds > t.get().getEpochSecond()) {
                return Outcome.PRECONDITION_FAILED;
            }
        }
        if (ifNoneMatch != null) {
            if (matchesAny(ifNoneMatch, meta.etag())) {
                return Outcome.NOT_MODIFIED;
            }
        } else if (ifModifiedSince != null) {
            Optional<Instant> t = HttpDates.parse(ifModifiedSince);
            if (t.isPresent() && lastModifiedSeconds <= t.get().getEpochSecond()) {
                return Outcome.NOT_MODIFIED;
            }
        }
        return Outcome.PROCEED;
    }

    /** Whether an If-Match / If-None-Match list (or {@code *}) names {@code etag}. */
    static boolean matchesAny(String header, String etag) {
        for (String candidate : header.split(",")) {
            String c = candidate.trim();
            if (c.equals("*")) {
                return true;
            }
            if (unquote(c).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** Strips a weak marker and quotes from an entity tag. */
    static String unquote(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }
}
