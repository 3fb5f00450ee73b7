package io.meridian.node.testing.linearizability;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One completed (or abandoned) operation on the register of one key, as a client saw it.
 *
 * @param id unique within a history; names the operation in explanations
 * @param value the value written by a {@link Kind#WRITE}, the value observed by a {@link Kind#READ}
 *     ({@code null} when the key was absent), always {@code null} for a {@link Kind#DELETE}
 * @param invokedNanos monotonic time at which the client invoked the operation
 * @param completedNanos monotonic time at which the client saw the outcome, or {@link Long#MAX_VALUE}
 *     when the outcome is unknown
 * @param outcomeKnown {@code false} when the client never learned whether the operation took effect
 *     (a timeout, a lost connection); such a write or delete may take effect at any time after its
 *     invocation, or never
 */
public record Operation(
        long id,
        int client,
        String key,
        Kind kind,
        @Nullable String value,
        long invokedNanos,
        long completedNanos,
        boolean outcomeKnown) {

    public Operation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        checkArgument(kind != Kind.WRITE || value != null, "operation #%s: a WRITE needs a value", id);
        checkArgument(kind != Kind.DELETE || value == null,
                "operation #%s: a DELETE has no value, got '%s'", id, value);
        if (outcomeKnown) {
            checkArgument(completedNanos >= invokedNanos && completedNanos != Long.MAX_VALUE,
                    "operation #%s: completedNanos %s must be at least invokedNanos %s and not Long.MAX_VALUE",
                    id, completedNanos, invokedNanos);
        } else {
            checkArgument(completedNanos == Long.MAX_VALUE,
                    "operation #%s: an unknown outcome needs completedNanos = Long.MAX_VALUE, got %s",
                    id, completedNanos);
        }
    }
}
