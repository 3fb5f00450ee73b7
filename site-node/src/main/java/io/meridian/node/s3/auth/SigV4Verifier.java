package io.meridian.node.s3.auth;

import static io.meridian.node.s3.auth.S3AuthException.badRequest;
import static io.meridian.node.s3.auth.S3AuthException.forbidden;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.stream.StreamMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * Verifies AWS Signature Version 4 on S3 requests the way Amazon S3 does, so that unmodified S3 clients
 * (AWS SDKs, awscli, s3cmd, rclone, {@code curl --aws-sigv4}) authenticate.
 *
 * <p>Accepts the {@code Authorization} header ({@code AWS4-HMAC-SHA256}) and presigned URLs
 * ({@code X-Amz-Algorithm} and friends in the query), service {@code s3}, in the regions the verifier was
 * given. {@link #verify} checks everything the request line and headers carry; {@link #verifiedBody} then
 * checks the body as it streams (aws-chunked chunk signatures, trailers, {@code x-amz-content-sha256},
 * {@code Content-MD5} and {@code x-amz-checksum-*}).
 *
 * <p>Thread-safe. Time comes from the injected {@link Clock}; requests more than {@link #MAX_SKEW} away from
 * it are refused, as S3 does.
 */
public final class SigV4Verifier {

    /** How far a header-signed request's time may be from the clock. */
    public static final Duration MAX_SKEW = Duration.ofMinutes(15);
    /** The longest validity of a presigned URL, in seconds (7 days). */
    public static final long MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

    private static final int SIGNING_KEY_CACHE_SIZE = 1024;
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String CONTENT_SHA256 = "x-amz-content-sha256";
    private static final String SIGV4_ONLY =
            "Meridian accepts only AWS Signature Version 4 (AWS4-HMAC-SHA256); configure the client for SigV4 "
            + "(s3cmd: signature_v2 = False; boto3: Config(signature_version='s3v4'); rclone: v2_auth = false).";

    private final Function<String, Optional<String>> secrets;
    private final Predicate<String> acceptedRegions;
    private final Clock clock;
    private final SigningKeyCache signingKeys = new SigningKeyCache(SIGNING_KEY_CACHE_SIZE);

    /**
     * Creates a verifier.
     *
     * @param secrets looks up the secret of an access key id; empty for unknown (or disabled) keys. Called on
     *     the verifying thread, so it must not block.
     * @param acceptedRegions the credential-scope regions to accept; pass {@link #regions} so that errors can
     *     name them
     * @param clock the wall clock that request times and presigned expiry are checked against
     */
    public SigV4Verifier(Function<String, Optional<String>> secrets, Predicate<String> acceptedRegions,
                         Clock clock) {
        this.secrets = requireNonNull(secrets, "secrets");
        this.acceptedRegions = requireNonNull(acceptedRegions, "acceptedRegions");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Returns a predicate accepting exactly {@code names}, which error messages list (for example
     * {@code regions(List.of("us-east-1", "eu-west-3"))}).
     */
    public static Predicate<String> regions(Collection<String> names) {
        return new RegionSet(ImmutableSet.copyOf(names));
    }

    /**
     * Verifies the signature of {@code request}.
     *
     * @return who signed it and how its body is protected
     * @throws S3AuthException if the request is unsigned, signed with anything but SigV4, malformed, outside
     *     the time window, expired, scoped to another region or service, signed with an unknown key, or if
     *     the signature does not match
     */
    public AuthResult verify(SignedRequest request) throws S3AuthException {
        requireNonNull(request, "request");
        final String authorization = request.header("authorization");
        final List<Map.Entry<String, String>> parameters = CanonicalRequests.parameters(request.rawQuery());
        final String algorithm = parameter(parameters, "X-Amz-Algorithm");
        if (authorization != null) {
            if (algorithm != null) {
                throw badRequest("InvalidArgument",
                                 "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
                                 + "the Authorization header should be specified.");
            }
            return verifyHeaderAuth(request, authorization.strip());
        }
        if (algorithm != null) {
            return verifyPresigned(request, parameters, algorithm);
        }
        if (parameter(parameters, "AWSAccessKeyId") != null || parameter(parameters, "Signature") != null) {
            throw badRequest("InvalidRequest", "This presigned URL uses Signature Version 2, which is not "
                                               + "supported. " + SIGV4_ONLY);
        }
        throw forbidden("AccessDenied",
                        "Access Denied: the request is not signed. Sign it with AWS Signature Version 4 "
                        + "(AWS4-HMAC-SHA256, service s3) using an access key of this federation, in the "
                        + "Authorization header or as a presigned URL.");
    }

    /**
     * Returns {@code body} decoded and verified against what {@code auth} and {@code headers} promise: for
     * aws-chunked payloads the chunk framing, every chunk signature, the trailer signature and trailing
     * checksums, and {@code x-amz-decoded-content-length}; for plain payloads the SHA-256 of
     * {@code x-amz-content-sha256}; in all modes {@code Content-MD5} and {@code x-amz-checksum-*} headers.
     *
     * <p>Data is passed downstream as it arrives, before the part it belongs to is verified. A failure aborts
     * the returned stream with an {@link S3AuthException} as its cause (find it with
     * {@link S3AuthException#findIn}), always before the stream would complete normally: so commit the data
     * only once the stream completes normally. The stream honors backpressure and holds no more than the data
     * in flight plus one framing line; its elements are pooled, so a subscriber that asks for
     * {@code SubscriptionOption.WITH_POOLED_OBJECTS} must close them. For requests whose
     * {@code x-amz-checksum-*} headers describe something other than the body (CompleteMultipartUpload), pass
     * headers without them.
     *
     * @param auth the result of {@link #verify} for this request
     * @param headers the request headers
     * @param body the request body; may be the {@code HttpRequest} itself (its headers and trailers are skipped)
     * @throws S3AuthException if a header the body is checked against is malformed ({@code InvalidDigest},
     *     {@code InvalidRequest} or {@code InvalidArgument}); then {@code body} has not been subscribed to
     */
    public StreamMessage<HttpData> verifiedBody(AuthResult auth, HttpHeaders headers,
                                                StreamMessage<? extends HttpObject> body) throws S3AuthException {
        requireNonNull(auth, "auth");
        requireNonNull(headers, "headers");
        requireNonNull(body, "body");
        return decode(body, new BodyDecoder<>(auth, BodyChecks.of(auth.payloadMode(), headers)));
    }

    private static <T extends HttpObject> StreamMessage<HttpData> decode(StreamMessage<T> body,
                                                                        BodyDecoder<T> decoder) {
        return body.decode(decoder);
    }

    private AuthResult verifyHeaderAuth(SignedRequest request, String authorization) {
        if (authorization.startsWith("AWS ")) {
            throw badRequest("InvalidRequest", "The authorization mechanism you have provided (Signature Version 2) "
                                               + "is not supported. " + SIGV4_ONLY);
        }
        if (authorization.startsWith("AWS4-ECDSA-P256-SHA256")) {
            throw badRequest("InvalidRequest", "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; "
                                               + "sign with AWS4-HMAC-SHA256 for one region.");
        }
        if (!authorization.startsWith(Signing.ALGORITHM)
            || authorization.length() > Signing.ALGORITHM.length()
               && !Character.isWhitespace(authorization.charAt(Signing.ALGORITHM.length()))) {
            throw badRequest("InvalidArgument", "Unsupported Authorization Type. " + SIGV4_ONLY);
        }
        final Map<String, String> fields = authorizationFields(authorization.substring(Signing.ALGORITHM.length()));
        final String credentialText = fields.get("Credential");
        final String signedHeadersText = fields.get("SignedHeaders");
        final String signature = fields.get("Signature");
        if (credentialText == null || signedHeadersText == null || signature == null) {
            throw headerMalformed("the authorization header requires three components: Credential, SignedHeaders, "
                                  + "and Signature.");
        }
        final Credential credential = parseCredential(credentialText, false);
        checkScope(credential, false);
        if (!Signing.isSha256Hex(signature)) {
            throw headerMalformed("the Signature must be 64 hex characters, not '" + signature + "'.");
        }

        final Timestamp timestamp = headerTimestamp(request);
        checkCredentialDate(credential, timestamp, false);
        final Instant now = clock.instant();
        if (Duration.between(timestamp.instant(), now).abs().compareTo(MAX_SKEW) > 0) {
            throw forbidden("RequestTimeTooSkewed",
                            "The difference between the request time and the current time is too large: the "
                            + "request is dated " + timestamp.instant() + ", this server's clock reads " + now
                            + " and at most " + MAX_SKEW.toMinutes() + " minutes are allowed. Fix the client's "
                            + "clock (NTP).",
                            ImmutableMap.of("RequestTime", timestamp.amzDate(),
                                            "ServerTime", AMZ_DATE.format(now),
                                            "MaxAllowedSkewMilliseconds", Long.toString(MAX_SKEW.toMillis())));
        }

        String payloadHash = request.header(CONTENT_SHA256);
        if (payloadHash == null) {
            // Generic SigV4 signers (curl --aws-sigv4) sign the body's hash without sending the header;
            // for a request without a body that hash is known, so such requests are verified as S3 would
            // verify them with the header present.
            if (!hasBody(request)) {
                payloadHash = Signing.EMPTY_SHA256;
            } else {
                throw badRequest("InvalidRequest",
                                 "Missing required header for this request: x-amz-content-sha256. SigV4 requests "
                                 + "to S3 carry the hex SHA-256 of the body, UNSIGNED-PAYLOAD or a STREAMING-* "
                                 + "value in it (with curl --aws-sigv4, add "
                                 + "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD').");
            }
        }
        final String payload = payloadHash.strip();
        final PayloadMode mode = payloadMode(payload);
        final List<String> signedHeaders = signedHeaders(signedHeadersText, false);
        checkAllHeadersSigned(request, signedHeaders);
        return checkSignature(request, credential, signedHeaders, signature, timestamp, payload, mode, false);
    }

    private static boolean hasBody(SignedRequest request) {
        final String length = request.header("content-length");
        return request.header("transfer-encoding") != null
               || (length != null && !length.strip().equals("0"));
    }

    private AuthResult verifyPresigned(SignedRequest request, List<Map.Entry<String, String>> parameters,
                                       String algorithm) {
        if (!Signing.ALGORITHM.equals(algorithm)) {
            throw badRequest("AuthorizationQueryParametersError",
                             "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\", not '" + algorithm + "'.");
        }
        final String credentialText = parameter(parameters, "X-Amz-Credential");
        final String dateText = parameter(parameters, "X-Amz-Date");
        final String expiresText = parameter(parameters, "X-Amz-Expires");
        final String signedHeadersText = parameter(parameters, "X-Amz-SignedHeaders");
        final String signature = parameter(parameters, "X-Amz-Signature");
        if (credentialText == null || dateText == null || expiresText == null || signedHeadersText == null
            || signature == null) {
            throw badRequest("AuthorizationQueryParametersError",
                             "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                             + "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                             + "X-Amz-Expires parameters.");
        }
        final Credential credential = parseCredential(credentialText, true);
        checkScope(credential, true);
        if (!Signing.isSha256Hex(signature)) {
            throw badRequest("AuthorizationQueryParametersError",
                             "X-Amz-Signature must be 64 hex characters, not '" + signature + "'.");
        }
        final Instant instant = parseAmzDate(dateText);
        if (instant == null) {
            throw badRequest("AuthorizationQueryParametersError",
                             "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", not '"
                             + dateText + "'.");
        }
        final Timestamp timestamp = new Timestamp(instant, dateText);
        checkCredentialDate(credential, timestamp, true);
        final long expires = parseExpires(expiresText);
        final Instant now = clock.instant();
        final Instant expiry = instant.plusSeconds(expires);
        if (now.isAfter(expiry)) {
            throw forbidden("AccessDenied", "Request has expired: the presigned URL was valid until " + expiry
                                            + " and it is now " + now + ". Presign a new URL.",
                            ImmutableMap.of("X-Amz-Expires", Long.toString(expires),
                                            "Expires", expiry.toString(),
                                            "ServerTime", now.toString()));
        }
        if (instant.isAfter(now.plus(MAX_SKEW))) {
            throw forbidden("AccessDenied", "Request is not valid yet: the presigned URL is dated " + instant
                                            + ", more than " + MAX_SKEW.toMinutes() + " minutes after this "
                                            + "server's clock (" + now + "). Fix the signer's clock.",
                            ImmutableMap.of("RequestTime", dateText, "ServerTime", AMZ_DATE.format(now)));
        }
        final String payloadParameter = parameter(parameters, "X-Amz-Content-Sha256");
        final String payload = payloadParameter != null ? payloadParameter.strip() : "UNSIGNED-PAYLOAD";
        final PayloadMode mode = payloadMode(payload);
        if (mode.isAwsChunked()) {
            throw badRequest("InvalidRequest", "A presigned URL cannot carry a streaming (aws-chunked) payload; "
                                               + "sign the request with the Authorization header instead.");
        }
        final List<String> signedHeaders = signedHeaders(signedHeadersText, true);
        checkAllHeadersSigned(request, signedHeaders);
        return checkSignature(request, credential, signedHeaders, signature, timestamp, payload, mode, true);
    }

    private AuthResult checkSignature(SignedRequest request, Credential credential, List<String> signedHeaders,
                                      String signature, Timestamp timestamp, String payload, PayloadMode mode,
                                      boolean presigned) {
        final String secret = secrets.apply(credential.accessKeyId()).orElseThrow(
                () -> forbidden("InvalidAccessKeyId",
                                "The AWS Access Key Id you provided does not exist in our records. Check the key "
                                + "id, or ask an admin of this federation for a key.",
                                ImmutableMap.of("AWSAccessKeyId", credential.accessKeyId())));
        final byte[] signingKey = signingKeys.signingKey(secret, credential.date(), credential.region());
        final Mac mac = Signing.mac(signingKey);
        final String scope = credential.date() + '/' + credential.region() + '/' + Signing.SERVICE + '/'
                             + Signing.TERMINATOR;
        final String provided = signature.toLowerCase(Locale.ROOT);
        final String canonicalHeaders = CanonicalRequests.headers(signedHeaders, request.headers());
        final String signedHeaderList = String.join(";", signedHeaders);
        final String excluded = presigned ? "X-Amz-Signature" : null;

        String firstCanonicalRequest = null;
        String firstStringToSign = null;
        for (String uri : uriCandidates(request.rawPath())) {
            for (String query : queryCandidates(request.rawQuery(), excluded)) {
                final String canonicalRequest = CanonicalRequests.request(request.method(), uri, query,
                                                                          canonicalHeaders, signedHeaderList,
                                                                          payload);
                final String stringToSign = CanonicalRequests.stringToSign(timestamp.amzDate(), scope,
                                                                           canonicalRequest);
                if (Signing.signaturesMatch(Signing.signHex(mac, stringToSign), provided)) {
                    final String expectedSha256 = mode == PayloadMode.SHA256 ? payload.toLowerCase(Locale.ROOT)
                                                                             : null;
                    return new AuthResult(credential.accessKeyId(), credential.region(), mode, expectedSha256,
                                          presigned, timestamp.instant(), timestamp.amzDate(), scope, provided,
                                          signingKey);
                }
                if (firstCanonicalRequest == null) {
                    firstCanonicalRequest = canonicalRequest;
                    firstStringToSign = stringToSign;
                }
            }
        }
        throw forbidden("SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. Check "
                        + "your key and signing method; compare the CanonicalRequest and StringToSign of this "
                        + "error with what the client signed.",
                        ImmutableMap.of("AWSAccessKeyId", credential.accessKeyId(),
                                        "StringToSign", String.valueOf(firstStringToSign),
                                        "SignatureProvided", provided,
                                        "CanonicalRequest", String.valueOf(firstCanonicalRequest)));
    }

    /** S3 signs the path decoded and encoded once; some clients sign exactly what they send instead. */
    private static List<String> uriCandidates(String rawPath) {
        final String canonical = CanonicalRequests.uri(rawPath);
        return canonical.equals(rawPath) || rawPath.isEmpty() ? List.of(canonical) : List.of(canonical, rawPath);
    }

    /**
     * A raw {@code '+'} in a query means a space to S3; clients that meant a plus sign signed
     * {@code %2B}. A parameter without a value ({@code ?acl}) is {@code acl=} to S3; generic signers
     * such as curl's sign it as {@code acl}, and older curls sign the query exactly as sent.
     */
    private static List<String> queryCandidates(@Nullable String rawQuery, @Nullable String excluded) {
        final String spaces = CanonicalRequests.query(rawQuery, true, excluded);
        final List<String> candidates = new ArrayList<>(List.of(spaces));
        if (rawQuery != null && rawQuery.indexOf('+') >= 0) {
            candidates.add(CanonicalRequests.query(rawQuery, false, excluded));
        }
        if (rawQuery != null && hasBareName(rawQuery)) {
            candidates.add(BARE_VALUE.matcher(spaces).replaceAll(""));
        }
        if (rawQuery != null && excluded == null && !candidates.contains(rawQuery)) {
            candidates.add(rawQuery);
        }
        return candidates;
    }

    private static final java.util.regex.Pattern BARE_VALUE = java.util.regex.Pattern.compile("=(?=&|$)");

    private static boolean hasBareName(String rawQuery) {
        for (String part : rawQuery.split("&")) {
            if (!part.isEmpty() && part.indexOf('=') < 0) {
                return true;
            }
        }
        return false;
    }

    private void checkScope(Credential credential, boolean presigned) {
        if (!Signing.TERMINATOR.equals(credential.terminal())) {
            throw credentialError(presigned, "incorrect terminal '" + credential.terminal()
                                             + "'. This endpoint uses 'aws4_request'.");
        }
        if (!Signing.SERVICE.equals(credential.service())) {
            throw credentialError(presigned, "incorrect service '" + credential.service()
                                             + "'. This endpoint belongs to 's3'.");
        }
        if (!acceptedRegions.test(credential.region())) {
            final ImmutableSet<String> known = acceptedRegions instanceof RegionSet set ? set.names()
                                                                                       : ImmutableSet.of();
            final String expecting = known.isEmpty()
                                     ? "a region this endpoint accepts"
                                     : known.stream().map(name -> "'" + name + "'").collect(Collectors.joining(" or "));
            final Map<String, String> details = known.isEmpty() ? ImmutableMap.of()
                                                                : ImmutableMap.of("Region", known.iterator().next());
            final String message = "the region '" + credential.region() + "' is wrong; expecting " + expecting + '.';
            throw presigned
                  ? badRequest("AuthorizationQueryParametersError",
                               "Error parsing the X-Amz-Credential parameter; " + message, details)
                  : badRequest("AuthorizationHeaderMalformed", "The authorization header is malformed; " + message,
                               details);
        }
    }

    private static void checkCredentialDate(Credential credential, Timestamp timestamp, boolean presigned) {
        if (!timestamp.amzDate().startsWith(credential.date())) {
            throw credentialError(presigned, "Invalid credential date '" + credential.date() + "'. Date is not "
                                             + "the same as X-Amz-Date (" + timestamp.amzDate() + ").");
        }
    }

    private static Timestamp headerTimestamp(SignedRequest request) {
        final String amzDate = request.header("x-amz-date");
        if (amzDate != null) {
            final Instant instant = parseAmzDate(amzDate.strip());
            if (instant == null) {
                throw forbidden("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header: "
                                                + "x-amz-date '" + amzDate + "' is not of the form "
                                                + "yyyyMMdd'T'HHmmss'Z'.");
            }
            return new Timestamp(instant, amzDate.strip());
        }
        final String date = request.header("date");
        if (date != null) {
            Instant instant = parseAmzDate(date.strip());
            if (instant == null) {
                try {
                    instant = DateTimeFormatter.RFC_1123_DATE_TIME.parse(date.strip(), Instant::from);
                } catch (DateTimeParseException e) {
                    instant = null;
                }
            }
            if (instant != null) {
                return new Timestamp(instant, AMZ_DATE.format(instant));
            }
        }
        throw forbidden("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header.");
    }

    private static @Nullable Instant parseAmzDate(String text) {
        if (text.length() != 16) {
            return null;
        }
        try {
            return AMZ_DATE.parse(text, Instant::from);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static long parseExpires(String text) {
        final long expires;
        try {
            expires = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw badRequest("AuthorizationQueryParametersError", "X-Amz-Expires should be a number, not '"
                                                                  + text + "'.");
        }
        if (expires <= 0) {
            throw badRequest("AuthorizationQueryParametersError", "X-Amz-Expires must be positive, not " + expires
                                                                  + '.');
        }
        if (expires > MAX_PRESIGNED_EXPIRES_SECONDS) {
            throw badRequest("AuthorizationQueryParametersError",
                             "X-Amz-Expires must be less than a week (in seconds) that is "
                             + MAX_PRESIGNED_EXPIRES_SECONDS + ", not " + expires + '.');
        }
        return expires;
    }

    private static PayloadMode payloadMode(String payload) {
        for (PayloadMode mode : PayloadMode.values()) {
            if (mode.headerValue().filter(payload::equals).isPresent()) {
                return mode;
            }
        }
        if (Signing.isSha256Hex(payload)) {
            return PayloadMode.SHA256;
        }
        if (payload.startsWith("STREAMING-AWS4-ECDSA-P256-SHA256")) {
            throw badRequest("InvalidRequest", "Signature Version 4A streaming payloads (" + payload + ") are not "
                                               + "supported; sign with AWS4-HMAC-SHA256.");
        }
        throw badRequest("InvalidArgument",
                         "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                         + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a "
                         + "valid sha256 value, not '" + payload + "'.");
    }

    private static List<String> signedHeaders(String text, boolean presigned) {
        final Set<String> names = new LinkedHashSet<>();
        for (String name : text.split(";")) {
            final String trimmed = name.strip().toLowerCase(Locale.ROOT);
            if (!trimmed.isEmpty()) {
                names.add(trimmed);
            }
        }
        if (names.isEmpty()) {
            throw presigned ? badRequest("AuthorizationQueryParametersError", "X-Amz-SignedHeaders is empty.")
                            : headerMalformed("SignedHeaders is empty.");
        }
        return ImmutableList.copyOf(names);
    }

    private static void checkAllHeadersSigned(SignedRequest request, List<String> signedHeaders) {
        final Set<String> signed = ImmutableSet.copyOf(signedHeaders);
        final List<String> unsigned = new ArrayList<>();
        if (!signed.contains("host")) {
            unsigned.add("host");
        }
        for (String name : request.headers().keySet()) {
            if (name.startsWith("x-amz-") && !signed.contains(name) && !CONTENT_SHA256.equals(name)) {
                unsigned.add(name);
            }
        }
        if (!unsigned.isEmpty()) {
            final String names = String.join(", ", unsigned);
            throw forbidden("AccessDenied", "There were headers present in the request which were not signed: "
                                            + names + ". Sign the host header and every x-amz-* header you send.",
                            ImmutableMap.of("HeadersNotSigned", names));
        }
    }

    private static Map<String, String> authorizationFields(String text) {
        final Map<String, String> fields = new HashMap<>();
        for (String token : text.split("[,\\s]+")) {
            if (token.isEmpty()) {
                continue;
            }
            final int equals = token.indexOf('=');
            if (equals <= 0) {
                throw headerMalformed("'" + token + "' is not of the form Name=Value.");
            }
            final String name = canonicalFieldName(token.substring(0, equals));
            if (fields.put(name, token.substring(equals + 1)) != null) {
                throw headerMalformed(name + " appears twice.");
            }
        }
        return fields;
    }

    private static String canonicalFieldName(String name) {
        for (String known : List.of("Credential", "SignedHeaders", "Signature")) {
            if (known.equalsIgnoreCase(name)) {
                return known;
            }
        }
        throw headerMalformed("unknown component '" + name + "'; expecting Credential, SignedHeaders and "
                              + "Signature.");
    }

    private static Credential parseCredential(String text, boolean presigned) {
        final String[] parts = text.split("/", -1);
        final int n = parts.length;
        if (n >= 5) {
            final String accessKeyId = String.join("/", List.of(parts).subList(0, n - 4));
            final String date = parts[n - 4];
            if (!accessKeyId.isEmpty() && date.length() == 8 && date.chars().allMatch(Character::isDigit)
                && !parts[n - 3].isEmpty()) {
                return new Credential(accessKeyId, date, parts[n - 3], parts[n - 2], parts[n - 1]);
            }
        }
        throw credentialError(presigned, "the Credential is mal-formed; expecting "
                                         + "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }

    private static @Nullable String parameter(List<Map.Entry<String, String>> parameters, String name) {
        for (Map.Entry<String, String> parameter : parameters) {
            if (parameter.getKey().equals(name)) {
                return parameter.getValue();
            }
        }
        return null;
    }

    private static S3AuthException headerMalformed(String detail) {
        return badRequest("AuthorizationHeaderMalformed", "The authorization header is malformed; " + detail);
    }

    private static S3AuthException credentialError(boolean presigned, String detail) {
        return presigned ? badRequest("AuthorizationQueryParametersError",
                                      "Error parsing the X-Amz-Credential parameter; " + detail)
                         : headerMalformed(detail);
    }

    private record Credential(String accessKeyId, String date, String region, String service, String terminal) {}

    private record Timestamp(Instant instant, String amzDate) {}

    private record RegionSet(ImmutableSet<String> names) implements Predicate<String> {
        @Override
        public boolean test(String region) {
            return names.contains(region);
        }

        @Override
        public String toString() {
            return "regions" + names;
        }
    }
}
