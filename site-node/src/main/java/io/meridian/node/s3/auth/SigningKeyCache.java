package io.meridian.node.s3.auth;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;

/**
 * Remembers derived SigV4 signing keys per (secret, day, region), so a busy key costs one HMAC per request
 * instead of five. Bounded; the least recently used keys go first.
 */
final class SigningKeyCache {

    private final Cache<Key, byte[]> keys;

    SigningKeyCache(int maximumSize) {
        keys = CacheBuilder.newBuilder().maximumSize(maximumSize).build();
    }

    /** Returns the signing key; the caller must not modify the returned array. */
    byte[] signingKey(String secret, String date, String region) {
        final Key key = new Key(secret, date, region);
        final byte[] cached = keys.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        final byte[] derived = Signing.deriveSigningKey(secret, date, region, Signing.SERVICE);
        keys.put(key, derived);
        return derived;
    }

    private record Key(String secret, String date, String region) {
        @Override
        public String toString() {
            return "Key[" + date + ", " + region + "]";
        }
    }
}
