package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.S3AuthException.badRequest;
import static io.meridian.node.s3.auth.S3AuthException.forbidden;

import com.google.common.collect.ImmutableMap;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.stream.StreamDecoder;
import com.linecorp.armeria.common.stream.StreamDecoderInput;
import com.linecorp.armeria.common.stream.StreamDecoderOutput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * Verifies a request body as it streams: decodes aws-chunked framing (checking every chunk signature, the
 * trailer signature and trailing checksums) or passes a plain body through, and checks the digests the
 * headers promised.
 *
 * <p>Decoded data flows downstream as soon as it arrives, before the chunk or body it belongs to has been
 * verified; every failure aborts the stream with an {@link S3AuthException} before it could complete
 * normally, so a consumer must commit only after normal completion. Holds at most one line of framing
 * (bounded by {@link #MAX_LINE_BYTES}) besides the data in flight; never buffers a chunk.
 */
final class BodyDecoder<T extends HttpObject> implements StreamDecoder<T, HttpData> {

    /** The longest chunk-header or trailer line accepted, CRLF included. */
    static final int MAX_LINE_BYTES = 4096;
    /** The most trailing headers accepted. */
    static final int MAX_TRAILERS = 16;
    /** The most hex digits of a chunk size; 15 keep sizes below 2^60. */
    private static final int MAX_SIZE_DIGITS = 15;

    private static final String CHUNK_SIGNATURE = "chunk-signature";
    private static final String TRAILER_SIGNATURE = "x-amz-trailer-signature";

    private enum State { PLAIN, CHUNK_HEADER, CHUNK_DATA, CHUNK_END, TRAILER, DONE }

    private final PayloadMode mode;
    private final BodyChecks checks;
    private final @Nullable String expectedSha256;
    private final EnumMap<ChecksumAlgorithm, ChecksumAlgorithm.Running> digests =
            new EnumMap<>(ChecksumAlgorithm.class);
    private final @Nullable Mac mac;
    private final @Nullable MessageDigest chunkDigest;
    private final String amzDate;
    private final String scope;
    private final byte[] line = new byte[MAX_LINE_BYTES];
    private final Map<String, String> trailers = new TreeMap<>();
    private final Map<ChecksumAlgorithm, byte[]> results = new EnumMap<>(ChecksumAlgorithm.class);

    private State state;
    private String previousSignature;
    private @Nullable String chunkSignature;
    private @Nullable String trailerSignature;
    private int lineLength;
    private int chunkEndBytes;
    private long chunkNumber;
    private long chunkSize;
    private long chunkRemaining;
    private long decodedBytes;

    BodyDecoder(AuthResult auth, BodyChecks checks) {
        mode = auth.payloadMode();
        this.checks = checks;
        expectedSha256 = auth.expectedPayloadSha256().orElse(null);
        amzDate = auth.amzDate();
        scope = auth.scope();
        previousSignature = auth.seedSignature();
        if (mode.hasChunkSignatures()) {
            mac = Signing.mac(auth.signingKey());
            chunkDigest = Signing.sha256();
        } else {
            mac = null;
            chunkDigest = null;
        }
        if (expectedSha256 != null) {
            digests.put(ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA256.start());
        }
        for (ChecksumAlgorithm algorithm : checks.expected().keySet()) {
            digests.computeIfAbsent(algorithm, ChecksumAlgorithm::start);
        }
        for (ChecksumAlgorithm algorithm : checks.trailerChecksums()) {
            digests.computeIfAbsent(algorithm, ChecksumAlgorithm::start);
        }
        state = mode.isAwsChunked() ? State.CHUNK_HEADER : State.PLAIN;
    }

    @Override
    public ByteBuf toByteBuf(T in) {
        return in instanceof HttpData data ? data.byteBuf() : Unpooled.EMPTY_BUFFER;
    }

    @Override
    public void process(StreamDecoderInput in, StreamDecoderOutput<HttpData> out) {
        while (in.isReadable()) {
            switch (state) {
                case PLAIN -> emit(in, in.readableBytes(), out);
                case CHUNK_HEADER -> {
                    final String header = readLine(in, "chunk header");
                    if (header == null) {
                        return;
                    }
                    startChunk(header);
                }
                case CHUNK_DATA -> {
                    final int length = (int) Math.min(chunkRemaining, in.readableBytes());
                    chunkRemaining -= length;
                    emit(in, length, out);
                    if (chunkRemaining == 0) {
                        state = State.CHUNK_END;
                        chunkEndBytes = 0;
                    }
                }
                case CHUNK_END -> {
                    if (!readChunkEnd(in)) {
                        return;
                    }
                    endChunk(chunkDigest != null ? Signing.hex(chunkDigest.digest()) : Signing.EMPTY_SHA256);
                    state = State.CHUNK_HEADER;
                }
                case TRAILER -> {
                    final String trailer = readLine(in, "trailer");
                    if (trailer == null) {
                        return;
                    }
                    acceptTrailer(trailer);
                }
                case DONE -> {
                    final byte b = in.readByte();
                    if (b != '\r' && b != '\n') {
                        throw malformed("The aws-chunked body continues after its final chunk and trailers; "
                                        + "send exactly one body per request.");
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
    }

    @Override
    public void processOnComplete(StreamDecoderInput in, StreamDecoderOutput<HttpData> out) {
        if (state != State.PLAIN) {
            final boolean trailersEndedAtLineBreak = state == State.TRAILER && lineLength == 0;
            if (state != State.DONE && !trailersEndedAtLineBreak) {
                throw incompleteBody();
            }
            checkDecodedLength();
            checkTrailerSignature();
            checkTrailerChecksums();
        }
        checkDigests();
    }

    private void emit(StreamDecoderInput in, int length, StreamDecoderOutput<HttpData> out) {
        final ByteBuf data = in.readBytes(length);
        for (ByteBuffer buffer : data.nioBuffers()) {
            if (chunkDigest != null) {
                chunkDigest.update(buffer.duplicate());
            }
            for (ChecksumAlgorithm.Running digest : digests.values()) {
                digest.update(buffer.duplicate());
            }
        }
        decodedBytes += length;
        out.add(HttpData.wrap(data));
    }

    /** Reads up to and including CRLF; returns the line without CRLF, or null if the line is incomplete. */
    private @Nullable String readLine(StreamDecoderInput in, String what) {
        while (in.isReadable()) {
            final byte b = in.readByte();
            if (b == '\n') {
                if (lineLength == 0 || line[lineLength - 1] != '\r') {
                    throw malformed("An aws-chunked " + what + " line ends with a bare LF; lines end with CRLF.");
                }
                final String text = new String(line, 0, lineLength - 1, StandardCharsets.ISO_8859_1);
                lineLength = 0;
                return text;
            }
            if (lineLength == MAX_LINE_BYTES - 1) {
                throw malformed("An aws-chunked " + what + " line is longer than " + MAX_LINE_BYTES
                                + " bytes; the body is not aws-chunked or its framing is corrupt.");
            }
            line[lineLength++] = b;
        }
        return null;
    }

    private void startChunk(String header) {
        chunkNumber++;
        final int semicolon = header.indexOf(';');
        final String sizeText = (semicolon < 0 ? header : header.substring(0, semicolon)).strip();
        chunkSize = parseChunkSize(sizeText);
        chunkSignature = null;
        if (semicolon >= 0) {
            for (String extension : header.substring(semicolon + 1).split(";")) {
                final int equals = extension.indexOf('=');
                final String name = (equals < 0 ? extension : extension.substring(0, equals)).strip();
                if (CHUNK_SIGNATURE.equalsIgnoreCase(name) && equals >= 0) {
                    chunkSignature = extension.substring(equals + 1).strip().toLowerCase(Locale.ROOT);
                }
            }
        }
        if (mode.hasChunkSignatures() && (chunkSignature == null || !Signing.isSha256Hex(chunkSignature))) {
            throw forbidden("SignatureDoesNotMatch",
                            "aws-chunked chunk #" + chunkNumber + " carries no valid chunk-signature, but "
                            + "x-amz-content-sha256 is " + mode.headerValue().orElseThrow()
                            + ", which signs every chunk.");
        }
        final long declared = checks.decodedLength();
        if (declared >= 0 && decodedBytes + chunkSize > declared) {
            throw badRequest("InvalidRequest",
                             "The aws-chunked body carries more than the " + declared + " bytes that "
                             + "x-amz-decoded-content-length declares (chunk #" + chunkNumber + " has " + chunkSize
                             + " bytes after " + decodedBytes + ").");
        }
        if (chunkSize == 0) {
            endChunk(Signing.EMPTY_SHA256);
            state = State.TRAILER;
        } else {
            if (chunkDigest != null) {
                chunkDigest.reset();
            }
            chunkRemaining = chunkSize;
            state = State.CHUNK_DATA;
        }
    }

    private long parseChunkSize(String text) {
        if (text.isEmpty() || text.length() > MAX_SIZE_DIGITS) {
            throw malformed("aws-chunked chunk #" + chunkNumber + " has the size '" + text + "'; expected 1 to "
                            + MAX_SIZE_DIGITS + " hex digits.");
        }
        long size = 0;
        for (int i = 0; i < text.length(); i++) {
            final int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                throw malformed("aws-chunked chunk #" + chunkNumber + " has the size '" + text
                                + "', which is not hexadecimal; the body may not be aws-chunked.");
            }
            size = size << 4 | digit;
        }
        return size;
    }

    private boolean readChunkEnd(StreamDecoderInput in) {
        while (chunkEndBytes < 2 && in.isReadable()) {
            final byte expected = chunkEndBytes == 0 ? (byte) '\r' : (byte) '\n';
            if (in.readByte() != expected) {
                throw malformed("aws-chunked chunk #" + chunkNumber + " is not followed by CRLF after its "
                                + chunkSize + " bytes of data; its size does not match its data.");
            }
            chunkEndBytes++;
        }
        return chunkEndBytes == 2;
    }

    private void endChunk(String dataSha256) {
        if (mac == null) {
            return;
        }
        final String stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + '\n' + scope + '\n' + previousSignature
                                    + '\n' + Signing.EMPTY_SHA256 + '\n' + dataSha256;
        final String expected = Signing.signHex(mac, stringToSign);
        final String provided = chunkSignature;
        if (provided == null || !Signing.signaturesMatch(expected, provided)) {
            throw forbidden("SignatureDoesNotMatch",
                            "The signature of aws-chunked chunk #" + chunkNumber + " (" + chunkSize + " bytes) does "
                            + "not match: the body was altered, its chunks reordered, or it was signed with "
                            + "another key.",
                            ImmutableMap.of("ChunkNumber", Long.toString(chunkNumber),
                                            "StringToSign", stringToSign,
                                            "SignatureProvided", String.valueOf(provided)));
        }
        previousSignature = provided;
    }

    private void acceptTrailer(String trailer) {
        if (trailer.isEmpty()) {
            state = State.DONE;
            return;
        }
        if (!mode.hasTrailer()) {
            throw malformed("The aws-chunked body has trailing headers after its final chunk, but "
                            + "x-amz-content-sha256 is " + mode.headerValue().orElseThrow()
                            + "; use a -TRAILER mode to send trailers.");
        }
        final int colon = trailer.indexOf(':');
        if (colon <= 0) {
            throw badRequest("MalformedTrailerError",
                             "The trailing header line '" + trailer + "' is not of the form name:value.");
        }
        final String name = trailer.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        final String value = trailer.substring(colon + 1).strip();
        if (TRAILER_SIGNATURE.equals(name)) {
            if (mode != PayloadMode.STREAMING_SIGNED_TRAILER) {
                throw badRequest("MalformedTrailerError", "x-amz-trailer-signature is only valid with "
                                                          + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.");
            }
            if (trailerSignature != null) {
                throw badRequest("MalformedTrailerError", "x-amz-trailer-signature appears twice.");
            }
            trailerSignature = value.toLowerCase(Locale.ROOT);
            return;
        }
        if (trailers.size() == MAX_TRAILERS) {
            throw badRequest("MalformedTrailerError", "More than " + MAX_TRAILERS + " trailing headers.");
        }
        if (trailers.putIfAbsent(name, value) != null) {
            throw badRequest("MalformedTrailerError", "The trailing header " + name + " appears twice.");
        }
    }

    private void checkDecodedLength() {
        final long declared = checks.decodedLength();
        if (declared >= 0 && decodedBytes != declared) {
            throw badRequest("IncompleteBody",
                             "The aws-chunked body decoded to " + decodedBytes + " bytes, but "
                             + "x-amz-decoded-content-length declares " + declared + '.');
        }
    }

    private void checkTrailerSignature() {
        if (mode != PayloadMode.STREAMING_SIGNED_TRAILER || mac == null) {
            return;
        }
        if (trailers.isEmpty() && trailerSignature == null) {
            return;
        }
        final StringBuilder canonical = new StringBuilder();
        trailers.forEach((name, value) -> canonical.append(name).append(':').append(value).append('\n'));
        final String stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + '\n' + scope + '\n' + previousSignature
                                    + '\n' + Signing.sha256Hex(canonical.toString());
        final String expected = Signing.signHex(mac, stringToSign);
        if (trailerSignature == null || !Signing.signaturesMatch(expected, trailerSignature)) {
            throw forbidden("SignatureDoesNotMatch",
                            trailerSignature == null
                            ? "The aws-chunked body has trailing headers but no x-amz-trailer-signature, which "
                              + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER requires."
                            : "The x-amz-trailer-signature does not match: a trailing header was altered or the "
                              + "body was signed with another key.",
                            ImmutableMap.of("StringToSign", stringToSign,
                                            "SignatureProvided", String.valueOf(trailerSignature)));
        }
    }

    private void checkTrailerChecksums() {
        for (String name : trailers.keySet()) {
            final boolean declared = ChecksumAlgorithm.ofHeader(name)
                                                      .map(checks.trailerChecksums()::contains)
                                                      .orElse(false);
            if (!declared) {
                throw badRequest("MalformedTrailerError",
                                 "The trailing header " + name + " was not declared in x-amz-trailer; declare each "
                                 + "trailing checksum there (x-amz-trailer: " + name + ").");
            }
        }
        for (ChecksumAlgorithm algorithm : checks.trailerChecksums()) {
            final String value = trailers.get(algorithm.headerName());
            if (value == null) {
                throw badRequest("MalformedTrailerError",
                                 "x-amz-trailer declares " + algorithm.headerName() + ", but the aws-chunked body "
                                 + "ended without that trailing header.");
            }
            final byte[] expected = BodyChecks.decodeTrailerValue(algorithm, value);
            if (expected == null) {
                throw badRequest("InvalidRequest", "Value for the trailing header " + algorithm.headerName()
                                                   + " is invalid: expected the base64 of " + algorithm.length()
                                                   + " bytes.");
            }
            checkDigest(algorithm, expected);
        }
    }

    private void checkDigests() {
        if (expectedSha256 != null) {
            final String computed = Signing.hex(result(ChecksumAlgorithm.SHA256));
            if (!computed.equals(expectedSha256)) {
                throw badRequest("XAmzContentSHA256Mismatch",
                                 "The provided 'x-amz-content-sha256' header does not match what was computed: "
                                 + "the body changed in transit or the client hashed different bytes.",
                                 ImmutableMap.of("ClientComputedContentSHA256", expectedSha256,
                                                 "S3ComputedContentSHA256", computed));
            }
        }
        checks.expected().forEach(this::checkDigest);
    }

    private void checkDigest(ChecksumAlgorithm algorithm, byte[] expected) {
        final byte[] computed = result(algorithm);
        if (!MessageDigest.isEqual(computed, expected)) {
            final String message = algorithm == ChecksumAlgorithm.MD5
                                   ? "The Content-MD5 you specified did not match what we received."
                                   : "The " + algorithm.name() + " you specified did not match the calculated "
                                     + "checksum.";
            throw badRequest("BadDigest", message,
                             ImmutableMap.of("Header", algorithm.headerName(),
                                             "ExpectedDigest", Base64.getEncoder().encodeToString(expected),
                                             "CalculatedDigest", Base64.getEncoder().encodeToString(computed)));
        }
    }

    private byte[] result(ChecksumAlgorithm algorithm) {
        return results.computeIfAbsent(algorithm, key -> digests.get(key).finish());
    }

    private S3AuthException incompleteBody() {
        final String where = switch (state) {
            case CHUNK_HEADER -> "before the header of chunk #" + (chunkNumber + 1) + " was complete";
            case CHUNK_DATA -> "inside chunk #" + chunkNumber + ", " + chunkRemaining + " of its " + chunkSize
                               + " bytes missing";
            case CHUNK_END -> "before the CRLF that ends chunk #" + chunkNumber;
            default -> "inside the trailing headers";
        };
        return badRequest("IncompleteBody",
                          "The aws-chunked body ended " + where + " (" + decodedBytes + " bytes decoded); the "
                          + "request was cut short.");
    }

    private static S3AuthException malformed(String message) {
        return badRequest("InvalidRequest", message);
    }
}
