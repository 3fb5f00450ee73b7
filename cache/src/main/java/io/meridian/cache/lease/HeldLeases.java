package io.meridian.cache.lease;

import static com.google.common.base.Preconditions.checkArgument;

import io.meridian.cache.time.DriftBound;
import io.meridian.cache.time.MonotonicClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The holder's side of read leases: which entries this site may answer from its cache without
 * asking their owner, and until when.
 *
 * <p>A lease runs from when this site <em>sent</em> the request that brought it, for the granted
 * period minus the drift bound, so it ends before the owner's view of it does even if the two
 * clocks disagree by as much as the bound allows. A revocation records the entry's sequence number;
 * a grant that arrives later with a number not above it (a revocation that overtook the grant) is
 * refused.
 *
 * <p>Besides leases, each entry remembers until when its cached version was known to be current
 * ({@link #freshUntil}), which is what a read that accepts bounded staleness compares against.
 *
 * <p>A revocation is remembered for the longest lease this site accepts ({@code maxLease}; longer
 * grants are cut to it): a grant it overtook was requested before the revocation arrived, so by
 * then it has run out anyway.
 *
 * <p>Thread-safe. Bounded: at most {@code maxEntries} entries; the least recently used go first.
 * Forgetting a revocation early (to stay within the bound) refuses every grant requested before
 * that revocation arrived, whichever owner it comes from, so bounding never makes a stale grant
 * acceptable.
 *
 * @param <K> the entry key
 */
public final class HeldLeases<K> {

    private final MonotonicClock clock;
    private final DriftBound drift;
    private final int maxEntries;
    private final long maxLeaseNanos;
    private final LinkedHashMap<K, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    /** Grants requested at or before this time are refused: a revocation they may have lost to was forgotten. */
    private long sentAtFloor;
    private boolean floorSet;

    /** The longest lease a holder accepts unless told otherwise. */
    public static final Duration DEFAULT_MAX_LEASE = Duration.ofSeconds(60);

    public HeldLeases(MonotonicClock clock, DriftBound drift, int maxEntries) {
        this(clock, drift, maxEntries, DEFAULT_MAX_LEASE);
    }

    public HeldLeases(MonotonicClock clock, DriftBound drift, int maxEntries, Duration maxLease) {
        checkArgument(maxEntries > 0, "maxEntries must be positive, got %s", maxEntries);
        checkArgument(!maxLease.isNegative() && !maxLease.isZero(), "maxLease must be positive, got %s", maxLease);
        this.clock = clock;
        this.drift = drift;
        this.maxEntries = maxEntries;
        this.maxLeaseNanos = maxLease.toNanos();
    }

    /** A lease this site holds on one version of an entry, on this site's clock. */
    public record Lease(String version, long seq, long expiresAtNanos) {}

    /** The time to pass as {@code sentAtNanos} to {@link #install}: read it before sending the request. */
    public long now() {
        return clock.nanos();
    }

    /**
     * Records a grant of {@code leaseNanos} on {@code version} of {@code key}, requested at
     * {@code sentAtNanos} (this site's clock). Returns whether it is now held: a grant is refused if
     * its sequence number is not above the last revocation seen for the entry, if it is older than a
     * lease already held, or if it has already run out once the drift bound is taken off.
     */
    public synchronized boolean install(K key, String version, long seq, long leaseNanos, long sentAtNanos) {
        long now = clock.nanos();
        Entry e = entry(key);
        boolean accepted = seq > 0 && leaseNanos > 0
                && !(floorSet && sentAtNanos - sentAtFloor <= 0)
                && seq > e.revokedSeq
                && (e.lease == null || seq > e.lease.seq());
        long lease = Math.min(leaseNanos, maxLeaseNanos);
        long expiresAt = sentAtNanos + lease - drift.maxDriftNanos(lease);
        if (accepted && expiresAt - now > 0) {
            e.lease = new Lease(version, seq, expiresAt);
            e.freshVersion = version;
            e.freshUntil = expiresAt;
            return true;
        }
        // No lease, but the version was current when the request was sent: worth knowing for
        // bounded-staleness reads, unless this answer is older than what is known already.
        boolean leased = e.lease != null && e.lease.expiresAtNanos() - now > 0;
        if (!leased && (e.freshVersion == null || sentAtNanos - e.freshUntil > 0)) {
            e.freshVersion = version;
            e.freshUntil = sentAtNanos;
        }
        return false;
    }

    /**
     * Records that the owner revoked the leases on {@code key} up to {@code seq}: from now on the
     * cached version may no longer be current. Returns whether a held lease was dropped.
     */
    public synchronized boolean revoke(K key, long seq) {
        long now = clock.nanos();
        Entry e = entry(key);
        if (seq > e.revokedSeq) {
            e.revokedSeq = seq;
            e.revokedAtNanos = now;
        }
        if (e.lease != null && e.lease.seq() >= seq) {
            // A late revocation of an earlier grant: the lease held now is newer and stands.
            return false;
        }
        // The cached version was current until this moment; not after (the owner may now change it).
        if (e.freshUntil - now > 0) {
            e.freshUntil = now;
        }
        boolean dropped = e.lease != null && e.lease.expiresAtNanos() - now > 0;
        e.lease = null;
        return dropped;
    }

    /** The lease held on {@code key}, if it has not run out. */
    public synchronized Optional<Lease> valid(K key) {
        Entry e = entries.get(key);
        if (e == null || e.lease == null) {
            return Optional.empty();
        }
        if (e.lease.expiresAtNanos() - clock.nanos() <= 0) {
            e.lease = null;
            return Optional.empty();
        }
        return Optional.of(e.lease);
    }

    /**
     * How long ago {@code version} of {@code key} was last known to be current, in nanoseconds: 0
     * under a valid lease; empty if this site knows nothing about that version.
     */
    public synchronized Optional<Long> stalenessNanos(K key, String version) {
        Entry e = entries.get(key);
        if (e == null || !version.equals(e.freshVersion)) {
            return Optional.empty();
        }
        return Optional.of(Math.max(0, clock.nanos() - e.freshUntil));
    }

    /** Until when (this site's clock) the cached version of {@code key} was known to be current. */
    public synchronized Optional<Long> freshUntil(K key) {
        Entry e = entries.get(key);
        return e == null || e.freshVersion == null ? Optional.empty() : Optional.of(e.freshUntil);
    }

    /** Forgets the lease on {@code key} (its cached bytes went away); revocations are kept. */
    public synchronized void drop(K key) {
        Entry e = entries.get(key);
        if (e != null) {
            e.lease = null;
            e.freshVersion = null;
        }
    }

    /** Forgets the leases on every entry whose key matches; returns how many leases were held. */
    public synchronized int dropIf(Predicate<K> filter) {
        int n = 0;
        for (Map.Entry<K, Entry> me : entries.entrySet()) {
            if (filter.test(me.getKey())) {
                Entry e = me.getValue();
                if (e.lease != null) {
                    n++;
                }
                e.lease = null;
                e.freshVersion = null;
            }
        }
        return n;
    }

    /** The leases held now, for operators. */
    public synchronized Map<K, Lease> held() {
        long now = clock.nanos();
        Map<K, Lease> out = new LinkedHashMap<>();
        entries.forEach((k, e) -> {
            if (e.lease != null && e.lease.expiresAtNanos() - now > 0) {
                out.put(k, e.lease);
            }
        });
        return out;
    }

    /**
     * Forgets what no longer matters: leases that ran out, and revocations older than the longest
     * lease this site accepts (a grant they overtook has run out by the time it arrives).
     */
    public synchronized void sweep() {
        long now = clock.nanos();
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (e.lease != null && e.lease.expiresAtNanos() - now <= 0) {
                e.lease = null;
            }
            if (e.lease == null && e.freshVersion == null && !revocationMatters(e, now)) {
                it.remove();
            }
        }
    }

    private boolean revocationMatters(Entry e, long now) {
        return e.revokedSeq != 0 && now - e.revokedAtNanos <= maxLeaseNanos;
    }

    /** The number of entries tracked (leases, freshness and recent revocations). */
    public synchronized int size() {
        return entries.size();
    }

    private Entry entry(K key) {
        Entry e = entries.get(key);
        if (e == null) {
            e = new Entry();
            entries.put(key, e);
            trim();
        }
        return e;
    }

    private void trim() {
        if (entries.size() <= maxEntries) {
            return;
        }
        long now = clock.nanos();
        List<K> victims = new ArrayList<>();
        Iterator<Map.Entry<K, Entry>> it = entries.entrySet().iterator();
        while (entries.size() - victims.size() > maxEntries && it.hasNext()) {
            Map.Entry<K, Entry> me = it.next();
            victims.add(me.getKey());
            Entry e = me.getValue();
            if (revocationMatters(e, now)) {
                // Forgetting a recent revocation: refuse every grant requested before it arrived.
                if (!floorSet || e.revokedAtNanos - sentAtFloor > 0) {
                    sentAtFloor = e.revokedAtNanos;
                    floorSet = true;
                }
            }
        }
        victims.forEach(entries::remove);
    }

    private static final class Entry {
        Lease lease;
        long revokedSeq;
        long revokedAtNanos;
        String freshVersion;
        long freshUntil;
    }
}
