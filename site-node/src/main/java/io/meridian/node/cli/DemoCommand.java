package io.meridian.node.cli;

import io.meridian.node.launch.LocalFederation;
import io.meridian.node.launch.SiteProcess;
import io.meridian.node.launch.SiteSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the three demo sites on this machine and keeps them running until Ctrl-C. */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        description = {"Start a three-site federation on this machine: us-east, eu-west and ap-south, each its own"
                + " process with its own data directory. Prints the endpoints and credentials, then READY."
                + " Ctrl-C stops every site; running it again on the same data brings everything back."})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "demo-data",
            description = "Data directory; each site uses DIR/<site>. Default: ${DEFAULT-VALUE}")
    Path data;

    @Option(names = "--base-port", paramLabel = "B", defaultValue = "9000",
            description = "Site i listens on B+i (S3), B+100+i (admin), B+200+i (mesh), B+300+i (Raft)."
                    + " Default: ${DEFAULT-VALUE}")
    int basePort;

    @Option(names = "--heap", defaultValue = "512m", description = "Heap of each site JVM. Default: ${DEFAULT-VALUE}")
    String heap;

    @Option(names = "--ready-timeout", defaultValue = "180", description = "Seconds to wait for the sites. Default: ${DEFAULT-VALUE}")
    int readyTimeoutSeconds;

    /** The flags that bring this demo back, as the user gave them. */
    private String again() {
        StringBuilder sb = new StringBuilder();
        if (!data.equals(Path.of("demo-data"))) {
            sb.append(" --data ").append(data);
        }
        if (basePort != 9000) {
            sb.append(" --base-port ").append(basePort);
        }
        return sb.toString();
    }

    @Override
    public Integer call() throws Exception {
        Path dir = data.toAbsolutePath().normalize();
        LocalFederation federation = LocalFederation.demo(dir, basePort, heap);
        try {
            federation.checkPortsFree();
        } catch (IllegalStateException e) {
            System.err.println("Cannot start the demo: " + e.getMessage());
            return 1;
        }
        System.out.println("Starting " + federation.specs().size() + " sites; their logs are in " + dir
                + "/<site>/site.log");
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            System.out.println("Stopping every site...");
            federation.close();
            System.out.println("Stopped. Run ./meridian demo" + again() + " to bring the same data back.");
        }, "demo-shutdown"));
        federation.start();
        try {
            federation.awaitReady(Duration.ofSeconds(readyTimeoutSeconds));
        } catch (IllegalStateException e) {
            System.err.println("The demo did not start: " + e.getMessage());
            return 1;
        }
        Path endpoints = federation.writeEndpoints();
        System.out.println();
        System.out.printf("%-10s %-11s %-5s %-24s %-24s %-16s %-16s%n", "SITE", "REGION", "ROLE", "S3", "ADMIN",
                "MESH", "RAFT");
        for (SiteSpec s : federation.specs()) {
            System.out.printf("%-10s %-11s %-5s %-24s %-24s %-16s %-16s%n", s.name(), s.region(), "core", s.s3Url(),
                    s.adminUrl(), "127.0.0.1:" + s.meshPort(), "127.0.0.1:" + s.raftPort());
        }
        System.out.println();
        System.out.println("Endpoints written to " + endpoints);
        System.out.println("Credentials: access key " + LocalFederation.DEMO_ACCESS_KEY + ", secret key "
                + LocalFederation.DEMO_SECRET_KEY + " (admin role, tenant " + LocalFederation.DEMO_TENANT + ")");
        SiteSpec first = federation.specs().get(0);
        System.out.println("Try: AWS_ACCESS_KEY_ID=" + LocalFederation.DEMO_ACCESS_KEY + " AWS_SECRET_ACCESS_KEY="
                + LocalFederation.DEMO_SECRET_KEY + " aws --endpoint-url " + first.s3Url() + " s3 ls");
        System.out.println("READY");
        System.out.flush();
        Set<String> reported = new HashSet<>();
        while (!stopping.get()) {
            for (SiteSpec s : federation.specs()) {
                SiteProcess p = federation.process(s.name());
                if (!p.isAlive() && !stopping.get() && reported.add(s.name())) {
                    System.err.println("Site " + s.name() + " exited with code " + p.process().exitValue()
                            + "; see " + p.log() + ". The other sites keep running.");
                }
            }
            Thread.sleep(1000);
        }
        return 0;
    }
}
