package io.meridian.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.node.testing.MiniFederation;
import io.meridian.node.testing.RawS3;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServiceTest {

    @TempDir
    static Path dir;

    static MiniFederation fed;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        fed = MiniFederation.start(dir, "one", "two");
    }

    @AfterAll
    static void stop() {
        fed.close();
    }

    @Test
    void healthAndMetricsNeedNoCredentials() throws IOException {
        RawS3.Response health = RawS3.send(fed.adminUrl("two"), "GET", "/health", new byte[0], Map.of(), false);
        assertThat(health.status()).isEqualTo(200);
        JsonNode h = JSON.readTree(health.body());
        assertThat(h.get("site").asText()).isEqualTo("two");
        assertThat(h.get("status").asText()).isEqualTo("ready");
        assertThat(h.get("sites")).hasSize(2);

        fed.client("one").listBuckets();
        RawS3.Response metrics = RawS3.send(fed.adminUrl("one"), "GET", "/metrics", new byte[0], Map.of(), false);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("meridian_s3");
    }

    @Test
    void theAdminApiAnswersUnsignedRequestsWith401AndNoData() throws IOException {
        RawS3.Response r = RawS3.send(fed.adminUrl("one"), "GET", "/_meridian/admin/v1/sites", new byte[0], Map.of(),
                false);
        assertThat(r.status()).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("AccessDenied");
        assertThat(r.body()).doesNotContain("\"endpoints\"");
    }

    @Test
    void anAdminKeySeesEverySite() throws IOException {
        RawS3.Response r = RawS3.send(fed.adminUrl("one"), "GET", "/_meridian/admin/v1/sites", new byte[0]);
        assertThat(r.status()).isEqualTo(200);
        JsonNode sites = JSON.readTree(r.body()).get("sites");
        assertThat(sites).hasSize(2);
        assertThat(sites.findValuesAsText("name")).containsExactly("one", "two");
        assertThat(sites.get(0).at("/endpoints/s3").asText()).startsWith("http://127.0.0.1:");
    }
}
