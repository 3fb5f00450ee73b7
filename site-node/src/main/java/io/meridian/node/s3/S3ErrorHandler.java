package io.meridian.node.s3;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers what never reaches the S3 service (a request Armeria itself refuses, such as a path with
 * {@code ..} segments) and what escapes it, with S3 error documents rather than plain text.
 */
public final class S3ErrorHandler implements ServerErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(S3ErrorHandler.class);

    private final String site;

    public S3ErrorHandler(String site) {
        this.site = site;
    }

    @Override
    public @Nullable HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
        S3Exception e = S3Router.asS3(cause);
        if (e.is(S3Error.INTERNAL_ERROR)) {
            log.error("Unhandled error serving {} {}", ctx.method(), ctx.path(), cause);
        }
        return S3Responses.error(e, ctx.path(), site, S3HttpService.requestId());
    }

    @Override
    public @Nullable AggregatedHttpResponse onProtocolViolation(ServiceConfig config,
                                                                @Nullable RequestHeaders headers,
                                                                HttpStatus status, @Nullable String description,
                                                                @Nullable Throwable cause) {
        String message = description != null ? description : status.reasonPhrase();
        S3Error error;
        if (status == HttpStatus.REQUEST_ENTITY_TOO_LARGE) {
            error = S3Error.ENTITY_TOO_LARGE;
        } else if (status.code() == 431 || status == HttpStatus.REQUEST_URI_TOO_LONG) {
            error = S3Error.INVALID_REQUEST;
            message = "The request line or headers are too large.";
        } else if (message.contains("path")) {
            error = S3Error.INVALID_REQUEST;
            message = "The request path is not accepted by this server: it must be valid percent-encoded UTF-8"
                    + " without control characters (%00-%1F, %7F) or '..' segments (" + message + ").";
        } else {
            error = S3Error.INVALID_REQUEST;
        }
        String requestId = S3HttpService.requestId();
        HttpStatus answer = error == S3Error.ENTITY_TOO_LARGE ? error.status() : status;
        return AggregatedHttpResponse.of(S3Responses.headers(answer, site, requestId)
                        .contentType(MediaType.XML_UTF_8).build(),
                HttpData.ofUtf8(S3Responses.errorBody(error.code(), message, null, requestId)));
    }
}
