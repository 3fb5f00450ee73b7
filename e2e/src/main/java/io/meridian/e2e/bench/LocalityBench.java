package io.meridian.e2e.bench;

import io.meridian.e2e.S3Clients;
import io.meridian.node.launch.LocalFederation;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * PUT and GET of 4 KiB and 1 MiB objects at the bucket's owner and at a non-owner site, the cases
 * interleaved in batches so that all of them see the same machine conditions.
 */
@Command(name = "locality", mixinStandardHelpOptions = true,
        description = "PUT/GET of 4 KiB and 1 MiB objects at the owner and at a non-owner site.")
public final class LocalityBench implements Callable<Integer> {

    @Option(names = "--ops-4k", defaultValue = "2000", description = "Measured operations per 4 KiB case.")
    int ops4k;

    @Option(names = "--ops-1m", defaultValue = "300", description = "Measured operations per 1 MiB case.")
    int ops1m;

    @Option(names = "--concurrency", defaultValue = "4", description = "Client threads per case.")
    int concurrency;

    @Option(names = "--batch", defaultValue = "50", description = "Operations per case before switching case.")
    int batch;

    @Option(names = "--heap", defaultValue = "512m", description = "Heap of each site JVM.")
    String heap;

    private static final int KEYS = 64;

    @Override
    public Integer call() throws Exception {
        BenchReport report = new BenchReport("locality")
                .param("ops_4k", ops4k).param("ops_1m", ops1m).param("concurrency", concurrency)
                .param("batch", batch).param("site_heap", heap).param("owner", "us-east").param("remote", "eu-west")
                .param("wan_delay_ms", 0);
        System.out.println("Starting a fresh three-site federation...");
        try (LocalFederation federation = BenchEnvironment.freshFederation("locality", heap);
             S3Client owner = S3Clients.forEndpoint(federation.spec("us-east").s3Url());
             S3Client remote = S3Clients.forEndpoint(federation.spec("eu-west").s3Url())) {
            owner.createBucket(b -> b.bucket("bench"));
            byte[] small = random(4096, 1);
            byte[] large = random(1 << 20, 2);
            for (int i = 0; i < KEYS; i++) {
                put(owner, "get-4k/" + i, small);
                put(owner, "get-1m/" + i, large);
            }
            Map<String, Case> cases = new LinkedHashMap<>();
            cases.put("put_4k_owner", new Case(owner, true, small, "put-4k-owner/", ops4k));
            cases.put("put_4k_remote", new Case(remote, true, small, "put-4k-remote/", ops4k));
            cases.put("get_4k_owner", new Case(owner, false, small, "get-4k/", ops4k));
            cases.put("get_4k_remote", new Case(remote, false, small, "get-4k/", ops4k));
            cases.put("put_1m_owner", new Case(owner, true, large, "put-1m-owner/", ops1m));
            cases.put("put_1m_remote", new Case(remote, true, large, "put-1m-remote/", ops1m));
            cases.put("get_1m_owner", new Case(owner, false, large, "get-1m/", ops1m));
            cases.put("get_1m_remote", new Case(remote, false, large, "get-1m/", ops1m));

            ExecutorService pool = Executors.newFixedThreadPool(concurrency);
            try {
                System.out.println("Warming up...");
                for (Case c : cases.values()) {
                    run(pool, c, Math.max(20, c.target / 10), null);
                }
                System.out.println("Measuring " + cases.size() + " cases, interleaved in batches of " + batch + "...");
                boolean more = true;
                while (more) {
                    more = false;
                    for (Case c : cases.values()) {
                        int remaining = c.target - c.done;
                        if (remaining > 0) {
                            int n = Math.min(batch, remaining);
                            run(pool, c, n, c.latencies);
                            c.done += n;
                            more |= c.done < c.target;
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            cases.forEach((name, c) -> report.row(c.latencies.row(name)));
            for (String size : new String[] {"4k", "1m"}) {
                for (String op : new String[] {"put", "get"}) {
                    double o = report.row(op + "_" + size + "_owner").p50Ms();
                    double r = report.row(op + "_" + size + "_remote").p50Ms();
                    report.ratio("remote_over_owner_" + op + "_p50_" + size, o == 0 ? 0 : r / o);
                }
            }
        }
        System.out.println();
        System.out.print(report.table());
        Path file = report.write(BenchEnvironment.resultsDir());
        System.out.println("\nWrote " + file);
        return 0;
    }

    private static final class Case {
        final S3Client client;
        final boolean put;
        final byte[] body;
        final String prefix;
        final int target;
        final Latencies latencies = new Latencies();
        final AtomicInteger counter = new AtomicInteger();
        int done;

        Case(S3Client client, boolean put, byte[] body, String prefix, int target) {
            this.client = client;
            this.put = put;
            this.body = body;
            this.prefix = prefix;
            this.target = target;
        }
    }

    private void run(ExecutorService pool, Case c, int n, Latencies into) throws Exception {
        AtomicInteger left = new AtomicInteger(n);
        List<Future<?>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            futures.add(pool.submit(() -> {
                byte[] buf = new byte[64 * 1024];
                while (left.getAndDecrement() > 0) {
                    String key = c.prefix + (c.counter.getAndIncrement() % KEYS);
                    long t0 = System.nanoTime();
                    long bytes;
                    if (c.put) {
                        put(c.client, key, c.body);
                        bytes = c.body.length;
                    } else {
                        bytes = 0;
                        try (InputStream in = c.client.getObject(GetObjectRequest.builder().bucket("bench").key(key)
                                .build())) {
                            int r;
                            while ((r = in.read(buf)) >= 0) {
                                bytes += r;
                            }
                        }
                        if (bytes != c.body.length) {
                            throw new IllegalStateException("GET " + key + " returned " + bytes + " bytes");
                        }
                    }
                    if (into != null) {
                        into.add(System.nanoTime() - t0, bytes);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        if (into != null) {
            into.addBusy(System.nanoTime() - start);
        }
    }

    private static void put(S3Client client, String key, byte[] body) {
        client.putObject(PutObjectRequest.builder().bucket("bench").key(key).build(), RequestBody.fromBytes(body));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
