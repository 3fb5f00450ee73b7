package io.meridian.federation;

import java.util.concurrent.CompletableFuture;

/**
 * Where tests break the mesh: every message between two sites asks first whether, and when, it
 * may go. Production uses {@link #NONE}.
 *
 * <p>Requests of every call, and the answers of fetches and revocations, can be delayed or lost; a
 * forwarded request's answer can be lost (the call fails) but is not delayed.
 */
@FunctionalInterface
public interface MeshFaults {

    CompletableFuture<Boolean> DELIVER = CompletableFuture.completedFuture(true);

    /** Lets every message through at once. */
    MeshFaults NONE = (from, to) -> DELIVER;

    /**
     * Completes with {@code true} when a message from site {@code from} to site {@code to} may be
     * delivered (at once, or after a delay), or {@code false} if it is lost.
     */
    CompletableFuture<Boolean> admit(String from, String to);
}
