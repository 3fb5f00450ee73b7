package io.meridian.node.s3.auth;

import com.google.common.io.BaseEncoding;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The SigV4 primitives: SHA-256, HMAC-SHA256, the signing-key derivation and signature comparison. */
final class Signing {

    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final String SERVICE = "s3";
    static final String TERMINATOR = "aws4_request";
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final BaseEncoding HEX = BaseEncoding.base16().lowerCase();

    private Signing() {}

    static MessageDigest sha256() {
        return digest("SHA-256");
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK lacks " + algorithm, e);
        }
    }

    static String sha256Hex(String text) {
        return hex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    static String hex(byte[] bytes) {
        return HEX.encode(bytes);
    }

    /** Returns a new HMAC-SHA256 keyed with {@code key}. */
    static Mac mac(byte[] key) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JDK lacks HmacSHA256", e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        return mac(key).doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the hex HMAC-SHA256 of {@code data} under the (reused, reset afterwards) {@code mac}. */
    static String signHex(Mac mac, String data) {
        return hex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    }

    /** Derives {@code kSigning} of SigV4 for one secret, day ({@code yyyyMMdd}), region and service. */
    static byte[] deriveSigningKey(String secret, String date, String region, String service) {
        final byte[] dateKey = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        final byte[] regionKey = hmac(dateKey, region);
        final byte[] serviceKey = hmac(regionKey, service);
        return hmac(serviceKey, TERMINATOR);
    }

    /**
     * Compares an expected lowercase-hex signature with a provided one in time independent of where they
     * differ.
     */
    static boolean signaturesMatch(String expectedHex, String providedHex) {
        return MessageDigest.isEqual(expectedHex.getBytes(StandardCharsets.US_ASCII),
                                     providedHex.getBytes(StandardCharsets.US_ASCII));
    }

    /** Whether {@code text} is exactly 64 hex digits (either case). */
    static boolean isSha256Hex(String text) {
        if (text.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            final char c = text.charAt(i);
            final boolean hexDigit = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
            if (!hexDigit) {
                return false;
            }
        }
        return true;
    }
}
