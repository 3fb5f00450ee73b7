package io.meridian.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.meridian.node.launch.LocalFederation;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Read leases between real site processes: a non-owner answers from its cache under a lease, an
 * overwrite at the owner is seen at once elsewhere, a non-owner whose owner died keeps answering
 * until its lease runs out and then says SiteIsolated (or, if the request allows it, answers
 * stale), and a restarted owner keeps quiet for a lease period before it serves again.
 */
class ReadLeaseProcessesTest {

    private static final Duration LEASE = Duration.ofSeconds(5);

    @TempDir
    static Path dir;

    static LocalFederation federation;
    static S3Client us;
    static S3Client eu;

    @BeforeAll
    static void start() throws Exception {
        federation = E2eFederation.start(dir);
        us = S3Clients.forEndpoint(federation.spec("us-east").s3Url());
        eu = S3Clients.forEndpoint(federation.spec("eu-west").s3Url());
        us.createBucket(b -> b.bucket("lease-e2e"));
    }

    @AfterAll
    static void stop() {
        if (us != null) {
            us.close();
            eu.close();
        }
        if (federation != null) {
            federation.close();
        }
    }

    private static ResponseBytes<GetObjectResponse> get(S3Client c, String consistency) {
        return c.getObjectAsBytes(b -> b.bucket("lease-e2e").key("k").overrideConfiguration(o -> {
            if (consistency != null) {
                o.putHeader("x-meridian-consistency", consistency);
            }
        }));
    }

    private static String header(ResponseBytes<GetObjectResponse> r, String name) {
        return r.response().sdkHttpResponse().firstMatchingHeader(name).orElse(null);
    }

    @Test
    void leasesHoldAcrossProcessesThroughAnOverwriteAnOwnerCrashAndItsRestart() throws Exception {
        us.putObject(b -> b.bucket("lease-e2e").key("k"), RequestBody.fromString("v1"));
        assertThat(header(get(eu, null), "x-meridian-cache")).isEqualTo("miss");
        ResponseBytes<GetObjectResponse> warm = get(eu, null);
        assertThat(warm.asUtf8String()).isEqualTo("v1");
        assertThat(header(warm, "x-meridian-cache")).isEqualTo("hit");
        assertThat(header(warm, "x-meridian-staleness-ms")).isEqualTo("0");

        us.putObject(b -> b.bucket("lease-e2e").key("k"), RequestBody.fromString("v2"));
        assertThat(get(eu, null).asUtf8String()).isEqualTo("v2");
        assertThat(header(get(eu, null), "x-meridian-cache")).isEqualTo("hit");

        federation.process("us-east").kill();
        long killedAt = System.nanoTime();
        ResponseBytes<GetObjectResponse> underLease = get(eu, null);
        if (System.nanoTime() - killedAt < LEASE.toNanos() / 2) {
            // Nothing can change without the owner; until the lease runs out this is still current.
            assertThat(underLease.asUtf8String()).isEqualTo("v2");
            assertThat(header(underLease, "x-meridian-cache")).isEqualTo("hit");
        }
        // Once the lease has run out, eu-west cannot know and says so.
        S3Exception isolated = org.awaitility.Awaitility.await().atMost(LEASE.plusSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> catchThrowableOfType(S3Exception.class, () -> get(eu, null)), e -> e != null);
        assertThat(isolated.statusCode()).isEqualTo(503);
        assertThat(isolated.awsErrorDetails().errorCode()).isEqualTo("SiteIsolated");
        ResponseBytes<GetObjectResponse> stale = get(eu, "local");
        assertThat(stale.asUtf8String()).isEqualTo("v2");
        assertThat(Long.parseLong(header(stale, "x-meridian-staleness-ms"))).isGreaterThanOrEqualTo(100);

        federation.process("us-east").start();
        federation.awaitReady(Duration.ofMinutes(2));
        us.putObject(b -> b.bucket("lease-e2e").key("k"), RequestBody.fromString("v3"));
        assertThat(get(eu, null).asUtf8String()).isEqualTo("v3");
        assertThat(get(us, null).asUtf8String()).isEqualTo("v3");
    }
}
