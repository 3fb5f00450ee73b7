package io.meridian.node.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ListingsTest {

    @Test
    void urlEncodingWritesSpacesAndPlusSoThatEveryDecoderReadsThemBack() {
        assertThat(Listings.enc("sp ace+plus/ü%#", true)).isEqualTo("sp%20ace%2Bplus/%C3%BC%25%23");
        assertThat(Listings.enc("sp ace", false)).isEqualTo("sp ace");
    }

    @Test
    void continuationTokensRoundTripAnyKey() {
        String key = "ünï/cødé/文件.txt\u0000";
        assertThat(Listings.decodeToken(Listings.encodeToken(key))).isEqualTo(key);
    }
}
