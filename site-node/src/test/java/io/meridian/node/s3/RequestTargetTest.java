package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestTargetTest {

    @Test
    void splitsBucketAndKeyWithoutNormalizingThePath() {
        RequestTarget t = RequestTarget.parse("/photos/a//b/./c/trailing/", null);
        assertThat(t.bucket()).isEqualTo("photos");
        assertThat(t.key()).isEqualTo("a//b/./c/trailing/");
    }

    @Test
    void decodesPercentEscapesButKeepsAnEncodedSlashInsideTheKey() {
        assertThat(RequestTarget.parse("/b/x%252Fy", null).key()).isEqualTo("x%2Fy");
        assertThat(RequestTarget.parse("/b/x%2Fy", null).key()).isEqualTo("x/y");
        assertThat(RequestTarget.parse("/b/plus+sign.txt", null).key()).isEqualTo("plus+sign.txt");
        assertThat(RequestTarget.parse("/b/sp%20ace", null).key()).isEqualTo("sp ace");
        assertThat(RequestTarget.parse("/b/q%3Fx%3D1", null).key()).isEqualTo("q?x=1");
        assertThat(RequestTarget.parse("/b/%E6%96%87", null).key()).isEqualTo("文");
        assertThat(RequestTarget.parse("/b/semi;colon", null).key()).isEqualTo("semi;colon");
    }

    @Test
    void keepsUnicodeBytesAsSentWithoutNormalization() {
        String nfd = "u\u0308";
        String nfc = "\u00fc";
        assertThat(RequestTarget.parse("/b/u%CC%88", null).key()).isEqualTo(nfd);
        assertThat(RequestTarget.parse("/b/%C3%BC", null).key()).isEqualTo(nfc);
    }

    @Test
    void parsesServiceBucketAndVirtualHostedTargets() {
        assertThat(RequestTarget.parse("/", null).bucket()).isNull();
        RequestTarget bucketOnly = RequestTarget.parse("/b/", null);
        assertThat(bucketOnly.bucket()).isEqualTo("b");
        assertThat(bucketOnly.key()).isNull();
        RequestTarget hosted = RequestTarget.parse("/some/key", "photos");
        assertThat(hosted.bucket()).isEqualTo("photos");
        assertThat(hosted.key()).isEqualTo("some/key");
    }

    @Test
    void decodesQueryParametersWithPlusAsSpaceAndBareNames() {
        RequestTarget t = RequestTarget.parse("/b?list-type=2&prefix=a%2Fb+c&uploads&delimiter=", null);
        assertThat(t.param("prefix")).isEqualTo("a/b c");
        assertThat(t.param("uploads")).isEmpty();
        assertThat(t.param("delimiter")).isEmpty();
        assertThat(t.param("missing")).isNull();
        assertThat(t.has("uploads")).isTrue();
    }

    @Test
    void refusesBrokenEscapesWithAClearError() {
        assertThatThrownBy(() -> RequestTarget.parse("/b/bad%zz", null))
                .isInstanceOf(S3Exception.class).hasMessageContaining("malformed percent-escape");
        assertThatThrownBy(() -> RequestTarget.parse("/b/bad%C3", null))
                .isInstanceOf(S3Exception.class).hasMessageContaining("not valid UTF-8");
    }
}
