package io.meridian.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableMap;
import io.meridian.namespace.proto.AccessKeyRecord;
import io.meridian.namespace.proto.Command;
import io.meridian.namespace.proto.CommandResult;
import io.meridian.namespace.proto.CreateBucket;
import io.meridian.namespace.proto.DeleteBucket;
import io.meridian.namespace.proto.KeyRoleProto;
import io.meridian.namespace.proto.PutAccessKey;
import io.meridian.namespace.proto.RegisterSite;
import io.meridian.namespace.proto.ResultStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FederationStateMachineTest {

    private final FederationStateMachine sm = new FederationStateMachine();
    private long index;

    private CommandResult apply(Command cmd) throws IOException {
        return CommandResult.parseFrom(sm.apply(++index, cmd.toByteArray()));
    }

    private static Command register(String name) {
        SiteInfo site = SiteInfo.of(name, name + "-1", SiteRole.CORE, ImmutableMap.of(SiteInfo.S3, "http://127.0.0.1:1"));
        return Command.newBuilder().setRegisterSite(RegisterSite.newBuilder().setSite(NamespaceCodec.site(site))).build();
    }

    private static Command create(String bucket, String tenant, String owner) {
        return Command.newBuilder().setCreateBucket(CreateBucket.newBuilder()
                .setName(bucket).setTenant(tenant).setOwnerSite(owner).setCreatedAtMs(1000)).build();
    }

    private static Command delete(String bucket, String owner, long epoch) {
        return Command.newBuilder().setDeleteBucket(DeleteBucket.newBuilder()
                .setName(bucket).setOwnerSite(owner).setExpectedEpoch(epoch)).build();
    }

    @Test
    void createsBucketOwnedByTheCreatingSiteAtEpochOne() throws IOException {
        apply(register("us-east"));
        CommandResult r = apply(create("photos", "acme", "us-east"));

        assertThat(r.getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_OK);
        assertThat(r.getAppliedIndex()).isEqualTo(2);
        BucketInfo b = sm.state().bucket("photos").orElseThrow();
        assertThat(b.ownerSite()).isEqualTo("us-east");
        assertThat(b.epoch()).isEqualTo(1);
        assertThat(b.tenant()).isEqualTo("acme");
        assertThat(sm.state().appliedIndex()).isEqualTo(2);
    }

    @Test
    void refusesDuplicatesDistinguishingTheOwningTenant() throws IOException {
        apply(register("us-east"));
        apply(create("photos", "acme", "us-east"));

        assertThat(apply(create("photos", "acme", "us-east")).getStatus())
                .isEqualTo(ResultStatus.RESULT_STATUS_ALREADY_OWNED_BY_YOU);
        assertThat(apply(create("photos", "other", "us-east")).getStatus())
                .isEqualTo(ResultStatus.RESULT_STATUS_ALREADY_EXISTS);
    }

    @Test
    void refusesInvalidNamesAndUnknownOwners() throws IOException {
        apply(register("us-east"));

        CommandResult bad = apply(create("Bad_Name", "acme", "us-east"));
        assertThat(bad.getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_INVALID);
        assertThat(bad.getMessage()).contains("lower-case");
        assertThat(apply(create("photos", "acme", "mars")).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_INVALID);
        assertThat(sm.state().buckets()).isEmpty();
    }

    @Test
    void epochsKeepGrowingAcrossDeleteAndRecreate() throws IOException {
        apply(register("us-east"));
        apply(register("eu-west"));
        apply(create("photos", "acme", "us-east"));
        assertThat(apply(delete("photos", "us-east", 1)).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_OK);
        assertThat(sm.state().bucket("photos")).isEmpty();

        apply(create("photos", "acme", "eu-west"));

        BucketInfo again = sm.state().bucket("photos").orElseThrow();
        assertThat(again.epoch()).isEqualTo(2);
        assertThat(again.ownerSite()).isEqualTo("eu-west");
    }

    @Test
    void bucketDefaultConsistencyIsReplicatedStateAndSurvivesSnapshots() throws IOException {
        apply(register("us-east"));
        apply(create("photos", "acme", "us-east"));
        assertThat(sm.state().bucket("photos").orElseThrow().defaultConsistency()).isEmpty();

        Command set = Command.newBuilder().setSetBucketConsistency(io.meridian.namespace.proto.SetBucketConsistency
                .newBuilder().setName("photos").setDefaultConsistency("bounded; max-staleness=5s")).build();
        assertThat(apply(set).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_OK);
        assertThat(sm.state().bucket("photos").orElseThrow().defaultConsistency())
                .isEqualTo("bounded; max-staleness=5s");
        assertThat(sm.state().bucket("photos").orElseThrow().epoch()).isEqualTo(1);

        Command missing = Command.newBuilder().setSetBucketConsistency(io.meridian.namespace.proto.SetBucketConsistency
                .newBuilder().setName("nothing").setDefaultConsistency("local")).build();
        assertThat(apply(missing).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_NOT_FOUND);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.writeSnapshot(out);
        FederationStateMachine restored = new FederationStateMachine();
        restored.readSnapshot(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.state().bucket("photos").orElseThrow().defaultConsistency())
                .isEqualTo("bounded; max-staleness=5s");
    }

    @Test
    void deleteIsACompareAndSetOnOwnerAndEpoch() throws IOException {
        apply(register("us-east"));
        apply(create("photos", "acme", "us-east"));

        assertThat(apply(delete("photos", "us-east", 7)).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_CONFLICT);
        assertThat(apply(delete("photos", "eu-west", 1)).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_CONFLICT);
        assertThat(apply(delete("nothing", "us-east", 1)).getStatus()).isEqualTo(ResultStatus.RESULT_STATUS_NOT_FOUND);
        assertThat(sm.state().bucket("photos")).isPresent();
    }

    @Test
    void accessKeysCanBeAddedOnlyIfAbsent() throws IOException {
        Command first = Command.newBuilder().setPutAccessKey(PutAccessKey.newBuilder().setOnlyIfAbsent(true)
                .setKey(AccessKeyRecord.newBuilder().setAccessKeyId("AK").setSecret("s1").setTenant("demo")
                        .setRole(KeyRoleProto.KEY_ROLE_ADMIN))).build();
        Command second = first.toBuilder().setPutAccessKey(first.getPutAccessKey().toBuilder()
                .setKey(first.getPutAccessKey().getKey().toBuilder().setSecret("s2"))).build();

        apply(first);
        apply(second);

        AccessKey key = sm.state().accessKey("AK").orElseThrow();
        assertThat(key.secret()).isEqualTo("s1");
        assertThat(key.role()).isEqualTo(KeyRole.ADMIN);
    }

    @Test
    void garbageCommandsAreAnsweredNotThrown() {
        byte[] result = sm.apply(1, new byte[] {(byte) 0xff, (byte) 0xff, 0x01});
        assertThat(result).isNotEmpty();
        assertThat(sm.state().appliedIndex()).isEqualTo(1);
    }

    @Test
    void snapshotRoundTripsTheWholeState() throws IOException {
        apply(register("us-east"));
        apply(create("photos", "acme", "us-east"));
        apply(delete("photos", "us-east", 1));
        apply(create("docs", "acme", "us-east"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.writeSnapshot(out);

        FederationStateMachine restored = new FederationStateMachine();
        restored.readSnapshot(new ByteArrayInputStream(out.toByteArray()));

        FederationState s = restored.state();
        assertThat(s.appliedIndex()).isEqualTo(4);
        assertThat(s.sites()).extracting(SiteInfo::name).containsExactly("us-east");
        assertThat(s.bucket("docs")).isPresent();
        assertThat(s.highestEpoch("photos")).isEqualTo(1);
    }

    @Test
    void listenersSeeEveryAppliedState() throws IOException {
        List<Long> seen = new ArrayList<>();
        sm.addListener(s -> seen.add(s.appliedIndex()));
        apply(register("us-east"));
        apply(create("photos", "acme", "us-east"));
        assertThat(seen).containsExactly(1L, 2L);
    }
}
