package io.meridian.namespace;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import java.util.Optional;

/**
 * A site as the federation knows it: name, region, role and the endpoints it serves.
 *
 * <p>Endpoint names are {@link #S3}, {@link #ADMIN}, {@link #MESH} and {@link #RAFT}; the values are
 * URLs for the HTTP ports and {@code host:port} for mesh and Raft.
 */
public record SiteInfo(String name, String region, SiteRole role, ImmutableMap<String, String> endpoints) {

    public static final String S3 = "s3";
    public static final String ADMIN = "admin";
    public static final String MESH = "mesh";
    public static final String RAFT = "raft";

    public SiteInfo {
        checkArgument(SiteNames.isValid(name), "invalid site name '%s': %s", name, SiteNames.RULE);
        checkArgument(region != null && !region.isBlank(), "site %s: region must not be blank", name);
        checkArgument(role != null, "site %s: role is required", name);
        endpoints = endpoints == null ? ImmutableMap.of() : endpoints;
    }

    public static SiteInfo of(String name, String region, SiteRole role, Map<String, String> endpoints) {
        return new SiteInfo(name, region, role, ImmutableMap.copyOf(endpoints));
    }

    public Optional<String> endpoint(String endpointName) {
        return Optional.ofNullable(endpoints.get(endpointName));
    }
}
