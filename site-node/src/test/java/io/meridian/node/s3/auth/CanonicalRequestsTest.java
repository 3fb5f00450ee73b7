package io.meridian.node.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableListMultimap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalRequestsTest {

    @Test
    void thePathIsDecodedAndEncodedOnce() {
        assertThat(CanonicalRequests.uri("")).isEqualTo("/");
        assertThat(CanonicalRequests.uri("/")).isEqualTo("/");
        assertThat(CanonicalRequests.uri("/bucket/a%20b")).isEqualTo("/bucket/a%20b");
        assertThat(CanonicalRequests.uri("/bucket/a%2fb%2F")).isEqualTo("/bucket/a/b/");
        assertThat(CanonicalRequests.uri("/bucket/%7e~%41!")).isEqualTo("/bucket/~~A%21");
        assertThat(CanonicalRequests.uri("/bucket/a+b")).isEqualTo("/bucket/a%2Bb");
        assertThat(CanonicalRequests.uri("/bucket/100%25")).isEqualTo("/bucket/100%25");
        assertThat(CanonicalRequests.uri("/bucket/100%")).isEqualTo("/bucket/100%25");
        assertThat(CanonicalRequests.uri("/bucket/%zz%4")).isEqualTo("/bucket/%25zz%254");
        assertThat(CanonicalRequests.uri("/bucket//x/./../")).isEqualTo("/bucket//x/./../");
        assertThat(CanonicalRequests.uri("/bucket/caf%c3%a9")).isEqualTo("/bucket/caf%C3%A9");
        assertThat(CanonicalRequests.uri("/bucket/caf\u00e9")).isEqualTo("/bucket/caf%C3%A9");
    }

    @Test
    void queryParametersAreReencodedAndSorted() {
        assertThat(CanonicalRequests.query(null, true, null)).isEmpty();
        assertThat(CanonicalRequests.query("", true, null)).isEmpty();
        assertThat(CanonicalRequests.query("uploads", true, null)).isEqualTo("uploads=");
        assertThat(CanonicalRequests.query("b=2&a=2&a=1&a=&c", true, null)).isEqualTo("a=&a=1&a=2&b=2&c=");
        assertThat(CanonicalRequests.query("prefix=a/b c~%7E%2f", true, null)).isEqualTo("prefix=a%2Fb%20c~~%2F");
        assertThat(CanonicalRequests.query("p=a+b", true, null)).isEqualTo("p=a%20b");
        assertThat(CanonicalRequests.query("p=a+b", false, null)).isEqualTo("p=a%2Bb");
        assertThat(CanonicalRequests.query("k=v=w&&x=1&", true, null)).isEqualTo("k=v%3Dw&x=1");
        assertThat(CanonicalRequests.query("X-Amz-Signature=abc&X-Amz-Date=1", true, "X-Amz-Signature"))
                .isEqualTo("X-Amz-Date=1");
        assertThat(CanonicalRequests.query("A=1&a=1&B=1", true, null)).isEqualTo("A=1&B=1&a=1");
    }

    @Test
    void parametersAreDecoded() {
        assertThat(CanonicalRequests.parameters("X-Amz-Credential=AK%2F2026%2Fr&flag&e="))
                .containsExactly(Map.entry("X-Amz-Credential", "AK/2026/r"), Map.entry("flag", ""),
                                 Map.entry("e", ""));
    }

    @Test
    void headerValuesAreTrimmedCollapsedAndJoined() {
        final ImmutableListMultimap<String, String> headers = ImmutableListMultimap.of(
                "host", "example.com", "x-amz-meta-a", "  one   two\t three ", "x-amz-meta-a", "four",
                "x-amz-meta-empty", "   ");
        assertThat(CanonicalRequests.headers(List.of("host", "x-amz-meta-a", "x-amz-meta-empty", "absent"), headers))
                .isEqualTo("host:example.com\nx-amz-meta-a:one two three,four\nx-amz-meta-empty:\nabsent:\n");
    }
}
