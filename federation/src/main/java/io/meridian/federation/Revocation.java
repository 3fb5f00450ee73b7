package io.meridian.federation;

/**
 * The owner's notice that the read leases on one object are revoked.
 *
 * @param seq above the sequence number of every grant on the object made before it
 */
public record Revocation(String bucket, String key, long seq) {}
