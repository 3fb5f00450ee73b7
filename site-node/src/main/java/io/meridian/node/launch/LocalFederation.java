package io.meridian.node.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A federation of site processes on this machine, as the demo, the end-to-end tests and the
 * benches run it: each site its own JVM (heap capped) with its own data directory.
 */
public final class LocalFederation implements AutoCloseable {

    /** The demo's three core sites. */
    public static final List<String[]> DEMO_SITES = List.of(
            new String[] {"us-east", "us-east-1"},
            new String[] {"eu-west", "eu-west-1"},
            new String[] {"ap-south", "ap-south-1"});

    public static final String DEMO_ACCESS_KEY = "MERIDIANDEMO";
    public static final String DEMO_SECRET_KEY = "meridian-demo-secret";
    public static final String DEMO_TENANT = "demo";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dataDir;
    private final List<SiteSpec> specs;
    private final String heap;
    private String classpath = System.getProperty("java.class.path");
    private final Map<String, SiteProcess> processes = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public LocalFederation(Path dataDir, List<SiteSpec> specs, String heap) {
        this.dataDir = dataDir;
        this.specs = List.copyOf(specs);
        this.heap = heap;
    }

    /** The demo layout: the three demo sites from {@code basePort}, each with the demo key. */
    public static LocalFederation demo(Path dataDir, int basePort, String heap) {
        List<SiteSpec> specs = new ArrayList<>();
        for (int i = 0; i < DEMO_SITES.size(); i++) {
            specs.add(SiteSpec.numbered(DEMO_SITES.get(i)[0], DEMO_SITES.get(i)[1], i + 1, basePort));
        }
        return new LocalFederation(dataDir, specs, heap);
    }

    /** Sets the classpath site JVMs start with (default: this JVM's). */
    public LocalFederation classpath(String classpath) {
        this.classpath = classpath;
        return this;
    }

    public List<SiteSpec> specs() {
        return specs;
    }

    public SiteSpec spec(String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no site " + name));
    }

    public SiteProcess process(String name) {
        return processes.get(name);
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * Checks that every port is free.
     *
     * @throws IllegalStateException naming the first port in use
     */
    public void checkPortsFree() {
        for (SiteSpec s : specs) {
            for (int port : new int[] {s.s3Port(), s.adminPort(), s.meshPort(), s.raftPort()}) {
                try (ServerSocket socket = new ServerSocket()) {
                    socket.setReuseAddress(true);
                    socket.bind(new InetSocketAddress("127.0.0.1", port));
                } catch (IOException e) {
                    throw new IllegalStateException("port " + port + " (site " + s.name() + ") is already in use;"
                            + " stop what uses it or choose other ports with --base-port");
                }
            }
        }
    }

    /** Starts every site process. */
    public void start() throws IOException {
        String peers = specs.stream().map(s -> s.name() + "@127.0.0.1:" + s.raftPort()).collect(Collectors.joining(","));
        for (SiteSpec s : specs) {
            List<String> args = new ArrayList<>(List.of(
                    "--name", s.name(),
                    "--region", s.region(),
                    "--data", dataDir.resolve(s.name()).toString(),
                    "--s3-port", Integer.toString(s.s3Port()),
                    "--admin-port", Integer.toString(s.adminPort()),
                    "--mesh-port", Integer.toString(s.meshPort()),
                    "--raft-port", Integer.toString(s.raftPort()),
                    "--peers", peers,
                    "--bootstrap-key", DEMO_ACCESS_KEY + ":" + DEMO_SECRET_KEY,
                    "--bootstrap-tenant", DEMO_TENANT));
            s.extra().forEach((k, v) -> {
                args.add("--set");
                args.add(k + "=" + v);
            });
            SiteProcess p = new SiteProcess(s.name(), SiteProcess.javaCommand(heap, classpath, args),
                    dataDir.resolve(s.name()).resolve("site.log"));
            processes.put(s.name(), p);
            p.start();
        }
    }

    /** Starts every site and waits until all are ready; stops them all if that fails. */
    public LocalFederation startAndAwaitReady(Duration timeout) throws IOException, InterruptedException {
        start();
        try {
            awaitReady(timeout);
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        return this;
    }

    /** Starts a stopped site again with the same arguments and data. */
    public void restart(String name) throws IOException, InterruptedException {
        SiteProcess p = processes.get(name);
        p.stop();
        p.start();
    }

    /**
     * Waits until every site answers its health check as ready and knows every other site.
     *
     * @throws IllegalStateException if that does not happen in time, or a site process exits
     */
    public void awaitReady(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        for (SiteSpec s : specs) {
            while (!isReady(s)) {
                SiteProcess p = processes.get(s.name());
                if (p != null && !p.isAlive()) {
                    throw new IllegalStateException("site " + s.name() + " exited with code "
                            + p.process().exitValue() + "; see " + p.log());
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("site " + s.name() + " was not ready within " + timeout
                            + "; see " + dataDir.resolve(s.name()).resolve("site.log"));
                }
                Thread.sleep(100);
            }
        }
    }

    /** Returns whether {@code s} reports ready and knows all sites of this federation. */
    public boolean isReady(SiteSpec s) {
        JsonNode health = health(s);
        return health != null && "ready".equals(health.path("status").asText())
                && health.path("sites").size() >= specs.size();
    }

    /** Returns a site's /health document, or null if it does not answer. */
    public JsonNode health(SiteSpec s) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.adminUrl() + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Writes {@code <data>/endpoints.json} describing every site and returns its path. */
    public Path writeEndpoints() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode sites = root.putArray("sites");
        for (SiteSpec s : specs) {
            ObjectNode o = sites.addObject();
            o.put("name", s.name());
            o.put("region", s.region());
            o.put("role", "core");
            ObjectNode e = o.putObject("endpoints");
            e.put("s3", s.s3Url());
            e.put("admin", s.adminUrl());
            e.put("metrics", s.adminUrl() + "/metrics");
            e.put("health", s.adminUrl() + "/health");
            e.put("mesh", "127.0.0.1:" + s.meshPort());
            e.put("raft", "127.0.0.1:" + s.raftPort());
        }
        ObjectNode creds = root.putObject("credentials");
        creds.put("accessKey", DEMO_ACCESS_KEY);
        creds.put("secretKey", DEMO_SECRET_KEY);
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve("endpoints.json");
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        return file;
    }

    /** Stops every site, in parallel, cleanly where they allow. */
    @Override
    public void close() {
        List<Thread> stoppers = new ArrayList<>();
        for (SiteProcess p : processes.values()) {
            Thread t = new Thread(() -> {
                try {
                    p.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "stop-" + p.name());
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
