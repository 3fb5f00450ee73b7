package io.meridian.node.s3.auth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * A test-side aws-chunked encoder, written from the AWS documentation independently of the code under test,
 * and checked byte for byte against the AWS SDK's encoder (which has a fixed chunk size) so that tests can use
 * other chunk sizes.
 */
final class AwsChunkedEncoder {

    private static final HexFormat HEX = HexFormat.of();
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final byte @Nullable [] signingKey;
    private final String amzDate;
    private final String scope;
    private final @Nullable String seedSignature;

    /** An encoder that signs chunks, chained from {@code seedSignature}. */
    static AwsChunkedEncoder signed(String secret, String amzDate, String region, String seedSignature) {
        final String date = amzDate.substring(0, 8);
        return new AwsChunkedEncoder(signingKey(secret, date, region), amzDate,
                                     date + '/' + region + "/s3/aws4_request", seedSignature);
    }

    /** An encoder for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
    static AwsChunkedEncoder unsigned() {
        return new AwsChunkedEncoder(null, "", "", null);
    }

    private AwsChunkedEncoder(byte @Nullable [] signingKey, String amzDate, String scope,
                              @Nullable String seedSignature) {
        this.signingKey = signingKey;
        this.amzDate = amzDate;
        this.scope = scope;
        this.seedSignature = seedSignature;
    }

    /**
     * Encodes {@code data} in chunks of {@code chunkSize} bytes (the last one shorter), then a final empty chunk,
     * then the trailer {@code trailerName: trailerValue} if given (signed when this encoder signs).
     */
    byte[] encode(byte[] data, int chunkSize, @Nullable String trailerName, @Nullable String trailerValue) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        String previous = seedSignature;
        for (int offset = 0; offset < data.length; offset += chunkSize) {
            final int length = Math.min(chunkSize, data.length - offset);
            final byte[] chunk = new byte[length];
            System.arraycopy(data, offset, chunk, 0, length);
            previous = writeChunkHeader(out, chunk, previous);
            out.writeBytes(chunk);
            out.writeBytes(ascii("\r\n"));
        }
        previous = writeChunkHeader(out, new byte[0], previous);
        if (trailerName != null) {
            out.writeBytes(ascii(trailerName + ':' + trailerValue + "\r\n"));
            if (signingKey != null) {
                final String canonical = trailerName + ':' + trailerValue + '\n';
                final String stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + '\n' + scope + '\n' + previous
                                            + '\n' + sha256Hex(ascii(canonical));
                out.writeBytes(ascii("x-amz-trailer-signature:" + hmacHex(stringToSign) + "\r\n"));
            }
        }
        out.writeBytes(ascii("\r\n"));
        return out.toByteArray();
    }

    private String writeChunkHeader(ByteArrayOutputStream out, byte[] chunk, @Nullable String previous) {
        final String size = Integer.toHexString(chunk.length);
        if (signingKey == null) {
            out.writeBytes(ascii(size + "\r\n"));
            return "";
        }
        final String stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + '\n' + scope + '\n' + previous + '\n'
                                    + EMPTY_SHA256 + '\n' + sha256Hex(chunk);
        final String signature = hmacHex(stringToSign);
        out.writeBytes(ascii(size + ";chunk-signature=" + signature + "\r\n"));
        return signature;
    }

    private String hmacHex(String data) {
        return HEX.formatHex(hmac(signingKey, data));
    }

    static byte[] signingKey(String secret, String date, String region) {
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, "s3");
        return hmac(key, "aws4_request");
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
