package io.meridian.node.cli;

import io.meridian.node.s3.auth.SigV4Signer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Administers a federation through a site's admin API. */
@Command(name = "admin",
        mixinStandardHelpOptions = true,
        description = "Administer the federation through any site's admin API.",
        subcommands = {AdminCommand.Sites.class, AdminCommand.Health.class, AdminCommand.Bucket.class,
                AdminCommand.Leases.class, AdminCommand.Evict.class})
public final class AdminCommand implements Runnable {

    @Option(names = "--endpoint", scope = picocli.CommandLine.ScopeType.INHERIT,
            defaultValue = "${env:MERIDIAN_ADMIN_ENDPOINT:-http://127.0.0.1:9101}",
            description = "A site's admin URL. Default: ${DEFAULT-VALUE} (env MERIDIAN_ADMIN_ENDPOINT)")
    String endpoint;

    @Option(names = "--access-key", defaultValue = "${env:MERIDIAN_ACCESS_KEY:-MERIDIANDEMO}",
            description = "Admin access key. Default: ${DEFAULT-VALUE} (env MERIDIAN_ACCESS_KEY)")
    String accessKey;

    @Option(names = "--secret-key", defaultValue = "${env:MERIDIAN_SECRET_KEY:-meridian-demo-secret}",
            description = "Its secret (env MERIDIAN_SECRET_KEY).", arity = "1")
    String secretKey;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Sends a signed GET; returns null after printing one line if the site cannot be reached. */
    HttpResponse<String> get(String path) throws InterruptedException {
        return send("GET", path);
    }

    /**
     * Sends a signed request without a body; {@code path} may carry a query whose values are
     * already percent-encoded. Returns null after printing one line if the site cannot be reached.
     */
    HttpResponse<String> send(String method, String path) throws InterruptedException {
        String base = endpoint.contains("://") ? endpoint : "http://" + endpoint;
        URI uri;
        try {
            uri = URI.create(base.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            System.err.println("--endpoint '" + endpoint + "' is not a URL; give a site's admin URL, such as"
                    + " http://127.0.0.1:9101");
            return null;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        AdminSigner.sign(b, method, uri, accessKey, secretKey);
        try {
            return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("Cannot reach the admin API at " + base + " (" + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()) + "). Is a site running there? Pass"
                    + " --endpoint with a site's ADMIN URL (the demo prints them, and writes them to"
                    + " <data>/endpoints.json).");
            return null;
        }
    }

    int print(HttpResponse<String> r) {
        if (r == null) {
            return 1;
        }
        System.out.println(r.body());
        return r.statusCode() / 100 == 2 ? 0 : 1;
    }

    /** Lists the federation's sites. */
    @Command(name = "sites", mixinStandardHelpOptions = true, description = "List the sites of the federation.")
    static final class Sites implements Callable<Integer> {
        @ParentCommand
        AdminCommand admin;

        @Override
        public Integer call() throws Exception {
            return admin.print(admin.get("/_meridian/admin/v1/sites"));
        }
    }

    /** Shows one site's health. */
    @Command(name = "health", mixinStandardHelpOptions = true, description = "Show the health of the site at --endpoint.")
    static final class Health implements Callable<Integer> {
        @ParentCommand
        AdminCommand admin;

        @Override
        public Integer call() throws Exception {
            return admin.print(admin.get("/health"));
        }
    }

    /** Shows a bucket, or sets the consistency its reads get by default. */
    @Command(name = "bucket", mixinStandardHelpOptions = true,
            description = "Show a bucket (owner, epoch, default consistency), or set its default consistency.")
    static final class Bucket implements Callable<Integer> {
        @ParentCommand
        AdminCommand admin;

        @picocli.CommandLine.Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket's name.")
        String name;

        @Option(names = "--consistency", paramLabel = "LEVEL",
                description = "Set the default for reads that name none: linearizable, local, or"
                        + " 'bounded; max-staleness=5s' (units ms, s, m).")
        String consistency;

        @Override
        public Integer call() throws Exception {
            String path = "/_meridian/admin/v1/buckets/" + SigV4Signer.uriEncode(name);
            if (consistency == null) {
                return admin.print(admin.get(path));
            }
            return admin.print(admin.send("PUT", path + "/consistency?value=" + SigV4Signer.uriEncode(consistency)));
        }
    }

    /** Lists read leases. */
    @Command(name = "leases", mixinStandardHelpOptions = true,
            description = "List the read leases the site at --endpoint holds on other sites' objects and grants on"
                    + " its own.")
    static final class Leases implements Callable<Integer> {
        @ParentCommand
        AdminCommand admin;

        @Override
        public Integer call() throws Exception {
            return admin.print(admin.get("/_meridian/admin/v1/leases"));
        }
    }

    /** Evicts cached objects. */
    @Command(name = "evict", mixinStandardHelpOptions = true,
            description = "Evict an object, or every object under a prefix, from the cache of the site at --endpoint"
                    + " (with the read leases held on them).")
    static final class Evict implements Callable<Integer> {
        @ParentCommand
        AdminCommand admin;

        @Option(names = "--bucket", required = true, description = "The bucket.")
        String bucket;

        @Option(names = "--key", description = "One object's key.")
        String key;

        @Option(names = "--prefix", description = "A key prefix (default: the whole bucket).")
        String prefix;

        @Override
        public Integer call() throws Exception {
            if (key != null && prefix != null) {
                System.err.println("Give --key or --prefix, not both.");
                return 2;
            }
            String query = "bucket=" + SigV4Signer.uriEncode(bucket) + (key != null
                    ? "&key=" + SigV4Signer.uriEncode(key)
                    : "&prefix=" + SigV4Signer.uriEncode(prefix == null ? "" : prefix));
            return admin.print(admin.send("POST", "/_meridian/admin/v1/cache/evict?" + query));
        }
    }
}
