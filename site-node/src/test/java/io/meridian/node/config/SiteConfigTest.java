package io.meridian.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.consensus.Member;
import io.meridian.namespace.SiteRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteConfigTest {

    @TempDir
    Path dir;

    @Test
    void readsAFileAndLetsOverridesWin() throws IOException {
        Path file = dir.resolve("site.properties");
        Files.writeString(file, String.join("\n",
                "site.name = eu-west",
                "site.region = eu-west-1",
                "data.dir = /var/lib/meridian",
                "s3.port = 9002",
                "federation.peers = us-east@10.0.0.1:9301,eu-west@10.0.0.2:9301",
                "cache.max-bytes = 2GiB",
                "mesh.first-byte-timeout = 500ms"));

        SiteConfig c = SiteConfig.load(file, Map.of("s3.port", "9100"));

        assertThat(c.name()).isEqualTo("eu-west");
        assertThat(c.role()).isEqualTo(SiteRole.CORE);
        assertThat(c.s3Port()).isEqualTo(9100);
        assertThat(c.adminPort()).isEqualTo(9101);
        assertThat(c.peers()).containsExactly(new Member("us-east", "10.0.0.1:9301"), new Member("eu-west", "10.0.0.2:9301"));
        assertThat(c.cacheMaxBytes()).isEqualTo(2L << 30);
        assertThat(c.meshFirstByteTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.bootstrapKey()).isNull();
    }

    @Test
    void aLoneSiteIsItsOwnFederation() throws IOException {
        SiteConfig c = SiteConfig.load(null, Map.of("site.name", "solo", "data.dir", "d", "raft.port", "7000"));
        assertThat(c.peers()).containsExactly(new Member("solo", "127.0.0.1:7000"));
        assertThat(c.region()).isEqualTo("solo");
    }

    @Test
    void leaseSettingsHaveTheDesignsDefaultsAndCanBeChanged() throws IOException {
        SiteConfig d = SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d"));
        assertThat(d.readLeasePeriod()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.drift()).isEqualTo(io.meridian.cache.time.DriftBound.DEFAULT);
        assertThat(d.cacheMaxEntries()).isEqualTo(100_000);
        assertThat(d.meshAddress()).isEqualTo("127.0.0.1:9201");

        SiteConfig c = SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "lease.read-period", "800ms",
                "lease.drift-rate", "0.02", "lease.drift-margin", "10ms", "mesh.advertise-address", "10.1.1.1:19201"));
        assertThat(c.readLeasePeriod()).isEqualTo(Duration.ofMillis(800));
        assertThat(c.drift()).isEqualTo(new io.meridian.cache.time.DriftBound(0.02, Duration.ofMillis(10)));
        assertThat(c.meshAddress()).isEqualTo("10.1.1.1:19201");

        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "lease.drift-rate",
                "often"))).hasMessageContaining("lease.drift-rate");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "lease.drift-rate",
                "0.7"))).hasMessageContaining("lease.drift-rate");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "cache.max-entries",
                "0"))).hasMessageContaining("cache.max-entries");
    }

    @Test
    void errorsNameTheKeyAndTheRule() {
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("data.dir", "d")))
                .hasMessageContaining("site.name is required");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "s3.port", "x")))
                .hasMessageContaining("s3.port must be a port number");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "cache.max-bytes", "lots")))
                .hasMessageContaining("cache.max-bytes");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d", "no.such.key", "1")))
                .hasMessageContaining("unknown configuration key 'no.such.key'");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "Bad Name", "data.dir", "d")))
                .hasMessageContaining("invalid site name");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d",
                "federation.peers", "b@h:1")))
                .hasMessageContaining("must include this core site 'a'");
        assertThatThrownBy(() -> SiteConfig.load(null, Map.of("site.name", "a", "data.dir", "d",
                "bootstrap.access-key", "AK")))
                .hasMessageContaining("go together");
    }
}
