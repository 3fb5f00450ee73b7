package io.meridian.node.launch;

import java.util.Map;

/**
 * One site of a federation started on this machine: its name, region and ports.
 *
 * @param extra further configuration keys and values for this site
 */
public record SiteSpec(String name, String region, int s3Port, int adminPort, int meshPort, int raftPort,
                       Map<String, String> extra) {

    /** Lays out site number {@code i} (from 1) from {@code basePort} as DESIGN.md "Ports" says. */
    public static SiteSpec numbered(String name, String region, int i, int basePort) {
        return new SiteSpec(name, region, basePort + i, basePort + 100 + i, basePort + 200 + i, basePort + 300 + i,
                Map.of());
    }

    public SiteSpec with(Map<String, String> more) {
        java.util.Map<String, String> all = new java.util.TreeMap<>(extra);
        all.putAll(more);
        return new SiteSpec(name, region, s3Port, adminPort, meshPort, raftPort, Map.copyOf(all));
    }

    public String s3Url() {
        return "http://127.0.0.1:" + s3Port;
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }
}
