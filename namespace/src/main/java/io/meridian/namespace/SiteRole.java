package io.meridian.namespace;

/** Whether a site votes in the federation (core) or follows it and may be cut off (edge). */
public enum SiteRole {
    CORE,
    EDGE;

    /** Returns the lower-case name used in configuration, JSON and the CLI. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code core} or {@code edge}, case-insensitively. */
    public static SiteRole parse(String value) {
        for (SiteRole role : values()) {
            if (role.name().equalsIgnoreCase(value)) {
                return role;
            }
        }
        throw new IllegalArgumentException("site role must be 'core' or 'edge', got '" + value + "'");
    }
}
