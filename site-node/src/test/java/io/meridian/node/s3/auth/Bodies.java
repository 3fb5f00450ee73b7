package io.meridian.node.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.function.Function;

/** Reads verified bodies the way a consumer does, through {@code toInputStream}. */
final class Bodies {

    private Bodies() {}

    static byte[] readAll(StreamMessage<HttpData> body) throws IOException {
        try (InputStream in = body.toInputStream(Function.identity())) {
            return in.readAllBytes();
        }
    }

    /** Reads the body expecting it to fail, and returns the S3 error it failed with. */
    static S3AuthException failure(StreamMessage<HttpData> body) {
        final Throwable thrown = catchThrowable(() -> readAll(body));
        assertThat(thrown).as("reading the body must fail").isInstanceOf(IOException.class);
        assertThat(S3AuthException.findIn(thrown)).as("an S3AuthException in %s", thrown).isPresent();
        return S3AuthException.findIn(thrown).orElseThrow();
    }

    static byte[] randomBytes(Random random, int length) {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Returns the Signature of an Authorization header. */
    static String signatureOf(SignedRequest request) {
        final String authorization = request.headers().get("authorization").get(0);
        return authorization.substring(authorization.indexOf("Signature=") + "Signature=".length()).strip();
    }
}
