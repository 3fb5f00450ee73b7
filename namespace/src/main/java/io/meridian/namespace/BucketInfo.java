package io.meridian.namespace;

import java.time.Instant;

/**
 * A bucket: a domain with one owner site at a time. The epoch is the fencing token of the
 * ownership; it only grows for the life of the name, across deletion and re-creation.
 */
public record BucketInfo(String name, String tenant, String ownerSite, long epoch, Instant createdAt) {}
