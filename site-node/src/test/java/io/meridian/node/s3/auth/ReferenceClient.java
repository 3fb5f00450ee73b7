package io.meridian.node.s3.auth;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.ListMultimap;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.stream.StreamMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs requests with the AWS SDK for Java v2 signer, the reference client of these tests, and turns what it
 * produces into what the verifier sees on the server.
 */
final class ReferenceClient {

    static final String ACCESS_KEY = "AKIDMERIDIANTEST0001";
    static final String SECRET = "wJalr/K7MDENG+bPxRfiCY=secret";
    static final String REGION = "us-east-1";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private ReferenceClient() {}

    /** Returns a verifier that knows {@link #ACCESS_KEY}, accepts {@code us-east-1} and {@code eu-site-2}. */
    static SigV4Verifier verifier(Instant now) {
        return new SigV4Verifier(id -> ACCESS_KEY.equals(id) ? Optional.of(SECRET) : Optional.empty(),
                                 SigV4Verifier.regions(List.of(REGION, "eu-site-2")),
                                 Clock.fixed(now, ZoneOffset.UTC));
    }

    static SigV4Verifier verifier() {
        return verifier(NOW);
    }

    /** How to sign. */
    record Options(boolean payloadSigning, boolean chunked, @Nullable ChecksumAlgorithm checksum, String region,
                   String service, String secret, Instant time, boolean https) {

        static Options signedPayload() {
            return new Options(true, false, null, REGION, "s3", SECRET, NOW, false);
        }

        static Options unsignedPayload() {
            return new Options(false, false, null, REGION, "s3", SECRET, NOW, true);
        }

        static Options streamingSigned() {
            return new Options(true, true, null, REGION, "s3", SECRET, NOW, false);
        }

        static Options streamingSignedTrailer(ChecksumAlgorithm checksum) {
            return new Options(true, true, checksum, REGION, "s3", SECRET, NOW, false);
        }

        static Options streamingUnsignedTrailer(ChecksumAlgorithm checksum) {
            return new Options(false, true, checksum, REGION, "s3", SECRET, NOW, true);
        }

        Options withChecksum(ChecksumAlgorithm algorithm) {
            return new Options(payloadSigning, chunked, algorithm, region, service, secret, time, https);
        }

        Options withRegion(String newRegion) {
            return new Options(payloadSigning, chunked, checksum, newRegion, service, secret, time, https);
        }

        Options withService(String newService) {
            return new Options(payloadSigning, chunked, checksum, region, newService, secret, time, https);
        }

        Options withSecret(String newSecret) {
            return new Options(payloadSigning, chunked, checksum, region, service, newSecret, time, https);
        }

        Options at(Instant newTime) {
            return new Options(payloadSigning, chunked, checksum, region, service, secret, newTime, https);
        }
    }

    /** A signed request as the server receives it, and the body bytes on the wire. */
    record Signed(SignedRequest request, byte @Nullable [] wireBody) {

        HttpHeaders httpHeaders() {
            final HttpHeadersBuilder builder = HttpHeaders.builder();
            request.headers().forEach(builder::add);
            return builder.build();
        }

        /** Returns the wire body as a stream, split into pieces of random sizes up to {@code maxPiece}. */
        StreamMessage<HttpData> body(Random random, int maxPiece) {
            return pieces(wireBody == null ? new byte[0] : wireBody, random, maxPiece);
        }

        Signed withHeader(String name, String value) {
            return withHeaders(name, List.of(value));
        }

        Signed withoutHeader(String name) {
            return withHeaders(name, List.of());
        }

        private Signed withHeaders(String name, List<String> values) {
            final ImmutableListMultimap.Builder<String, String> headers = ImmutableListMultimap.builder();
            request.headers().forEach((n, v) -> {
                if (!n.equals(name)) {
                    headers.put(n, v);
                }
            });
            values.forEach(value -> headers.put(name, value));
            return withRequest(new SignedRequest(request.method(), request.rawPath(), request.rawQuery(),
                                                 headers.build()));
        }

        Signed withRequest(SignedRequest newRequest) {
            return new Signed(newRequest, wireBody);
        }

        Signed withWireBody(byte[] body) {
            return new Signed(request, body);
        }
    }

    static StreamMessage<HttpData> pieces(byte[] bytes, Random random, int maxPiece) {
        final List<HttpData> pieces = new ArrayList<>();
        int offset = 0;
        while (offset < bytes.length) {
            final int length = Math.min(bytes.length - offset, 1 + random.nextInt(maxPiece));
            pieces.add(HttpData.copyOf(bytes, offset, length));
            offset += length;
        }
        return StreamMessage.of(pieces.toArray(new HttpData[0]));
    }

    /**
     * Signs a request to {@code localhost:9001} (or {@code https://localhost} when the options say HTTPS).
     *
     * @param encodedPath the path as the client sends it (already percent-encoded)
     * @param query raw (unencoded) query parameters, in order; a {@code null} value means {@code ?name}
     */
    static Signed sign(SdkHttpMethod method, String encodedPath, List<Map.Entry<String, @Nullable String>> query,
                       Map<String, String> headers, byte @Nullable [] body, Options options) {
        return sign(method, encodedPath, query, ImmutableListMultimap.copyOf(headers.entrySet()), body, options);
    }

    /** Signs a request whose headers may repeat; otherwise as the other {@code sign}. */
    static Signed sign(SdkHttpMethod method, String encodedPath, List<Map.Entry<String, @Nullable String>> query,
                       ListMultimap<String, String> headers, byte @Nullable [] body, Options options) {
        final SdkHttpRequest.Builder builder = SdkHttpRequest.builder()
                                                             .method(method)
                                                             .protocol(options.https() ? "https" : "http")
                                                             .host("localhost")
                                                             .port(options.https() ? 443 : 9001)
                                                             .encodedPath(encodedPath);
        for (Map.Entry<String, @Nullable String> parameter : query) {
            builder.appendRawQueryParameter(parameter.getKey(), parameter.getValue());
        }
        headers.forEach(builder::appendHeader);
        if (body != null) {
            builder.putHeader("Content-Length", Integer.toString(body.length));
        }
        final SdkHttpRequest request = builder.build();
        final Consumer<SignRequest.Builder<AwsCredentialsIdentity>> properties = r -> {
            r.identity(AwsCredentialsIdentity.create(ACCESS_KEY, options.secret()))
             .request(request)
             .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, options.service())
             .putProperty(AwsV4HttpSigner.REGION_NAME, options.region())
             .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
             .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
             .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, options.payloadSigning())
             .putProperty(AwsV4HttpSigner.CHUNK_ENCODING_ENABLED, options.chunked())
             .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(options.time(), ZoneOffset.UTC));
            if (body != null) {
                r.payload(ContentStreamProvider.fromByteArray(body));
            }
            if (options.checksum() != null) {
                r.putProperty(AwsV4HttpSigner.CHECKSUM_ALGORITHM, options.checksum());
            }
        };
        final var signed = AwsV4HttpSigner.create().sign(properties);
        final byte[] wireBody = signed.payload().map(ReferenceClient::readAll).orElse(null);
        return new Signed(received(signed.request()), wireBody);
    }

    /** Returns what a server receives for a request the SDK built. */
    static SignedRequest received(SdkHttpRequest request) {
        final ImmutableListMultimap.Builder<String, String> headers = ImmutableListMultimap.builder();
        request.forEachHeader((name, values) -> values.forEach(v -> headers.put(name.toLowerCase(Locale.ROOT), v)));
        if (request.firstMatchingHeader("Host").isEmpty()) {
            final boolean standardPort = request.port() == 443 && "https".equals(request.protocol())
                                         || request.port() == 80 && "http".equals(request.protocol());
            headers.put("host", standardPort ? request.host() : request.host() + ':' + request.port());
        }
        return new SignedRequest(request.method().name(), request.encodedPath(),
                                 request.encodedQueryParameters().orElse(null), headers.build());
    }

    static byte[] readAll(ContentStreamProvider provider) {
        try (InputStream in = provider.newStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
