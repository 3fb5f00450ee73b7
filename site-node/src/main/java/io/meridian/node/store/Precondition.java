package io.meridian.node.store;

import org.jspecify.annotations.Nullable;

/**
 * A condition on the current version that a write or delete checks atomically with its commit.
 *
 * @param ifMatch an ETag (without quotes) or {@code *} that the current version must match
 * @param ifNoneMatch an ETag or {@code *} that the current version must not match
 */
public record Precondition(@Nullable String ifMatch, @Nullable String ifNoneMatch) {

    public static final Precondition NONE = new Precondition(null, null);

    /** Returns whether the condition holds for a current version with {@code etag} (null if absent). */
    public boolean holds(@Nullable String etag) {
        if (ifMatch != null) {
            if (etag == null) {
                return false;
            }
            if (!ifMatch.equals("*") && !ifMatch.equals(etag)) {
                return false;
            }
        }
        if (ifNoneMatch != null && etag != null) {
            return !ifNoneMatch.equals("*") && !ifNoneMatch.equals(etag);
        }
        return true;
    }
}
