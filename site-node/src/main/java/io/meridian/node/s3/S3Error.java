package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpStatus;

/** The S3 error codes Meridian answers with, each with its HTTP status. */
public enum S3Error {
    ACCESS_DENIED("AccessDenied", HttpStatus.FORBIDDEN),
    AUTHORIZATION_HEADER_MALFORMED("AuthorizationHeaderMalformed", HttpStatus.BAD_REQUEST),
    BAD_DIGEST("BadDigest", HttpStatus.BAD_REQUEST),
    BUCKET_ALREADY_EXISTS("BucketAlreadyExists", HttpStatus.CONFLICT),
    BUCKET_ALREADY_OWNED_BY_YOU("BucketAlreadyOwnedByYou", HttpStatus.CONFLICT),
    BUCKET_NOT_EMPTY("BucketNotEmpty", HttpStatus.CONFLICT),
    ENTITY_TOO_LARGE("EntityTooLarge", HttpStatus.BAD_REQUEST),
    ENTITY_TOO_SMALL("EntityTooSmall", HttpStatus.BAD_REQUEST),
    INCOMPLETE_BODY("IncompleteBody", HttpStatus.BAD_REQUEST),
    INTERNAL_ERROR("InternalError", HttpStatus.INTERNAL_SERVER_ERROR),
    INVALID_ACCESS_KEY_ID("InvalidAccessKeyId", HttpStatus.FORBIDDEN),
    INVALID_ARGUMENT("InvalidArgument", HttpStatus.BAD_REQUEST),
    INVALID_BUCKET_NAME("InvalidBucketName", HttpStatus.BAD_REQUEST),
    INVALID_DIGEST("InvalidDigest", HttpStatus.BAD_REQUEST),
    INVALID_PART("InvalidPart", HttpStatus.BAD_REQUEST),
    INVALID_PART_ORDER("InvalidPartOrder", HttpStatus.BAD_REQUEST),
    INVALID_RANGE("InvalidRange", HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE),
    INVALID_REQUEST("InvalidRequest", HttpStatus.BAD_REQUEST),
    KEY_TOO_LONG("KeyTooLongError", HttpStatus.BAD_REQUEST),
    MALFORMED_XML("MalformedXML", HttpStatus.BAD_REQUEST),
    METADATA_TOO_LARGE("MetadataTooLarge", HttpStatus.BAD_REQUEST),
    METHOD_NOT_ALLOWED("MethodNotAllowed", HttpStatus.METHOD_NOT_ALLOWED),
    MISSING_CONTENT_LENGTH("MissingContentLength", HttpStatus.LENGTH_REQUIRED),
    NO_SUCH_BUCKET("NoSuchBucket", HttpStatus.NOT_FOUND),
    NO_SUCH_KEY("NoSuchKey", HttpStatus.NOT_FOUND),
    NO_SUCH_UPLOAD("NoSuchUpload", HttpStatus.NOT_FOUND),
    NOT_IMPLEMENTED("NotImplemented", HttpStatus.NOT_IMPLEMENTED),
    PRECONDITION_FAILED("PreconditionFailed", HttpStatus.PRECONDITION_FAILED),
    REQUEST_TIME_TOO_SKEWED("RequestTimeTooSkewed", HttpStatus.FORBIDDEN),
    SERVICE_UNAVAILABLE("ServiceUnavailable", HttpStatus.SERVICE_UNAVAILABLE),
    SITE_ISOLATED("SiteIsolated", HttpStatus.SERVICE_UNAVAILABLE),
    SIGNATURE_DOES_NOT_MATCH("SignatureDoesNotMatch", HttpStatus.FORBIDDEN),
    STALE_EPOCH("StaleEpoch", HttpStatus.SERVICE_UNAVAILABLE),
    X_AMZ_CONTENT_SHA256_MISMATCH("XAmzContentSHA256Mismatch", HttpStatus.BAD_REQUEST);

    private final String code;
    private final HttpStatus status;

    S3Error(String code, HttpStatus status) {
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public HttpStatus status() {
        return status;
    }
}
