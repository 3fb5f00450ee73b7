package io.meridian.cache.lease;

import com.google.common.util.concurrent.Striped;
import io.meridian.cache.time.MonotonicClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The owner's side of read leases: for each entry, which sites hold a lease and until when.
 *
 * <p>A read and the grant that goes with it happen as one step against the start of a write: a
 * grant made before {@link #beginWrite} is among the holders that write must revoke; a read that
 * runs after it gets no lease until {@link WriteGuard#close()}. Sequence numbers come from one
 * counter that only grows, so each entry's grants and revocations are ordered.
 *
 * <p>Expiry here is counted from when the grant was made, on the owner's clock; the holder counts
 * from when it sent its request, minus the drift bound, so its lease always ends first.
 *
 * @param <K> the entry key
 */
public final class LeaseTable<K> {

    private final MonotonicClock clock;
    private final AtomicLong sequence;
    private final Striped<ReadWriteLock> stripes = Striped.readWriteLock(256);
    private final Map<K, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param firstSequence where sequence numbers start; a restarted owner starts above any number
     *     it may have given out before (for example, from the wall clock in microseconds)
     */
    public LeaseTable(MonotonicClock clock, long firstSequence) {
        if (firstSequence < 0) {
            throw new IllegalArgumentException("firstSequence must not be negative (0 means 'no lease'), was "
                    + firstSequence);
        }
        this.clock = clock;
        this.sequence = new AtomicLong(firstSequence);
    }

    /** What a read returned and the lease granted with it, if any ({@code seq == 0}: none). */
    public record Granted<T>(T value, long seq, long leaseNanos) {
        public boolean leased() {
            return seq != 0;
        }
    }

    /**
     * Runs {@code read} and, if {@code leaseNanos > 0} and {@code grantable} accepts what it read,
     * grants {@code holder} a lease of {@code leaseNanos} on the version read, unless a write on
     * the entry is under way.
     */
    public <T> Granted<T> readAndGrant(K key, String holder, long leaseNanos, Supplier<T> read,
                                       Predicate<T> grantable) {
        ReadWriteLock stripe = stripes.get(key);
        stripe.readLock().lock();
        try {
            T value = read.get();
            if (leaseNanos <= 0 || !grantable.test(value)) {
                return new Granted<>(value, 0, 0);
            }
            Entry e = entries.computeIfAbsent(key, k -> new Entry());
            synchronized (e) {
                if (e.writers > 0) {
                    return new Granted<>(value, 0, 0);
                }
                long seq = sequence.incrementAndGet();
                e.holders.put(holder, new Holder(holder, seq, clock.nanos() + leaseNanos));
                return new Granted<>(value, seq, leaseNanos);
            }
        } finally {
            stripe.readLock().unlock();
        }
    }

    /** A lease some site holds, as this owner counts it. */
    public record Holder(String site, long seq, long expiresAtNanos) {}

    /**
     * Marks the start of a write to {@code key}: from now until the guard closes no lease on it is
     * granted, and the holders returned must be revoked (or their leases run out) before the new
     * version becomes visible. Writes to one key must be serialized by the caller (the store holds
     * the key's lock): a second write begun while the first is open finds no holders to revoke.
     */
    public WriteGuard beginWrite(K key) {
        ReadWriteLock stripe = stripes.get(key);
        stripe.writeLock().lock();
        try {
            Entry e = entries.computeIfAbsent(key, k -> new Entry());
            synchronized (e) {
                e.writers++;
                long now = clock.nanos();
                List<Holder> live = new ArrayList<>();
                for (Holder h : e.holders.values()) {
                    if (h.expiresAtNanos() - now > 0) {
                        live.add(h);
                    }
                }
                e.holders.clear();
                return new WriteGuard(key, sequence.incrementAndGet(), List.copyOf(live));
            }
        } finally {
            stripe.writeLock().unlock();
        }
    }

    /** A write in progress on one entry; closing it lets grants resume. */
    public final class WriteGuard implements AutoCloseable {
        private final K key;
        private final long revokeSeq;
        private final List<Holder> holders;
        private boolean closed;

        private WriteGuard(K key, long revokeSeq, List<Holder> holders) {
            this.key = key;
            this.revokeSeq = revokeSeq;
            this.holders = holders;
        }

        public K key() {
            return key;
        }

        /** The sequence number the revocation carries; above every grant made before it. */
        public long revokeSeq() {
            return revokeSeq;
        }

        /** The sites whose leases on the old version had not run out when the write began. */
        public List<Holder> holders() {
            return holders;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            ReadWriteLock stripe = stripes.get(key);
            stripe.writeLock().lock();
            try {
                Entry e = entries.get(key);
                if (e != null) {
                    synchronized (e) {
                        e.writers--;
                        if (e.writers == 0 && e.holders.isEmpty()) {
                            entries.remove(key);
                        }
                    }
                }
            } finally {
                stripe.writeLock().unlock();
            }
        }
    }

    /** Forgets {@code site}'s lease on {@code key} (it said it dropped it). */
    public void release(K key, String site) {
        Entry e = entries.get(key);
        if (e != null) {
            synchronized (e) {
                e.holders.remove(site);
            }
        }
    }

    /** The leases granted and not yet run out, for operators. */
    public Map<K, List<Holder>> granted() {
        long now = clock.nanos();
        Map<K, List<Holder>> out = new HashMap<>();
        entries.forEach((k, e) -> {
            synchronized (e) {
                for (Holder h : e.holders.values()) {
                    if (h.expiresAtNanos() - now > 0) {
                        out.computeIfAbsent(k, x -> new ArrayList<>()).add(h);
                    }
                }
            }
        });
        return out;
    }

    /** Drops leases that ran out, so the table stays as small as the set of live leases. */
    public void sweep() {
        long now = clock.nanos();
        for (K key : List.copyOf(entries.keySet())) {
            ReadWriteLock stripe = stripes.get(key);
            stripe.writeLock().lock();
            try {
                Entry e = entries.get(key);
                if (e == null) {
                    continue;
                }
                synchronized (e) {
                    e.holders.values().removeIf(h -> h.expiresAtNanos() - now <= 0);
                    if (e.writers == 0 && e.holders.isEmpty()) {
                        entries.remove(key);
                    }
                }
            } finally {
                stripe.writeLock().unlock();
            }
        }
    }

    /** The number of entries with live leases or writes in progress. */
    public int size() {
        return entries.size();
    }

    private static final class Entry {
        final Map<String, Holder> holders = new HashMap<>(4);
        int writers;
    }
}
