package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableMap;
import io.meridian.namespace.ObjectMeta;
import org.junit.jupiter.api.Test;

class ConditionalsTest {

    // Last modified Tue, 01 Dec 2026 10:00:00 GMT.
    private final ObjectMeta meta = new ObjectMeta("v", "abc", 1, 1796119200_000L, "text/plain",
            ImmutableMap.of(), ImmutableMap.of(), 0, 1);

    private Conditionals.Outcome eval(String ifMatch, String ifNoneMatch, String ims, String ius) {
        return Conditionals.evaluate(meta, ifMatch, ifNoneMatch, ims, ius);
    }

    @Test
    void ifMatchAndIfNoneMatchCompareEtags() {
        assertThat(eval("\"abc\"", null, null, null)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval("\"x\", \"abc\"", null, null, null)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval("*", null, null, null)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval("\"zzz\"", null, null, null)).isEqualTo(Conditionals.Outcome.PRECONDITION_FAILED);
        assertThat(eval(null, "\"abc\"", null, null)).isEqualTo(Conditionals.Outcome.NOT_MODIFIED);
        assertThat(eval(null, "W/\"abc\"", null, null)).isEqualTo(Conditionals.Outcome.NOT_MODIFIED);
        assertThat(eval(null, "\"zzz\"", null, null)).isEqualTo(Conditionals.Outcome.PROCEED);
    }

    @Test
    void datesApplyOnlyWhenTheEtagConditionIsAbsent() {
        String before = "Mon, 30 Nov 2026 10:00:00 GMT";
        String after = "Wed, 02 Dec 2026 10:00:00 GMT";
        assertThat(eval(null, null, after, null)).isEqualTo(Conditionals.Outcome.NOT_MODIFIED);
        assertThat(eval(null, null, before, null)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval(null, null, null, before)).isEqualTo(Conditionals.Outcome.PRECONDITION_FAILED);
        assertThat(eval(null, null, null, after)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval("\"abc\"", null, null, before)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval(null, "\"zzz\"", after, null)).isEqualTo(Conditionals.Outcome.PROCEED);
        assertThat(eval(null, null, "not a date", null)).isEqualTo(Conditionals.Outcome.PROCEED);
    }
}
