package io.meridian.namespace;

import java.time.Instant;

/**
 * A bucket: a domain with one owner site at a time. The epoch is the fencing token of the
 * ownership; it only grows for the life of the name, across deletion and re-creation. The default
 * consistency applies to reads whose request names none; {@code ""} means linearizable.
 */
public record BucketInfo(String name, String tenant, String ownerSite, long epoch, Instant createdAt,
                         String defaultConsistency) {

    /** A bucket whose reads are linearizable unless a request asks otherwise. */
    public BucketInfo(String name, String tenant, String ownerSite, long epoch, Instant createdAt) {
        this(name, tenant, ownerSite, epoch, createdAt, "");
    }

    /** This bucket with another default consistency ({@code ""}: linearizable). */
    public BucketInfo withDefaultConsistency(String consistency) {
        return new BucketInfo(name, tenant, ownerSite, epoch, createdAt, consistency);
    }
}
