package io.meridian.federation;

import io.meridian.cache.lease.LeaseTable;
import io.meridian.cache.time.DriftBound;
import io.meridian.cache.time.MonotonicClock;
import io.meridian.namespace.SiteInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read leases this site grants on the objects it owns, and the revocations that must finish
 * before a new version of one becomes visible (DESIGN.md, "The data path" and "Leases and time").
 *
 * <p>Lifecycle: created when the site starts. For the first {@code L + maxDrift(L)} after a
 * restart ({@link #quietRemainingNanos()}), where {@code L} is the longest lease the previous run
 * may have granted, the site has forgotten whom it granted leases to, so it must serve, grant and
 * accept nothing on its domains; callers hold requests until then.
 */
public final class OwnerLeases {

    private static final Logger log = LoggerFactory.getLogger(OwnerLeases.class);
    /** How often a write waiting on a holder looks at the clock again. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final String selfSite;
    private final MonotonicClock clock;
    private final long leaseNanos;
    private final LeaseTable<String> table;
    private final Revoker revoker;
    private final long quietUntilNanos;

    /** Sends a revocation to the site holding leases; the future completes when it acknowledged. */
    @FunctionalInterface
    public interface Revoker {
        CompletableFuture<Integer> revoke(String holderSite, List<Revocation> entries);

        /** Revokes through the mesh, finding holders in the federation's sites. */
        static Revoker through(MeshClient mesh, Function<String, Optional<SiteInfo>> sites) {
            return (holder, entries) -> sites.apply(holder).map(site -> mesh.revoke(site, entries))
                    .orElseGet(() -> CompletableFuture.failedFuture(new MeshUnavailableException(holder,
                            "site " + holder + " is not registered", null)));
        }
    }

    /**
     * @param leasePeriod how long a read lease lasts ({@code R}); zero grants none
     * @param forgotten the longest read lease this site may have granted before it started (zero if
     *     it never ran on this data): it keeps quiet for that long plus its drift
     * @param firstSequence where grant and revocation numbers start: above any number this site may
     *     have given out before a restart (the site passes its wall clock in microseconds)
     * @param revoker reaches the sites that hold leases
     */
    public OwnerLeases(String selfSite, MonotonicClock clock, DriftBound drift, Duration leasePeriod,
                       Duration forgotten, long firstSequence, Revoker revoker) {
        this.selfSite = selfSite;
        this.clock = clock;
        this.leaseNanos = leasePeriod.toNanos();
        this.revoker = revoker;
        this.table = new LeaseTable<>(clock, firstSequence);
        long now = clock.nanos();
        long old = forgotten.toNanos();
        this.quietUntilNanos = old > 0 ? now + old + drift.maxDriftNanos(old) : now;
    }

    /** The key of an object in the lease table. */
    public static String entry(String bucket, String key) {
        return bucket + '\u0000' + key;
    }

    /** How long (on this site's clock) this site must still keep quiet after a restart; 0 once done. */
    public long quietRemainingNanos() {
        return Math.max(0, quietUntilNanos - clock.nanos());
    }

    public Duration leasePeriod() {
        return Duration.ofNanos(leaseNanos);
    }

    /**
     * Reads an object and, if {@code holder} is not null and {@code grantable} accepts what was
     * read, grants {@code holder} a read lease on it, atomically with respect to writes that are
     * becoming visible.
     */
    public <T> LeaseTable.Granted<T> read(String bucket, String key, String holder, Supplier<T> read,
                                          Predicate<T> grantable) {
        if (holder == null || holder.equals(selfSite) || quietRemainingNanos() > 0) {
            return new LeaseTable.Granted<>(read.get(), 0, 0);
        }
        return table.readAndGrant(entry(bucket, key), holder, leaseNanos, read, grantable);
    }

    /**
     * Called with a new version of {@code bucket/key} written durably but not yet visible: revokes
     * every read lease on the old version and waits until each holder has acknowledged or its lease
     * has run out. Grants stay suspended until the returned guard is closed, which the caller does
     * right after the new version became visible.
     */
    public LeaseTable<String>.WriteGuard beforeVisible(String bucket, String key) {
        LeaseTable<String>.WriteGuard guard = table.beginWrite(entry(bucket, key));
        try {
            revokeAndWait(bucket, key, guard);
        } catch (RuntimeException | Error e) {
            guard.close();
            throw e;
        }
        return guard;
    }

    private void revokeAndWait(String bucket, String key, LeaseTable<String>.WriteGuard guard) {
        List<LeaseTable.Holder> holders = guard.holders();
        if (holders.isEmpty()) {
            return;
        }
        List<Revocation> entries = List.of(new Revocation(bucket, key, guard.revokeSeq()));
        List<CompletableFuture<Integer>> acks = new ArrayList<>(holders.size());
        for (LeaseTable.Holder h : holders) {
            CompletableFuture<Integer> ack;
            try {
                ack = revoker.revoke(h.site(), entries);
            } catch (RuntimeException e) {
                ack = CompletableFuture.failedFuture(e);
            }
            acks.add(ack);
        }
        for (int i = 0; i < holders.size(); i++) {
            LeaseTable.Holder h = holders.get(i);
            CompletableFuture<Integer> ack = acks.get(i);
            while (true) {
                long remaining = h.expiresAtNanos() - clock.nanos();
                if (remaining <= 0) {
                    break;
                }
                try {
                    ack.get(Math.min(remaining, POLL_NANOS), TimeUnit.NANOSECONDS);
                    break;
                } catch (TimeoutException stillWaiting) {
                    // look at the clock again
                } catch (ExecutionException failed) {
                    // Not acknowledged: the lease must run out instead. Sleep towards its end.
                    sleepUntil(h.expiresAtNanos());
                    log.debug("{}/{}: holder {} did not acknowledge ({}); waited out its lease", bucket, key,
                            h.site(), failed.getCause().getMessage());
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while revoking read leases on " + bucket + "/"
                            + key, e);
                }
            }
        }
    }

    private void sleepUntil(long deadlineNanos) {
        long remaining;
        while ((remaining = deadlineNanos - clock.nanos()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(remaining, POLL_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting out a read lease", e);
            }
        }
    }

    /** The leases granted and not yet run out, by object, for operators. */
    public Map<String, List<LeaseTable.Holder>> granted() {
        return table.granted();
    }

    /** How long a holder's lease granted now would have left on this site's clock. */
    public long remainingNanos(LeaseTable.Holder h) {
        return Math.max(0, h.expiresAtNanos() - clock.nanos());
    }

    /** Forgets leases that ran out; call periodically. */
    public void sweep() {
        table.sweep();
    }
}
