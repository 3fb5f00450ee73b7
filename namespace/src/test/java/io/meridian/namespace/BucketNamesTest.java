package io.meridian.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BucketNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"abc", "my-bucket", "my.bucket.2026", "console", "metrics", "docs",
        "a23456789012345678901234567890123456789012345678901234567890123"})
    void accepts(String name) {
        assertThat(BucketNames.problem(name)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ab", "Upper", "under_score", "-dash", "dash-", "a..b", "192.168.1.1",
        "xn--abc", "bucket-s3alias", "_meridian", "sp ace",
        "a234567890123456789012345678901234567890123456789012345678901234"})
    void refuses(String name) {
        assertThat(BucketNames.problem(name)).isPresent();
    }
}
