/**
 * The Apache Ratis implementation behind {@link io.meridian.consensus.ReplicatedGroup}. Not API:
 * other modules use {@code io.meridian.consensus} only, and no Ratis type leaves this package.
 *
 * <p>{@link io.meridian.consensus.internal.RatisReplicatedGroup} is one member (a Ratis server and a
 * Ratis client); {@code HandlerStateMachine} runs the handler on
 * Ratis' apply thread and owns the snapshot files; {@code RatisProperties}
 * holds every Ratis setting, with its reason; {@code Messages} converts
 * byte arrays to and from Ratis messages.
 */
package io.meridian.consensus.internal;
