package io.meridian.namespace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import java.util.Optional;

/**
 * An immutable view of the federation's replicated state at one applied index: sites, buckets
 * (domains with their owners and epochs) and access keys. Every site holds one, so it can route
 * any path to its owner without asking anyone.
 */
public final class FederationState {

    static final FederationState EMPTY = new FederationState(
            ImmutableSortedMap.of(), ImmutableSortedMap.of(), ImmutableMap.of(), ImmutableMap.of(), 0);

    private final ImmutableSortedMap<String, SiteInfo> sites;
    private final ImmutableSortedMap<String, BucketInfo> buckets;
    private final ImmutableMap<String, AccessKey> keys;
    private final ImmutableMap<String, Long> pathEpochs;
    private final long appliedIndex;

    FederationState(ImmutableSortedMap<String, SiteInfo> sites,
                    ImmutableSortedMap<String, BucketInfo> buckets,
                    ImmutableMap<String, AccessKey> keys,
                    ImmutableMap<String, Long> pathEpochs,
                    long appliedIndex) {
        this.sites = sites;
        this.buckets = buckets;
        this.keys = keys;
        this.pathEpochs = pathEpochs;
        this.appliedIndex = appliedIndex;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    /** Returns the sites, ordered by name. */
    public ImmutableList<SiteInfo> sites() {
        return sites.values().asList();
    }

    public Optional<SiteInfo> site(String name) {
        return Optional.ofNullable(sites.get(name));
    }

    /** Returns every bucket, ordered by name. */
    public ImmutableList<BucketInfo> buckets() {
        return buckets.values().asList();
    }

    public Optional<BucketInfo> bucket(String name) {
        return Optional.ofNullable(buckets.get(name));
    }

    /** Returns the buckets of {@code tenant}, ordered by name. */
    public ImmutableList<BucketInfo> bucketsOf(String tenant) {
        return buckets.values().stream()
                .filter(b -> b.tenant().equals(tenant))
                .collect(ImmutableList.toImmutableList());
    }

    public Optional<AccessKey> accessKey(String id) {
        return Optional.ofNullable(keys.get(id));
    }

    public ImmutableList<AccessKey> accessKeys() {
        return keys.values().asList();
    }

    /** Returns the highest epoch ever given to the domain at {@code path}, or 0. */
    public long highestEpoch(String path) {
        return pathEpochs.getOrDefault(path, 0L);
    }

    ImmutableSortedMap<String, SiteInfo> siteMap() {
        return sites;
    }

    ImmutableSortedMap<String, BucketInfo> bucketMap() {
        return buckets;
    }

    ImmutableMap<String, AccessKey> keyMap() {
        return keys;
    }

    ImmutableMap<String, Long> pathEpochMap() {
        return pathEpochs;
    }
}
