package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteRangeTest {

    @Test
    void resolvesTheThreeSingleRangeForms() {
        assertThat(ByteRange.resolve("bytes=0-9", 100)).contains(new ByteRange(0, 10));
        assertThat(ByteRange.resolve("bytes=90-", 100)).contains(new ByteRange(90, 10));
        assertThat(ByteRange.resolve("bytes=-8", 100)).contains(new ByteRange(92, 8));
        assertThat(ByteRange.resolve("bytes=95-200", 100)).contains(new ByteRange(95, 5));
        assertThat(ByteRange.resolve("bytes=-100", 1)).contains(new ByteRange(0, 1));
    }

    @Test
    void ignoresWhatItMayIgnore() {
        assertThat(ByteRange.resolve(null, 100)).isEmpty();
        assertThat(ByteRange.resolve("bytes=0-1,5-6", 100)).isEmpty();
        assertThat(ByteRange.resolve("items=0-1", 100)).isEmpty();
        assertThat(ByteRange.resolve("bytes=9-3", 100)).isEmpty();
        assertThat(ByteRange.resolve("bytes=x-y", 100)).isEmpty();
    }

    @Test
    void refusesRangesPastTheEnd() {
        assertThatThrownBy(() -> ByteRange.resolve("bytes=100-", 100)).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> ByteRange.resolve("bytes=0-0", 0)).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> ByteRange.resolve("bytes=-5", 0)).isInstanceOf(S3Exception.class);
    }

    @Test
    void formatsContentRange() {
        assertThat(new ByteRange(5242870, 21).contentRange(11534336)).isEqualTo("bytes 5242870-5242890/11534336");
    }
}
