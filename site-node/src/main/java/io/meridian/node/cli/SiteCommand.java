package io.meridian.node.cli;

import io.meridian.node.SiteNode;
import io.meridian.node.config.SiteConfig;
import io.meridian.node.config.SiteConfig.Key;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs one site in the foreground until it is told to stop (SIGINT or SIGTERM). */
@Command(name = "site",
        mixinStandardHelpOptions = true,
        description = {"Run one site of a federation in the foreground.",
            "Settings come from --config (a properties file) and the flags below, which win;"
                + " --set KEY=VALUE sets any key (keys and defaults are listed below)."},
        sortOptions = false)
public final class SiteCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with site settings.")
    Path config;

    @Option(names = "--name", description = "Site name (site.name).")
    String name;

    @Option(names = "--region", description = "Region (site.region).")
    String region;

    @Option(names = "--role", description = "core or edge (site.role).")
    String role;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (data.dir).")
    Path data;

    @Option(names = "--bind", paramLabel = "HOST", description = "Address to listen on (bind.host).")
    String bind;

    @Option(names = "--advertise", paramLabel = "HOST", description = "Address others reach this site at (advertise.host).")
    String advertise;

    @Option(names = "--s3-port", description = "S3 port (s3.port).")
    Integer s3Port;

    @Option(names = "--admin-port", description = "Admin port (admin.port).")
    Integer adminPort;

    @Option(names = "--mesh-port", description = "Inter-site gRPC port (mesh.port).")
    Integer meshPort;

    @Option(names = "--raft-port", description = "Raft port (raft.port).")
    Integer raftPort;

    @Option(names = "--federation", description = "Federation name (federation.name).")
    String federation;

    @Option(names = "--peers", paramLabel = "NAME@HOST:PORT,...", description = "Core sites' Raft addresses (federation.peers).")
    String peers;

    @Option(names = "--bootstrap-key", paramLabel = "ACCESS:SECRET",
            description = "Create this admin access key if the federation lacks it (bootstrap.access-key/secret-key).")
    String bootstrapKey;

    @Option(names = "--bootstrap-tenant", description = "Tenant of the bootstrap key (bootstrap.tenant).")
    String bootstrapTenant;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any configuration key.")
    Map<String, String> set = new HashMap<>();

    @Option(names = "--exit-with-parent", hidden = true,
            description = "Stop when the launching process exits (used by the demo).")
    boolean exitWithParent;

    @Override
    public Integer call() throws Exception {
        Map<String, String> o = new HashMap<>(set);
        put(o, Key.SITE_NAME, name);
        put(o, Key.SITE_REGION, region);
        put(o, Key.SITE_ROLE, role);
        put(o, Key.DATA_DIR, data == null ? null : data.toString());
        put(o, Key.BIND_HOST, bind);
        put(o, Key.ADVERTISE_HOST, advertise);
        put(o, Key.S3_PORT, s3Port == null ? null : s3Port.toString());
        put(o, Key.ADMIN_PORT, adminPort == null ? null : adminPort.toString());
        put(o, Key.MESH_PORT, meshPort == null ? null : meshPort.toString());
        put(o, Key.RAFT_PORT, raftPort == null ? null : raftPort.toString());
        put(o, Key.FEDERATION_NAME, federation);
        put(o, Key.FEDERATION_PEERS, peers);
        put(o, Key.BOOTSTRAP_TENANT, bootstrapTenant);
        if (bootstrapKey != null) {
            int colon = bootstrapKey.indexOf(':');
            if (colon <= 0) {
                System.err.println("--bootstrap-key must be ACCESS:SECRET");
                return 2;
            }
            put(o, Key.BOOTSTRAP_ACCESS_KEY, bootstrapKey.substring(0, colon));
            put(o, Key.BOOTSTRAP_SECRET_KEY, bootstrapKey.substring(colon + 1));
        }
        SiteConfig cfg;
        try {
            cfg = SiteConfig.load(config, o);
        } catch (IllegalArgumentException e) {
            System.err.println("Invalid site configuration: " + e.getMessage());
            return 2;
        }
        SiteNode node = new SiteNode(cfg, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "site-shutdown"));
        try {
            node.start();
        } catch (IllegalArgumentException e) {
            System.err.println("Site " + cfg.name() + " cannot start: " + e.getMessage());
            return 2;
        }
        if (exitWithParent) {
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        }
        stopped.await();
        return 0;
    }

    private static void put(Map<String, String> o, Key key, String value) {
        if (value != null) {
            o.put(key.property(), value);
        }
    }

    /** Renders the configuration keys for the help text. */
    static String keysHelp() {
        StringBuilder sb = new StringBuilder();
        for (Key k : Key.values()) {
            sb.append(String.format("  %s%s%n      %s%n", k.property(),
                    k.defaultValue() == null ? "" : "   (default " + k.defaultValue() + ")", k.description()));
        }
        return sb.toString();
    }
}
