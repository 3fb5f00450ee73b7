package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.Bodies.failure;
import static io.meridian.node.s3.auth.Bodies.randomBytes;
import static io.meridian.node.s3.auth.Bodies.readAll;
import static io.meridian.node.s3.auth.Bodies.signatureOf;
import static io.meridian.node.s3.auth.ReferenceClient.SECRET;
import static io.meridian.node.s3.auth.ReferenceClient.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.meridian.node.s3.auth.ReferenceClient.Options;
import io.meridian.node.s3.auth.ReferenceClient.Signed;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

class AwsChunkedBodyTest {

    /** The seed of every random split and payload here; rerun with -Dmeridian.test.seed=N to repeat a run. */
    static final long SEED = Long.getLong("meridian.test.seed", System.nanoTime());
    private static final int SDK_CHUNK = 128 * 1024;

    private final SigV4Verifier verifier = ReferenceClient.verifier();

    @BeforeAll
    static void printSeed() {
        System.out.println("AwsChunkedBodyTest seed=" + SEED + " (rerun with -Dmeridian.test.seed=" + SEED + ")");
    }

    static Stream<Arguments> sdkBodies() {
        final List<Arguments> arguments = new ArrayList<>();
        for (int size : new int[] { 0, 1, 1000, SDK_CHUNK - 1, SDK_CHUNK, SDK_CHUNK + 1, 2 * SDK_CHUNK, 300_000 }) {
            for (String mode : List.of("signed", "signed-trailer", "unsigned-trailer")) {
                arguments.add(Arguments.of(size, mode));
            }
        }
        return arguments.stream();
    }

    private static Options options(String mode) {
        return switch (mode) {
            case "signed" -> Options.streamingSigned();
            case "signed-trailer" -> Options.streamingSignedTrailer(DefaultChecksumAlgorithm.CRC32);
            case "unsigned-trailer" -> Options.streamingUnsignedTrailer(DefaultChecksumAlgorithm.CRC32);
            default -> throw new IllegalArgumentException(mode);
        };
    }

    private static Signed put(byte[] data, Options options) {
        return sign(SdkHttpMethod.PUT, "/bucket/object", List.of(), Map.of(), data, options);
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("sdkBodies")
    void sdkEncodedBodiesDecodeWhateverTheSplit(int size, String mode) throws Exception {
        final Random random = new Random(SEED + size * 31L + mode.hashCode());
        final byte[] data = randomBytes(random, size);
        final Signed signed = put(data, options(mode));
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(auth.payloadMode().isAwsChunked()).isTrue();

        final List<Integer> maxPieces = new ArrayList<>(List.of(7, 1000, 70_000, Integer.MAX_VALUE - 1));
        if (signed.wireBody().length <= 20_000) {
            maxPieces.add(1);
        }
        for (int maxPiece : maxPieces) {
            final byte[] decoded = readAll(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                 signed.body(random, maxPiece)));
            assertThat(decoded).as("pieces of at most %d bytes, seed %d", maxPiece, SEED).isEqualTo(data);
        }
    }

    /** One byte at a time, and many random splits, for every body: slow, so in the soak profile. */
    @Tag("soak")
    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("sdkBodies")
    void sdkEncodedBodiesDecodeOneByteAtATime(int size, String mode) throws Exception {
        final Random random = new Random(SEED + size * 31L + mode.hashCode());
        final byte[] data = randomBytes(random, size);
        final Signed signed = put(data, options(mode));
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(random, 1))))
                .as("one byte at a time, seed %d", SEED).isEqualTo(data);
        for (int round = 0; round < 20; round++) {
            final int maxPiece = 1 + random.nextInt(300);
            assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(random, maxPiece))))
                    .as("round %d, pieces of at most %d bytes, seed %d", round, maxPiece, SEED).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "CRC32", "CRC32C", "SHA1", "SHA256" })
    void everyTrailerChecksumTheSdkSendsVerifies(String algorithm) throws Exception {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 200_000);
        for (Options options : List.of(Options.streamingSignedTrailer(DefaultChecksumAlgorithm.fromValue(algorithm)),
                                       Options.streamingUnsignedTrailer(
                                               DefaultChecksumAlgorithm.fromValue(algorithm)))) {
            final Signed signed = put(data, options);
            assertThat(signed.request().header("x-amz-trailer"))
                    .isEqualTo("x-amz-checksum-" + algorithm.toLowerCase());
            final AuthResult auth = verifier.verify(signed.request());
            assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(random, 5000))))
                    .isEqualTo(data);

            final byte[] wire = signed.wireBody().clone();
            wire[wireOffsetOfData(wire, 150_000)] ^= 1;
            final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                    signed.withWireBody(wire).body(random, 5000)));
            assertThat(e.code()).isEqualTo(options.payloadSigning() ? "SignatureDoesNotMatch" : "BadDigest");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, SDK_CHUNK, 300_000 })
    void testEncoderMatchesTheSdkByteForByte(int size) {
        final byte[] data = randomBytes(new Random(SEED), size);
        final Signed signed = put(data, Options.streamingSigned());
        final AwsChunkedEncoder encoder = AwsChunkedEncoder.signed(SECRET, signed.request().header("x-amz-date"),
                                                                   ReferenceClient.REGION,
                                                                   signatureOf(signed.request()));
        assertThat(encoder.encode(data, SDK_CHUNK, null, null)).isEqualTo(signed.wireBody());

        final Signed trailer = put(data, Options.streamingSignedTrailer(DefaultChecksumAlgorithm.CRC32));
        final AwsChunkedEncoder trailerEncoder =
                AwsChunkedEncoder.signed(SECRET, trailer.request().header("x-amz-date"), ReferenceClient.REGION,
                                         signatureOf(trailer.request()));
        assertThat(trailerEncoder.encode(data, SDK_CHUNK, "x-amz-checksum-crc32", checksum(new CRC32(), data)))
                .isEqualTo(trailer.wireBody());

        final Signed unsigned = put(data, Options.streamingUnsignedTrailer(DefaultChecksumAlgorithm.CRC32));
        assertThat(AwsChunkedEncoder.unsigned().encode(data, SDK_CHUNK, "x-amz-checksum-crc32",
                                                       checksum(new CRC32(), data)))
                .isEqualTo(unsigned.wireBody());
    }

    static Stream<Arguments> chunkSizes() {
        final List<Arguments> arguments = new ArrayList<>();
        for (int chunkSize : new int[] { 1, 8192, 65_536, 100_000 }) {
            for (int size : new int[] { 0, 17, 3 * 8192, 2 * 65_536, 100_001 }) {
                if ((long) size / chunkSize <= 30_000) {
                    arguments.add(Arguments.of(chunkSize, size));
                }
            }
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "chunks of {0}, {1} bytes")
    @MethodSource("chunkSizes")
    void otherChunkSizesDecode(int chunkSize, int size) throws Exception {
        final Random random = new Random(SEED ^ chunkSize ^ size);
        final byte[] data = randomBytes(random, size);

        final Signed signed = put(data, Options.streamingSigned());
        final byte[] rechunked = encoderFor(signed).encode(data, chunkSize, null, null);
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(readAll(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                 signed.withWireBody(rechunked).body(random, 9000))))
                .as("seed %d", SEED).isEqualTo(data);

        final Signed trailer = put(data, Options.streamingSignedTrailer(DefaultChecksumAlgorithm.CRC32C));
        final byte[] rechunkedTrailer = encoderFor(trailer).encode(data, chunkSize, "x-amz-checksum-crc32c",
                                                                   checksum(new CRC32C(), data));
        final AuthResult trailerAuth = verifier.verify(trailer.request());
        assertThat(readAll(verifier.verifiedBody(trailerAuth, trailer.httpHeaders(),
                                                 trailer.withWireBody(rechunkedTrailer).body(random, 9000))))
                .as("seed %d", SEED).isEqualTo(data);
    }

    @Test
    void crc64nvmeTrailerVerifies() throws Exception {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 50_000);
        final Signed signed = put(data, Options.streamingSignedTrailer(DefaultChecksumAlgorithm.CRC32));
        final AuthResult auth = verifier.verify(signed.request());
        final Signed crc64 = signed.withHeader("x-amz-trailer", "x-amz-checksum-crc64nvme");
        final byte[] body = encoderFor(signed).encode(data, 16_384, "x-amz-checksum-crc64nvme",
                                                      checksum(new Crc64Nvme(), data));
        assertThat(readAll(verifier.verifiedBody(auth, crc64.httpHeaders(),
                                                 crc64.withWireBody(body).body(random, 3000))))
                .isEqualTo(data);

        final byte[] wrong = encoderFor(signed).encode(data, 16_384, "x-amz-checksum-crc64nvme",
                                                       checksum(new Crc64Nvme(), new byte[1]));
        final S3AuthException e = failure(verifier.verifiedBody(auth, crc64.httpHeaders(),
                                                                crc64.withWireBody(wrong).body(random, 3000)));
        assertThat(e.code()).isEqualTo("BadDigest");
        assertThat(e.getMessage()).contains("CRC64NVME");
    }

    @ParameterizedTest
    @ValueSource(strings = { "signed", "signed-trailer", "unsigned-trailer" })
    void aChangedByteInAChunkIsCaught(String mode) {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 300_000);
        final Signed signed = put(data, options(mode));
        final AuthResult auth = verifier.verify(signed.request());
        for (int target : new int[] { 0, 131_071, 131_072, 299_999 }) {
            final byte[] wire = signed.wireBody().clone();
            wire[wireOffsetOfData(wire, target)] ^= 0x20;
            final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                    signed.withWireBody(wire).body(random, 4096)));
            if (mode.startsWith("signed")) {
                assertThat(e.code()).isEqualTo("SignatureDoesNotMatch");
                assertThat(e.status().code()).isEqualTo(403);
                assertThat(e.getMessage()).contains("chunk #" + (target / SDK_CHUNK + 1));
            } else {
                assertThat(e.code()).isEqualTo("BadDigest");
                assertThat(e.getMessage()).contains("CRC32");
            }
        }
    }

    @Test
    void reorderedChunksAreCaught() {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 4 * 8192);
        final Signed signed = put(data, Options.streamingSigned());
        final byte[] wire = encoderFor(signed).encode(data, 8192, null, null);
        final byte[] headerLine = "2000;chunk-signature=".getBytes(StandardCharsets.US_ASCII);
        final int first = indexOf(wire, headerLine, 0);
        final int second = indexOf(wire, headerLine, first + 1);
        final int third = indexOf(wire, headerLine, second + 1);
        assertThat(second - first).isEqualTo(third - second);
        final byte[] swapped = wire.clone();
        System.arraycopy(wire, second, swapped, first, second - first);
        System.arraycopy(wire, first, swapped, second, second - first);

        final AuthResult auth = verifier.verify(signed.request());
        final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                signed.withWireBody(swapped).body(random, 999)));
        assertThat(e.code()).isEqualTo("SignatureDoesNotMatch");
        assertThat(e.getMessage()).contains("chunk #1");
    }

    @Test
    void aBodyEncodedWithAnotherSecretIsCaught() {
        final byte[] data = randomBytes(new Random(SEED), 10_000);
        final Signed signed = put(data, Options.streamingSigned());
        final byte[] forged = AwsChunkedEncoder.signed("not-the-secret", signed.request().header("x-amz-date"),
                                                       ReferenceClient.REGION, signatureOf(signed.request()))
                                               .encode(data, 4096, null, null);
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                 signed.withWireBody(forged).body(new Random(SEED), 100))).code())
                .isEqualTo("SignatureDoesNotMatch");
    }

    @Test
    void aWrongTrailerChecksumIsCaught() {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 70_000);
        final String wrongCrc = checksum(new CRC32(), "something else".getBytes(StandardCharsets.UTF_8));

        // Signed trailer whose signature is right but whose checksum is wrong: the checksum check catches it.
        final Signed signed = put(data, Options.streamingSignedTrailer(DefaultChecksumAlgorithm.CRC32));
        final byte[] wrongButSigned = encoderFor(signed).encode(data, 8192, "x-amz-checksum-crc32", wrongCrc);
        final AuthResult auth = verifier.verify(signed.request());
        final S3AuthException badDigest = failure(verifier.verifiedBody(
                auth, signed.httpHeaders(), signed.withWireBody(wrongButSigned).body(random, 1000)));
        assertThat(badDigest.code()).isEqualTo("BadDigest");
        assertThat(badDigest.getMessage()).isEqualTo("The CRC32 you specified did not match the calculated checksum.");

        // The SDK's body with its trailer value replaced: the trailer signature no longer matches.
        final byte[] replaced = replaceTrailerValue(signed.wireBody(), "x-amz-checksum-crc32:", wrongCrc);
        assertThat(failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                 signed.withWireBody(replaced).body(random, 1000))).code())
                .isEqualTo("SignatureDoesNotMatch");

        final Signed unsigned = put(data, Options.streamingUnsignedTrailer(DefaultChecksumAlgorithm.CRC32));
        final AuthResult unsignedAuth = verifier.verify(unsigned.request());
        final byte[] unsignedWrong = replaceTrailerValue(unsigned.wireBody(), "x-amz-checksum-crc32:", wrongCrc);
        assertThat(failure(verifier.verifiedBody(unsignedAuth, unsigned.httpHeaders(),
                                                 unsigned.withWireBody(unsignedWrong).body(random, 1000))).code())
                .isEqualTo("BadDigest");
    }

    @ParameterizedTest
    @ValueSource(strings = { "signed", "signed-trailer", "unsigned-trailer" })
    void aTruncatedBodyNeverCompletes(String mode) {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 140_000);
        final Signed signed = put(data, options(mode));
        final AuthResult auth = verifier.verify(signed.request());
        final byte[] wire = signed.wireBody();
        final int finalChunk = lastIndexOf(wire, (mode.startsWith("signed") ? "\r\n0;" : "\r\n0\r\n")
                .getBytes(StandardCharsets.US_ASCII)) + 2;
        final List<Integer> cuts = new ArrayList<>(List.of(0, 1, 5, 90, 131_000, finalChunk - 2, finalChunk - 1,
                                                           finalChunk, finalChunk + 1));
        for (int i = 0; i < 20; i++) {
            cuts.add(random.nextInt(finalChunk + 2));
        }
        for (int cut : cuts) {
            final Signed truncated = signed.withWireBody(Arrays.copyOf(wire, cut));
            final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                    truncated.body(random, 5000)));
            assertThat(e.code()).as("cut at %d of %d, seed %d", cut, wire.length, SEED).isEqualTo("IncompleteBody");
        }
        if (mode.endsWith("trailer")) {
            final int trailerStart = indexOf(wire, "x-amz-checksum-crc32:".getBytes(StandardCharsets.US_ASCII), 0);
            final Signed noTrailer = signed.withWireBody(Arrays.copyOf(wire, trailerStart));
            assertThat(failure(verifier.verifiedBody(auth, signed.httpHeaders(), noTrailer.body(random, 50)))
                               .code()).isEqualTo("MalformedTrailerError");
        }
    }

    @Test
    void decodedLengthMustMatch() throws Exception {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 20_000);
        final Signed signed = put(data, Options.streamingSigned());
        final AuthResult auth = verifier.verify(signed.request());
        assertThat(failure(verifier.verifiedBody(auth, signed.withHeader("x-amz-decoded-content-length", "20001")
                                                             .httpHeaders(), signed.body(random, 100))).code())
                .isEqualTo("IncompleteBody");
        assertThat(failure(verifier.verifiedBody(auth, signed.withHeader("x-amz-decoded-content-length", "19999")
                                                             .httpHeaders(), signed.body(random, 100))).code())
                .isEqualTo("InvalidRequest");
        assertThatThrownBy(() -> verifier.verifiedBody(auth, signed.withHeader("x-amz-decoded-content-length",
                                                                               "lots").httpHeaders(),
                                                       signed.body(random, 100)))
                .isInstanceOfSatisfying(S3AuthException.class, e -> assertThat(e.code()).isEqualTo("InvalidArgument"));
        final Signed withoutLength = signed.withoutHeader("x-amz-decoded-content-length");
        assertThat(readAll(verifier.verifiedBody(auth, withoutLength.httpHeaders(), signed.body(random, 100))))
                .isEqualTo(data);
    }

    static Stream<Arguments> malformedBodies() {
        final String sig = "0".repeat(64);
        return Stream.of(
                Arguments.of("unsigned-trailer", "zz\r\nab\r\n0\r\n\r\n", "InvalidRequest", "not hexadecimal"),
                Arguments.of("unsigned-trailer", "1234567890abcdef0\r\n", "InvalidRequest", "hex digits"),
                Arguments.of("unsigned-trailer", "a".repeat(5000), "InvalidRequest", "longer than 4096 bytes"),
                Arguments.of("unsigned-trailer", "2\nab\r\n0\r\n\r\n", "InvalidRequest", "bare LF"),
                Arguments.of("unsigned-trailer", "2\r\nabc\r\n0\r\n\r\n", "InvalidRequest", "not followed by CRLF"),
                Arguments.of("unsigned-trailer", "2\r\nab\r\n0\r\n\r\nGET / HTTP/1.1", "InvalidRequest",
                             "continues after"),
                Arguments.of("unsigned-trailer", "2\r\nab\r\n0\r\nx-amz-meta-x:1\r\n\r\n", "MalformedTrailerError",
                             "not declared"),
                Arguments.of("unsigned-trailer", "2\r\nab\r\n0\r\nno colon\r\n\r\n", "MalformedTrailerError",
                             "name:value"),
                Arguments.of("unsigned-trailer", "", "IncompleteBody", "chunk #1"),
                Arguments.of("signed", "2\r\nab\r\n0\r\n\r\n", "SignatureDoesNotMatch", "no valid chunk-signature"),
                Arguments.of("signed", "2;chunk-signature=xyz\r\nab\r\n", "SignatureDoesNotMatch",
                             "no valid chunk-signature"),
                Arguments.of("signed", "2;chunk-signature=" + sig + "\r\nab\r\n", "SignatureDoesNotMatch",
                             "chunk #1"));
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("malformedBodies")
    void malformedFramingIsRejected(String mode, String wire, String code, String messagePart) {
        final Signed signed = put(new byte[2], options(mode));
        final AuthResult auth = verifier.verify(signed.request());
        final Signed malformed = signed.withWireBody(wire.getBytes(StandardCharsets.ISO_8859_1))
                                       .withHeader("x-amz-decoded-content-length", "2");
        for (int maxPiece : new int[] { 1, 3, 10_000 }) {
            final S3AuthException e = failure(verifier.verifiedBody(auth, malformed.httpHeaders(),
                                                                    malformed.body(new Random(SEED), maxPiece)));
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messagePart);
        }
    }

    @Test
    void trailersNeedATrailerMode() {
        final Signed signed = put(new byte[2], Options.streamingSigned());
        final AuthResult auth = verifier.verify(signed.request());
        final String crc = checksum(new CRC32(), new byte[2]);
        final byte[] body = encoderFor(signed).encode(new byte[2], 2, "x-amz-checksum-crc32", crc);
        final S3AuthException e = failure(verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                signed.withWireBody(body).body(new Random(SEED), 7)));
        assertThat(e.code()).isEqualTo("InvalidRequest");
        assertThat(e.getMessage()).contains("-TRAILER");
        assertThatThrownBy(() -> verifier.verifiedBody(auth, signed.withHeader("x-amz-trailer", "x-amz-checksum-crc32")
                                                                   .httpHeaders(), signed.body(new Random(1), 7)))
                .isInstanceOfSatisfying(S3AuthException.class, x -> assertThat(x.code()).isEqualTo("InvalidRequest"));
    }

    @Test
    void anUnsupportedTrailerIsRefusedBeforeReading() {
        final Signed signed = put(new byte[2], Options.streamingUnsignedTrailer(DefaultChecksumAlgorithm.CRC32))
                .withHeader("x-amz-trailer", "x-amz-checksum-xxhash64");
        final AuthResult auth = verifier.verify(put(new byte[2], Options.streamingUnsignedTrailer(
                DefaultChecksumAlgorithm.CRC32)).request());
        assertThatThrownBy(() -> verifier.verifiedBody(auth, signed.httpHeaders(), signed.body(new Random(1), 7)))
                .isInstanceOfSatisfying(S3AuthException.class, e -> {
                    assertThat(e.code()).isEqualTo("InvalidRequest");
                    assertThat(e.getMessage()).contains("x-amz-checksum-xxhash64", "x-amz-checksum-crc64nvme");
                });
    }

    @Test
    void readsNoFurtherAheadThanDemanded() {
        final Random random = new Random(SEED);
        final byte[] data = randomBytes(random, 64 * 1024);
        final Signed signed = put(data, Options.streamingSigned());
        final byte[] wire = encoderFor(signed).encode(data, 1024, null, null);
        final AuthResult auth = verifier.verify(signed.request());
        final AtomicInteger pulled = new AtomicInteger();
        final StreamMessage<HttpData> upstream = ReferenceClient.pieces(wire, random, 100)
                                                                .peek(piece -> pulled.incrementAndGet());
        final StreamMessage<HttpData> body = verifier.verifiedBody(auth, signed.httpHeaders(), upstream);
        final List<HttpData> received = new ArrayList<>();
        final Subscription[] subscription = new Subscription[1];
        body.subscribe(new Subscriber<HttpData>() {
            @Override
            public void onSubscribe(Subscription s) {
                subscription[0] = s;
                s.request(1);
            }

            @Override
            public void onNext(HttpData data) {
                received.add(data);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onComplete() {}
        }, ImmediateEventExecutor.INSTANCE);

        assertThat(received).hasSize(1);
        assertThat(pulled.get()).as("pieces pulled for one element of demand, seed %d", SEED).isLessThan(5);
        subscription[0].request(3);
        assertThat(received).hasSize(4);
        assertThat(pulled.get()).isLessThan(10);
        subscription[0].cancel();
        received.forEach(HttpData::close);
    }

    @Test
    void theStreamFailsInsteadOfCompletingWhenTheLastCheckFails() {
        final byte[] data = randomBytes(new Random(SEED), 1000);
        final Signed signed = put(data, Options.streamingUnsignedTrailer(DefaultChecksumAlgorithm.CRC32));
        final AuthResult auth = verifier.verify(signed.request());
        final byte[] wrong = replaceTrailerValue(signed.wireBody(), "x-amz-checksum-crc32:",
                                                 checksum(new CRC32(), new byte[3]));
        final StreamMessage<HttpData> body = verifier.verifiedBody(auth, signed.httpHeaders(),
                                                                   StreamMessage.of(HttpData.wrap(wrong)));
        assertThatThrownBy(() -> body.collect().join())
                .satisfies(t -> assertThat(S3AuthException.findIn(t).map(S3AuthException::code)).hasValue("BadDigest"));
    }

    private static AwsChunkedEncoder encoderFor(Signed signed) {
        return AwsChunkedEncoder.signed(SECRET, signed.request().header("x-amz-date"), ReferenceClient.REGION,
                                        signatureOf(signed.request()));
    }

    static String checksum(Checksum checksum, byte[] data) {
        checksum.update(data, 0, data.length);
        final int length = checksum instanceof Crc64Nvme ? 8 : 4;
        final byte[] bytes = new byte[length];
        final long value = checksum.getValue();
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (value >>> 8 * (length - 1 - i));
        }
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Returns where byte {@code dataOffset} of the decoded data sits in an SDK-encoded (128 KiB) body. */
    private static int wireOffsetOfData(byte[] wire, int dataOffset) {
        int position = 0;
        int remaining = dataOffset;
        while (true) {
            final int lineEnd = indexOf(wire, new byte[] { '\r', '\n' }, position);
            final String header = new String(wire, position, lineEnd - position, StandardCharsets.US_ASCII);
            final int size = Integer.parseInt(header.split(";")[0], 16);
            if (remaining < size) {
                return lineEnd + 2 + remaining;
            }
            remaining -= size;
            position = lineEnd + 2 + size + 2;
        }
    }

    private static byte[] replaceTrailerValue(byte[] wire, String prefix, String value) {
        final int start = indexOf(wire, prefix.getBytes(StandardCharsets.US_ASCII), 0) + prefix.length();
        final int end = indexOf(wire, new byte[] { '\r', '\n' }, start);
        final byte[] replacement = value.getBytes(StandardCharsets.US_ASCII);
        final byte[] result = new byte[wire.length - (end - start) + replacement.length];
        System.arraycopy(wire, 0, result, 0, start);
        System.arraycopy(replacement, 0, result, start, replacement.length);
        System.arraycopy(wire, end, result, start + replacement.length, wire.length - end);
        return result;
    }

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        int found = -1;
        int at = indexOf(haystack, needle, 0);
        while (at >= 0) {
            found = at;
            at = indexOf(haystack, needle, at + 1);
        }
        return found;
    }
}
