package io.meridian.node;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableMap;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.util.BlockingTaskExecutor;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.metric.MetricCollectingService;
import com.linecorp.armeria.common.metric.MeterIdPrefixFunction;
import io.meridian.cache.DiskCache;
import io.meridian.cache.lease.HeldLeases;
import io.meridian.cache.time.MonotonicClock;
import io.meridian.consensus.ReplicatedGroup;
import io.meridian.federation.FetchResult;
import io.meridian.federation.ForwardedRequest;
import io.meridian.federation.LocalSite;
import io.meridian.federation.MeshClient;
import io.meridian.federation.MeshFaults;
import io.meridian.federation.OwnerLeases;
import io.meridian.federation.Revocation;
import io.meridian.federation.MeshServer;
import io.meridian.federation.RemoteObjects;
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.FederationState;
import io.meridian.namespace.FederationStateMachine;
import io.meridian.namespace.KeyRole;
import io.meridian.namespace.Namespace;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import io.meridian.namespace.SiteRole;
import io.meridian.node.admin.AdminService;
import io.meridian.node.config.SiteConfig;
import io.meridian.node.s3.S3ErrorHandler;
import io.meridian.node.s3.S3HttpService;
import io.meridian.node.s3.S3Operations;
import io.meridian.node.s3.S3Router;
import io.meridian.node.s3.auth.SigV4Verifier;
import io.meridian.node.store.LocalStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Meridian site: its store, its replica of the federation state, the mesh to other sites and
 * its client-facing servers, composed and started in order, stopped in reverse.
 */
public final class SiteNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SiteNode.class);

    /** The states of a site's life. */
    public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED }

    /**
     * What tests inject into a site: the monotonic clock every lease is measured on, and the faults
     * its messages to other sites pass through.
     */
    public record Hooks(MonotonicClock leaseClock, MeshFaults meshFaults) {
        public static final Hooks PRODUCTION = new Hooks(MonotonicClock.system(), MeshFaults.NONE);
    }

    /** How many objects a site tracks lease state for (held leases, freshness, revocations). */
    private static final int HELD_LEASE_ENTRIES = 200_000;

    private final SiteConfig config;
    private final Clock clock;
    private final Hooks hooks;
    private State state = State.NEW;
    private volatile boolean registered;

    private LocalStore store;
    private DiskCache<String, ObjectMeta> cache;
    private ReplicatedGroup group;
    private Namespace namespace;
    private MeshClient meshClient;
    private OwnerLeases ownerLeases;
    private RemoteObjects remote;
    private MeshServer meshServer;
    private Server s3Server;
    private Server adminServer;
    private BlockingTaskExecutor blocking;
    private ScheduledExecutorService background;
    private PrometheusMeterRegistry metrics;

    public SiteNode(SiteConfig config, Clock clock) {
        this(config, clock, Hooks.PRODUCTION);
    }

    public SiteNode(SiteConfig config, Clock clock, Hooks hooks) {
        this.config = config;
        this.clock = clock;
        this.hooks = hooks;
    }

    public SiteConfig config() {
        return config;
    }

    /** Starts every part of the site; returns once its ports listen (it may not be ready yet). */
    public synchronized void start() throws IOException {
        checkState(state == State.NEW, "site %s cannot start from state %s", config.name(), state);
        if (config.role() == SiteRole.EDGE) {
            throw new IllegalArgumentException("site role 'edge' is not supported yet: run edge locations as"
                    + " core sites until edge support lands");
        }
        state = State.STARTING;
        try {
            Path data = config.dataDir();
            Files.createDirectories(data);
            metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            blocking = BlockingTaskExecutor.builder().numThreads(256).threadNamePrefix("site-blocking").build();
            background = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "site-background");
                t.setDaemon(true);
                return t;
            });
            cache = new DiskCache<>(data.resolve("cache"), config.cacheMaxBytes(), config.cacheMaxEntries());
            FederationStateMachine stateMachine = new FederationStateMachine();
            group = ReplicatedGroup.builder()
                    .groupName(config.federationName())
                    .selfId(config.name())
                    .members(config.peers())
                    .storageDir(data.resolve("raft"))
                    .handler(stateMachine)
                    .electionTimeout(config.electionTimeoutMin(), config.electionTimeoutMax())
                    .build();
            namespace = new Namespace(group, stateMachine);
            group.start();

            meshClient = new MeshClient(config.name(), new MeshClient.Timeouts(config.meshFirstByteTimeout(),
                    config.meshAnswerTimeout(), config.meshIdleTimeout()), hooks.meshFaults());
            // A site that ran on this data before may have granted read leases it no longer knows of.
            Path storeDir = data.resolve("store");
            boolean ranBefore = LocalStore.exists(storeDir);
            Duration forgotten = ranBefore ? LeasePeriodRecord.previous(data, config.readLeasePeriod()) : Duration.ZERO;
            LeasePeriodRecord.write(data, max(forgotten, config.readLeasePeriod()));
            // Grant numbers start above any the previous run gave out: microseconds of wall-clock
            // time grow faster than grants are made.
            ownerLeases = new OwnerLeases(config.name(), hooks.leaseClock(), config.drift(), config.readLeasePeriod(),
                    forgotten, clock.millis() * 1000, OwnerLeases.Revoker.through(meshClient, name -> namespace.state().site(name)));
            store = LocalStore.open(storeDir, clock, (bucket, key) -> ownerLeases.beforeVisible(bucket, key)::close);
            remote = new RemoteObjects(meshClient, cache,
                    new HeldLeases<>(hooks.leaseClock(), config.drift(), HELD_LEASE_ENTRIES), blocking);
            S3Operations operations = new S3Operations(config.name(), namespace, store, remote, ownerLeases, blocking,
                    clock, config.minPartSize());
            S3Router router = new S3Router(config.name(), namespace, operations, meshClient, remote, ownerLeases,
                    blocking);
            meshServer = new MeshServer(new InetSocketAddress(config.bindHost(), config.meshPort()),
                    new Local(router, operations));
            meshServer.start();

            SigV4Verifier verifier = new SigV4Verifier(this::secretOf, this::acceptsRegion, Clock.systemUTC());
            s3Server = Server.builder()
                    .http(new InetSocketAddress(config.bindHost(), config.s3Port()))
                    .meterRegistry(metrics)
                    .service("prefix:/", new S3HttpService(config.name(), namespace, verifier, router,
                            config.virtualHostSuffixes(), this::servesRequests)
                            .decorate(MetricCollectingService.newDecorator(MeterIdPrefixFunction.ofDefault("meridian.s3"))))
                    .errorHandler(new S3ErrorHandler(config.name()))
                    .maxRequestLength(0)
                    .requestTimeoutMillis(0)
                    // A request answered early (an error) keeps its body flowing so that it can be
                    // drained (see Bodies) instead of the connection being reset under the answer.
                    .requestAutoAbortDelay(Duration.ofSeconds(10))
                    .idleTimeout(Duration.ofMinutes(2))
                    .http1MaxHeaderSize(64 * 1024)
                    .http1MaxInitialLineLength(16 * 1024)
                    .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(2))
                    .build();
            adminServer = Server.builder()
                    .http(new InetSocketAddress(config.bindHost(), config.adminPort()))
                    .meterRegistry(metrics)
                    .service("prefix:/", new AdminService(this, verifier, metrics))
                    .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(1))
                    .build();
            CompletableFuture.allOf(s3Server.start(), adminServer.start()).join();
            state = State.RUNNING;
            background.execute(this::register);
            background.scheduleWithFixedDelay(this::sweepLeases, 1, 1, TimeUnit.SECONDS);
            // Once the leases of the previous run have run out, only this run's period matters.
            background.schedule(() -> LeasePeriodRecord.writeQuietly(data, config.readLeasePeriod()),
                    ownerLeases.quietRemainingNanos(), TimeUnit.NANOSECONDS);
            log.info("Site {} ({}) started: S3 on {}:{}, admin on {}:{}, mesh on {}, Raft on {}", config.name(),
                    config.region(), config.bindHost(), s3Port(), config.bindHost(), adminPort(), config.meshAddress(),
                    config.raftAddress());
        } catch (IOException | RuntimeException e) {
            log.error("Site {} failed to start", config.name(), e);
            stopParts();
            state = State.STOPPED;
            throw e;
        }
    }

    /**
     * Catches up with the federation, then registers this site and the bootstrap key, retrying
     * until both commit; only then does the site serve S3 requests.
     */
    private void register() {
        if (state != State.RUNNING) {
            return;
        }
        SiteInfo self = SiteInfo.of(config.name(), config.region(), config.role(), ImmutableMap.of(
                SiteInfo.S3, "http://" + config.advertiseHost() + ":" + s3Port(),
                SiteInfo.ADMIN, "http://" + config.advertiseHost() + ":" + adminPort(),
                SiteInfo.MESH, config.meshAddress(),
                SiteInfo.RAFT, config.raftAddress()));
        // Catch up with the federation first: until then this site's replica may lack keys and buckets.
        CompletableFuture<Void> done = namespace.sync().thenCompose(state ->
                state.site(config.name()).filter(self::equals).isPresent()
                        ? CompletableFuture.completedFuture(null)
                        : namespace.registerSite(self));
        SiteConfig.BootstrapKey key = config.bootstrapKey();
        if (key != null) {
            done = done.thenCompose(ignored -> namespace.putAccessKey(
                    new AccessKey(key.accessKeyId(), key.secret(), key.tenant(), KeyRole.ADMIN, false), true));
        }
        done.orTimeout(30, TimeUnit.SECONDS).whenComplete((ignored, error) -> {
            if (error == null) {
                registered = true;
                log.info("Site {} is registered in federation '{}'", config.name(), config.federationName());
            } else if (state == State.RUNNING) {
                log.info("Registering site {} did not complete yet ({}); retrying", config.name(), error.toString());
                background.schedule(this::register, 1, TimeUnit.SECONDS);
            }
        });
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void sweepLeases() {
        try {
            ownerLeases.sweep();
            remote.leases().sweep();
        } catch (RuntimeException e) {
            log.warn("Sweeping read leases failed", e);
        }
    }

    /** Whether the site serves requests: registered in a federation that has a leader. */
    public boolean isReady() {
        return health().equals("ready");
    }

    /**
     * Returns the site's health as {@code /health} reports it: {@code ready}; {@code starting}
     * (not caught up with the federation yet, or, after a restart, waiting for read leases it may
     * have granted before to run out); {@code no-quorum} (caught up once, but no leader
     * now: writes to the federation wait, local reads go on); {@code failed} (its consensus member
     * stopped: restart the site); or {@code stopped}.
     */
    public String health() {
        if (state != State.RUNNING) {
            return state == State.STARTING ? "starting" : "stopped";
        }
        if (!group.isServing()) {
            return "failed";
        }
        if (!registered || ownerLeases.quietRemainingNanos() > 0) {
            return "starting";
        }
        return group.leaderId().isPresent() ? "ready" : "no-quorum";
    }

    /** Whether S3 requests are answered: caught up once, and the consensus member still alive. */
    private boolean servesRequests() {
        return registered && group.isServing();
    }

    public synchronized State state() {
        return state;
    }

    public Namespace namespace() {
        return namespace;
    }

    public FederationState federation() {
        return namespace.state();
    }

    public DiskCache<String, ObjectMeta> cache() {
        return cache;
    }

    /** The read leases this site grants on what it owns. */
    public OwnerLeases ownerLeases() {
        return ownerLeases;
    }

    /** Reads of objects other sites own, with the leases this site holds on them. */
    public RemoteObjects remoteObjects() {
        return remote;
    }

    public int s3Port() {
        return s3Server.activeLocalPort();
    }

    public int adminPort() {
        return adminServer.activeLocalPort();
    }

    private Optional<String> secretOf(String accessKeyId) {
        return namespace.state().accessKey(accessKeyId).filter(k -> !k.disabled()).map(AccessKey::secret);
    }

    /**
     * Signatures may be scoped to us-east-1 (every client's default; s3cmd calls it "US") or to any
     * region of the federation.
     */
    private boolean acceptsRegion(String region) {
        if (region.equals("us-east-1") || region.equals("US") || region.equals(config.region())) {
            return true;
        }
        Set<String> regions = new HashSet<>();
        namespace.state().sites().forEach(s -> regions.add(s.region()));
        return regions.contains(region);
    }

    @Override
    public synchronized void close() {
        if (state == State.STOPPED || state == State.NEW) {
            state = State.STOPPED;
            return;
        }
        state = State.STOPPING;
        log.info("Site {} stopping", config.name());
        stopParts();
        state = State.STOPPED;
        log.info("Site {} stopped", config.name());
    }

    private void stopParts() {
        // The three servers wind down their connections in parallel; each waits at most briefly.
        CompletableFuture<?> s3 = s3Server != null ? s3Server.stop() : CompletableFuture.completedFuture(null);
        CompletableFuture<?> admin = adminServer != null ? adminServer.stop() : CompletableFuture.completedFuture(null);
        CompletableFuture<?> mesh = CompletableFuture.runAsync(() -> closeQuietly(meshServer));
        CompletableFuture.allOf(s3, admin, mesh).join();
        closeQuietly(meshClient);
        closeQuietly(group);
        if (background != null) {
            background.shutdownNow();
        }
        if (blocking != null) {
            blocking.shutdown();
            try {
                blocking.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(store);
        closeQuietly(cache);
        if (metrics != null) {
            metrics.close();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("Error while stopping {}", c.getClass().getSimpleName(), e);
        }
    }

    /** What the mesh asks of this site. */
    private final class Local implements LocalSite {
        private final S3Router router;
        private final S3Operations operations;

        Local(S3Router router, S3Operations operations) {
            this.router = router;
            this.operations = operations;
        }

        @Override
        public String siteName() {
            return config.name();
        }

        @Override
        public HttpResponse executeForwarded(ForwardedRequest request) {
            return router.executeForwarded(request);
        }

        @Override
        public CompletableFuture<FetchResult> fetchLocal(String bucket, String key, String ifNoneMatchVersion,
                                                         boolean metadataOnly, String leaseHolder) {
            return operations.fetchLocal(bucket, key, ifNoneMatchVersion, metadataOnly, leaseHolder);
        }

        @Override
        public int revoke(String ownerSite, List<Revocation> entries) {
            return remote.revoke(entries);
        }
    }
}
