package io.meridian.cache.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.cache.lease.HeldLeases.Lease;
import io.meridian.cache.time.DriftBound;
import io.meridian.cache.time.ManualClock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class HeldLeasesTest {

    private static final long MS = 1_000_000L;
    private static final long LEASE = 5_000 * MS;
    private static final DriftBound DRIFT = new DriftBound(0.01, Duration.ofMillis(50));
    /** maxDrift(LEASE): 1 % of 5 s plus 50 ms. */
    private static final long LEASE_DRIFT = 100 * MS;

    private final ManualClock clock = new ManualClock();
    private final HeldLeases<String> leases = new HeldLeases<>(clock, DRIFT, 100);

    private void advanceMillis(long ms) {
        clock.advance(Duration.ofMillis(ms));
    }

    @Test
    void rejectsANonPositiveBound() {
        assertThatThrownBy(() -> new HeldLeases<String>(clock, DRIFT, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEntries must be positive, got 0");
    }

    @Test
    void nowReadsTheClock() {
        assertThat(leases.now()).isEqualTo(clock.nanos());
        advanceMillis(3);
        assertThat(leases.now()).isEqualTo(clock.nanos());
    }

    @Nested
    class Installing {

        @Test
        void aLeaseRunsFromWhenTheRequestWasSentMinusTheDriftBound() {
            long sentAt = leases.now();
            advanceMillis(200);

            assertThat(leases.install("k", "v1", 7, LEASE, sentAt)).isTrue();

            long expiresAt = sentAt + LEASE - LEASE_DRIFT;
            assertThat(leases.valid("k")).contains(new Lease("v1", 7, expiresAt));
            assertThat(leases.held()).containsExactly(Map.entry("k", new Lease("v1", 7, expiresAt)));
            assertThat(leases.freshUntil("k")).contains(expiresAt);
        }

        @Test
        void aLeaseIsValidUpToOneNanosecondBeforeItsEnd() {
            long sentAt = leases.now();
            leases.install("k", "v1", 7, LEASE, sentAt);
            long expiresAt = sentAt + LEASE - LEASE_DRIFT;

            clock.advance(Duration.ofNanos(expiresAt - clock.nanos() - 1));
            assertThat(leases.valid("k")).isPresent();
            assertThat(leases.held()).containsKey("k");

            clock.advance(Duration.ofNanos(1));
            assertThat(leases.held()).isEmpty();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void theDriftBoundScalesWithTheLease() {
            long longLease = 6L * 3600 * 1000 * MS;
            HeldLeases<String> patient = new HeldLeases<>(clock, DRIFT, 100, Duration.ofHours(7));
            long sentAt = patient.now();

            patient.install("k", "v1", 7, longLease, sentAt);

            assertThat(patient.valid("k")).map(Lease::expiresAtNanos)
                    .contains(sentAt + longLease - (longLease / 100 + 50 * MS));
        }

        @Test
        void aGrantLongerThanTheLongestAcceptedIsCutToIt() {
            long sentAt = leases.now();
            long max = HeldLeases.DEFAULT_MAX_LEASE.toNanos();

            leases.install("k", "v1", 7, 10 * max, sentAt);

            assertThat(leases.valid("k")).map(Lease::expiresAtNanos)
                    .contains(sentAt + max - DRIFT.maxDriftNanos(max));
        }

        @Test
        void refusesAGrantThatRanOutOnTheWay() {
            long sentAt = leases.now();
            clock.advance(Duration.ofNanos(LEASE - LEASE_DRIFT));

            assertThat(leases.install("k", "v1", 7, LEASE, sentAt)).as("ends exactly now").isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void refusesAGrantShorterThanTheDriftBound() {
            assertThat(leases.install("k", "v1", 7, 40 * MS, leases.now())).isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void refusesNoGrantAtAll() {
            assertThat(leases.install("k", "v1", 0, LEASE, leases.now())).isFalse();
            assertThat(leases.install("k", "v1", 7, 0, leases.now())).isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void refusesAGrantAtOrBelowTheLastRevocation() {
            long sentAt = leases.now();
            leases.revoke("k", 10);

            assertThat(leases.install("k", "v1", 9, LEASE, sentAt)).as("overtaken by the revocation").isFalse();
            assertThat(leases.install("k", "v1", 10, LEASE, sentAt)).as("equal to the revocation").isFalse();
            assertThat(leases.valid("k")).isEmpty();

            assertThat(leases.install("k", "v2", 11, LEASE, leases.now())).isTrue();
            assertThat(leases.valid("k")).map(Lease::version).contains("v2");
        }

        @Test
        void aRevocationOnOneKeyDoesNotRefuseGrantsOnAnother() {
            leases.revoke("a", 10);

            assertThat(leases.install("b", "v1", 5, LEASE, leases.now())).isTrue();
        }

        @Test
        void anOlderGrantDoesNotReplaceANewerLease() {
            long sentAt = leases.now();
            leases.install("k", "v2", 10, LEASE, sentAt);

            assertThat(leases.install("k", "v1", 5, LEASE, sentAt + 1)).isFalse();
            assertThat(leases.install("k", "v1", 10, LEASE, sentAt + 1)).as("same number").isFalse();

            assertThat(leases.valid("k")).contains(new Lease("v2", 10, sentAt + LEASE - LEASE_DRIFT));
        }

        @Test
        void aNewerGrantReplacesAnOlderLease() {
            leases.install("k", "v1", 5, LEASE, leases.now());
            advanceMillis(1000);
            long sentAt = leases.now();

            assertThat(leases.install("k", "v2", 6, LEASE, sentAt)).isTrue();

            assertThat(leases.valid("k")).contains(new Lease("v2", 6, sentAt + LEASE - LEASE_DRIFT));
        }
    }

    @Nested
    class Revoking {

        @Test
        void dropsALeaseWithALowerNumber() {
            leases.install("k", "v1", 5, LEASE, leases.now());

            assertThat(leases.revoke("k", 6)).isTrue();

            assertThat(leases.valid("k")).isEmpty();
            assertThat(leases.held()).isEmpty();
        }

        @Test
        void keepsALeaseWithAHigherNumber() {
            // A revocation of an older grant, delayed past a newer one.
            leases.install("k", "v2", 8, LEASE, leases.now());

            assertThat(leases.revoke("k", 6)).isFalse();

            assertThat(leases.valid("k")).map(Lease::seq).contains(8L);
        }

        @Test
        void revokingNothingHeldReturnsFalse() {
            assertThat(leases.revoke("k", 6)).isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void theHighestRevocationCounts() {
            leases.revoke("k", 10);
            leases.revoke("k", 4);

            assertThat(leases.install("k", "v1", 9, LEASE, leases.now())).isFalse();
        }
    }

    @Nested
    class Staleness {

        @Test
        void isZeroUnderALease() {
            leases.install("k", "v1", 5, LEASE, leases.now());
            advanceMillis(3000);

            assertThat(leases.stalenessNanos("k", "v1")).contains(0L);
        }

        @Test
        void growsAfterTheLeaseRunsOut() {
            long sentAt = leases.now();
            leases.install("k", "v1", 5, LEASE, sentAt);
            long expiresAt = sentAt + LEASE - LEASE_DRIFT;

            clock.advance(Duration.ofNanos(expiresAt - clock.nanos() + 700 * MS));

            assertThat(leases.valid("k")).isEmpty();
            assertThat(leases.stalenessNanos("k", "v1")).contains(700 * MS);
            assertThat(leases.freshUntil("k")).contains(expiresAt);
        }

        @Test
        void growsFromTheRevocation() {
            leases.install("k", "v1", 5, LEASE, leases.now());
            advanceMillis(1000);
            long revokedAt = leases.now();

            leases.revoke("k", 6);
            advanceMillis(250);

            assertThat(leases.stalenessNanos("k", "v1")).contains(250 * MS);
            assertThat(leases.freshUntil("k")).contains(revokedAt);
        }

        @Test
        void withoutALeaseCountsFromWhenTheRequestWasSent() {
            long sentAt = leases.now();
            advanceMillis(100);

            assertThat(leases.install("k", "v1", 0, 0, sentAt)).isFalse();
            advanceMillis(400);

            assertThat(leases.stalenessNanos("k", "v1")).contains(500 * MS);
            assertThat(leases.freshUntil("k")).contains(sentAt);
        }

        @Test
        void aRefusedGrantStillTellsWhenTheVersionWasCurrent() {
            leases.revoke("k", 10);
            long sentAt = leases.now();
            advanceMillis(100);

            assertThat(leases.install("k", "v1", 9, LEASE, sentAt)).isFalse();

            assertThat(leases.stalenessNanos("k", "v1")).contains(100 * MS);
        }

        @Test
        void isUnknownForAnotherVersionOrKey() {
            leases.install("k", "v1", 5, LEASE, leases.now());

            assertThat(leases.stalenessNanos("k", "v0")).isEmpty();
            assertThat(leases.stalenessNanos("other", "v1")).isEmpty();
            assertThat(leases.freshUntil("other")).isEmpty();
        }

        @Test
        void aRevokedEntryWithNothingCachedHasNoFreshness() {
            leases.revoke("k", 3);

            assertThat(leases.freshUntil("k")).isEmpty();
        }

        @Test
        void isZeroUnderALeaseEvenAfterALateOlderGrantArrives() {
            // A reply to an earlier request, carrying an older version and grant, arrives after the
            // newer lease was installed. The lease on v2 stays (see anOlderGrantDoesNotReplaceANewerLease),
            // so stalenessNanos must still say 0 for v2, as its Javadoc promises.
            long earlierSentAt = leases.now();
            advanceMillis(10);
            leases.install("k", "v2", 10, LEASE, leases.now());
            advanceMillis(10);

            leases.install("k", "v1", 5, LEASE, earlierSentAt);

            assertThat(leases.valid("k")).map(Lease::version).contains("v2");
            assertThat(leases.stalenessNanos("k", "v2")).as("v2 is under a valid lease").contains(0L);
            assertThat(leases.freshUntil("k")).contains(earlierSentAt + 10 * MS + LEASE - LEASE_DRIFT);
        }

        @Test
        void isZeroUnderALeaseEvenAfterAStaleRevocationArrives() {
            // The revocation of grant 6, delayed past grant 8 (which revoke keeps, see
            // keepsALeaseWithAHigherNumber): the lease on v2 is valid, so its staleness is 0.
            leases.install("k", "v2", 8, LEASE, leases.now());
            leases.revoke("k", 6);
            advanceMillis(1000);

            assertThat(leases.valid("k")).map(Lease::version).contains("v2");
            assertThat(leases.stalenessNanos("k", "v2")).as("v2 is under a valid lease").contains(0L);
        }
    }

    @Nested
    class Dropping {

        @Test
        void dropForgetsTheLeaseAndFreshnessButKeepsTheRevocation() {
            leases.revoke("k", 4);
            leases.install("k", "v1", 5, LEASE, leases.now());

            leases.drop("k");

            assertThat(leases.valid("k")).isEmpty();
            assertThat(leases.stalenessNanos("k", "v1")).isEmpty();
            assertThat(leases.freshUntil("k")).isEmpty();
            assertThat(leases.install("k", "v1", 4, LEASE, leases.now())).as("still revoked up to 4").isFalse();
            assertThat(leases.install("k", "v1", 6, LEASE, leases.now())).isTrue();
        }

        @Test
        void droppingWhatIsNotThereDoesNothing() {
            leases.drop("nothing");

            assertThat(leases.size()).isZero();
        }

        @Test
        void dropIfForgetsMatchingKeysAndCountsTheirLeases() {
            leases.install("a/1", "v1", 1, LEASE, leases.now());
            leases.install("a/2", "v1", 2, LEASE, leases.now());
            leases.install("a/3", "v1", 0, 0, leases.now());
            leases.install("b/1", "v1", 3, LEASE, leases.now());

            int dropped = leases.dropIf(k -> k.startsWith("a/"));

            assertThat(dropped).isEqualTo(2);
            assertThat(leases.held()).containsOnlyKeys("b/1");
            assertThat(leases.stalenessNanos("a/3", "v1")).isEmpty();
            assertThat(leases.stalenessNanos("b/1", "v1")).contains(0L);
        }

        @Test
        void dropIfMatchingNothingCountsNothing() {
            leases.install("a/1", "v1", 1, LEASE, leases.now());

            assertThat(leases.dropIf(k -> false)).isZero();
            assertThat(leases.held()).containsOnlyKeys("a/1");
        }
    }

    @Nested
    class Sweeping {

        @Test
        void forgetsLeasesThatRanOutButKeepsFreshness() {
            long sentAt = leases.now();
            leases.install("k", "v1", 5, LEASE, sentAt);
            advanceMillis(LEASE / MS);

            leases.sweep();

            assertThat(leases.held()).isEmpty();
            assertThat(leases.freshUntil("k")).contains(sentAt + LEASE - LEASE_DRIFT);
            assertThat(leases.size()).isEqualTo(1);
        }

        @Test
        void forgetsEntriesWithNothingLeft() {
            leases.install("k", "v1", 5, LEASE, leases.now());
            leases.drop("k");

            leases.sweep();

            assertThat(leases.size()).isZero();
        }

        @Test
        void keepsARecentRevocationSoALateLowerGrantIsStillRefused() {
            leases.install("other", "v1", 1, LEASE, leases.now());
            long sentAt = leases.now();
            advanceMillis(10);
            leases.revoke("k", 10);
            advanceMillis(1000);

            leases.sweep();

            assertThat(leases.size()).isEqualTo(2);
            // Still within its period on arrival: only the revocation can refuse it.
            assertThat(sentAt + LEASE - LEASE_DRIFT).isGreaterThan(clock.nanos());
            assertThat(leases.install("k", "v1", 9, LEASE, sentAt)).isFalse();
        }

        @Test
        void keepsARevocationForTheLongestLeaseItAccepts() {
            leases.install("other", "v1", 1, LEASE, leases.now());
            leases.drop("other");
            leases.revoke("k", 10);

            clock.advance(HeldLeases.DEFAULT_MAX_LEASE);
            leases.sweep();
            assertThat(leases.size()).as("kept up to and including the longest accepted lease").isEqualTo(1);

            clock.advance(Duration.ofNanos(1));
            leases.sweep();
            assertThat(leases.size()).isZero();
        }

        @Test
        void aGrantSentBeforeAForgottenRevocationHasRunOutByThen() {
            leases.install("other", "v1", 1, LEASE, leases.now());
            long sentAt = leases.now();
            leases.revoke("k", 10);
            clock.advance(Duration.ofNanos(LEASE + LEASE_DRIFT + 1));
            leases.sweep();

            assertThat(leases.install("k", "v1", 9, LEASE, sentAt)).isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void stillRefusesAnOvertakenGrantWhenItIsTheFirstGrantThisSiteSees() {
            // A site's first request: the owner grants (seq 5), then a write revokes it (seq 6). The
            // revocation overtakes the grant and a periodic sweep runs before the grant arrives.
            // Having installed no lease yet, sweep keeps revocations only for maxDrift(0) = 50 ms,
            // and forgetting one does not raise the sequence floor, so the stale grant gets in.
            long sentAt = leases.now();
            advanceMillis(20);
            leases.revoke("k", 6);
            advanceMillis(60);
            leases.sweep();

            assertThat(leases.install("k", "v1", 5, LEASE, sentAt))
                    .as("grant 5 was revoked by 6; the owner may already have committed v2").isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }

        @Test
        void stillRefusesAnOvertakenGrantLongerThanAnySeenBefore() {
            // As above, with a 1 s lease seen before: the revocation is kept for 1 s + maxDrift(1 s),
            // but the overtaken grant is for 5 s and still within its period when it arrives.
            leases.install("other", "v1", 1, 1_000 * MS, leases.now());
            long sentAt = leases.now();
            advanceMillis(20);
            leases.revoke("k", 6);
            advanceMillis(1_200);
            leases.sweep();

            assertThat(leases.install("k", "v1", 5, LEASE, sentAt))
                    .as("grant 5 was revoked by 6; the owner may already have committed v2").isFalse();
            assertThat(leases.valid("k")).isEmpty();
        }
    }

    @Nested
    class Bounding {

        private final HeldLeases<String> small = new HeldLeases<>(clock, DRIFT, 2);

        @Test
        void keepsAtMostMaxEntries() {
            for (int i = 1; i <= 10; i++) {
                small.install("k" + i, "v1", i, LEASE, small.now());
                assertThat(small.size()).isLessThanOrEqualTo(2);
            }

            assertThat(small.held()).containsOnlyKeys("k9", "k10");
        }

        @Test
        void theLeastRecentlyUsedGoFirst() {
            small.install("a", "v1", 1, LEASE, small.now());
            small.install("b", "v1", 2, LEASE, small.now());
            small.valid("a");

            small.install("c", "v1", 3, LEASE, small.now());

            assertThat(small.held()).containsOnlyKeys("a", "c");
        }

        @Test
        void aLateGrantAtOrBelowAForgottenRevocationIsStillRefused() {
            long sentAt = small.now();
            small.revoke("a", 10);
            // Entries with freshness but no lease: evicting them raises the floor by nothing.
            small.install("b", "v1", 0, 0, small.now());
            small.install("c", "v1", 0, 0, small.now());
            assertThat(small.size()).isEqualTo(2);
            assertThat(small.stalenessNanos("b", "v1")).isPresent();
            assertThat(small.stalenessNanos("c", "v1")).isPresent();

            assertThat(small.install("a", "v1", 9, LEASE, sentAt)).as("below the forgotten revocation").isFalse();
            assertThat(small.install("a", "v1", 10, LEASE, sentAt)).as("equal to it").isFalse();
            assertThat(small.valid("a")).isEmpty();

            // A request sent after the forgotten revocation arrived is not affected.
            advanceMillis(1);
            assertThat(small.install("a", "v2", 11, LEASE, small.now())).isTrue();
        }

        @Test
        void forgettingALeaseWithoutARevocationRefusesNothingLater() {
            // No revocation was seen, so no write came between the grants: an owner that wrote in
            // between either revoked (and the revocation is remembered or floors the grant) or
            // waited out lease 9, which then has run out by the time it could arrive.
            small.install("a", "v1", 10, LEASE, small.now());
            small.install("b", "v1", 11, LEASE, small.now());
            small.install("c", "v1", 12, LEASE, small.now());

            assertThat(small.install("a", "v1", 9, LEASE, small.now())).isTrue();
        }

        @Test
        void boundingDoesNotRefuseGrantsFromAnOwnerWithLowerSequenceNumbers() {
            // One HeldLeases holds leases on objects of every owner (federation RemoteObjects), and
            // each owner numbers its grants from its own counter (OwnerLeases starts it at its wall
            // clock in microseconds). Evicting an entry of owner A raises the floor for owner B's
            // entries too: every B grant below A's numbers is refused from then on, though B never
            // revoked anything.
            long ownerA = 1_700_000_500_000_000L;
            long ownerB = 1_700_000_000_000_000L;
            small.install("a/1", "v1", ownerA + 1, LEASE, small.now());
            small.install("a/2", "v1", ownerA + 2, LEASE, small.now());

            assertThat(small.install("b/1", "v1", ownerB + 1, LEASE, small.now()))
                    .as("owner B's first grant on b/1, never revoked").isTrue();
        }
    }
}
