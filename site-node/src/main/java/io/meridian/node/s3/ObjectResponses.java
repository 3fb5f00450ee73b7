package io.meridian.node.s3;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import io.meridian.namespace.ObjectMeta;
import io.meridian.node.store.FileStreams;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Answers GET and HEAD of one opened object version, wherever its bytes are (the owner's store or
 * another site's cache): conditional headers, ranges, stored headers and response overrides. Every
 * answer describes exactly one version: headers and body come from the same opened files.
 */
final class ObjectResponses {

    private static final Map<String, String> OVERRIDES = Map.of(
            "response-content-type", "content-type",
            "response-content-language", "content-language",
            "response-expires", "expires",
            "response-cache-control", "cache-control",
            "response-content-disposition", "content-disposition",
            "response-content-encoding", "content-encoding");

    private ObjectResponses() {}

    /** Bytes of one version, opened; {@code resource} closes them. */
    record Source(ObjectMeta meta, List<FileChannel> channels, List<Long> lengths, Closeable resource)
            implements AutoCloseable {
        @Override
        public void close() {
            try {
                resource.close();
            } catch (IOException ignored) {
                // read-only handles
            }
        }
    }

    static HttpResponse respond(S3Request req, boolean head, Source source, String site, Executor executor) {
        ObjectMeta meta = source.meta();
        boolean handedOff = false;
        try {
            Conditionals.Outcome outcome = Conditionals.evaluate(meta, req.header("if-match"),
                    req.header("if-none-match"), req.header("if-modified-since"), req.header("if-unmodified-since"));
            if (outcome == Conditionals.Outcome.PRECONDITION_FAILED) {
                throw new S3Exception(S3Error.PRECONDITION_FAILED,
                        "At least one of the preconditions you specified did not hold.");
            }
            if (outcome == Conditionals.Outcome.NOT_MODIFIED) {
                return HttpResponse.of(S3Responses.headers(HttpStatus.NOT_MODIFIED, site, req.requestId())
                        .set("etag", meta.quotedEtag())
                        .set("last-modified", HttpDates.header(meta.lastModifiedMs()))
                        .build());
            }
            Optional<ByteRange> range;
            try {
                range = ByteRange.resolve(req.header("range"), meta.size());
            } catch (S3Exception e) {
                ResponseHeadersBuilder h = S3Responses.headers(e.status(), site, req.requestId())
                        .set("content-range", "bytes */" + meta.size());
                return HttpResponse.of(h.contentType(com.linecorp.armeria.common.MediaType.XML_UTF_8).build(),
                        com.linecorp.armeria.common.HttpData.ofUtf8(new Xml().open("Error")
                                .element("Code", e.code())
                                .element("Message", e.getMessage())
                                .element("Resource", req.resource())
                                .element("RequestId", req.requestId())
                                .close("Error").toString()));
            }
            HttpStatus status = range.isPresent() ? HttpStatus.PARTIAL_CONTENT : HttpStatus.OK;
            long offset = range.map(ByteRange::first).orElse(0L);
            long length = range.map(ByteRange::length).orElse(meta.size());
            ResponseHeadersBuilder h = S3Responses.headers(status, site, req.requestId());
            describe(h, meta, req);
            h.contentLength(length);
            range.ifPresent(r -> h.set("content-range", r.contentRange(meta.size())));
            if (head) {
                return HttpResponse.of(h.build());
            }
            handedOff = true;
            return HttpResponse.of(h.build(), FileStreams.read(source.channels(), source.lengths(), offset, length,
                    executor, source.resource()));
        } finally {
            if (!handedOff) {
                source.close();
            }
        }
    }

    /** Sets the headers that describe a version: type, tag, date, stored headers and user metadata. */
    static void describe(ResponseHeadersBuilder h, ObjectMeta meta, S3Request req) {
        h.set("content-type", meta.contentType());
        h.set("etag", meta.quotedEtag());
        h.set("last-modified", HttpDates.header(meta.lastModifiedMs()));
        h.set("accept-ranges", "bytes");
        meta.headers().forEach(h::set);
        meta.userMetadata().forEach((k, v) -> h.set("x-amz-meta-" + k, v));
        if (req != null) {
            OVERRIDES.forEach((param, header) -> {
                String value = req.param(param);
                if (value != null) {
                    if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
                        throw new S3Exception(S3Error.INVALID_ARGUMENT, "The " + param + " parameter holds a control"
                                + " character, which a header value cannot hold.");
                    }
                    h.set(header, value);
                }
            });
        }
    }
}
