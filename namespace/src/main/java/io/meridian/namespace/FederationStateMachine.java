package io.meridian.namespace;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import com.google.protobuf.InvalidProtocolBufferException;
import io.meridian.consensus.StateMachineHandler;
import io.meridian.namespace.proto.AccessKeyRecord;
import io.meridian.namespace.proto.BucketRecord;
import io.meridian.namespace.proto.Command;
import io.meridian.namespace.proto.CommandResult;
import io.meridian.namespace.proto.CreateBucket;
import io.meridian.namespace.proto.DeleteBucket;
import io.meridian.namespace.proto.SetBucketConsistency;
import io.meridian.namespace.proto.FederationSnapshot;
import io.meridian.namespace.proto.PutAccessKey;
import io.meridian.namespace.proto.QueryResult;
import io.meridian.namespace.proto.RegisterSite;
import io.meridian.namespace.proto.ResultStatus;
import io.meridian.namespace.proto.SiteRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's replicated state machine: sites, buckets with their owners and epochs, and
 * access keys.
 *
 * <p>{@link #apply} is deterministic: it reads nothing but the command and the current state (times
 * in commands were chosen by their proposer). Invalid commands are answered with a result that
 * says why; they never throw. Each apply publishes a new immutable {@link FederationState}.
 */
public final class FederationStateMachine implements StateMachineHandler {

    private static final Logger log = LoggerFactory.getLogger(FederationStateMachine.class);

    private volatile FederationState state = FederationState.EMPTY;
    private final CopyOnWriteArrayList<Consumer<FederationState>> listeners = new CopyOnWriteArrayList<>();

    /** Returns the latest state this replica has applied. */
    public FederationState state() {
        return state;
    }

    /**
     * Registers a listener called, on the apply thread, with every new state. Listeners must be
     * quick and must not throw.
     */
    public void addListener(Consumer<FederationState> listener) {
        listeners.add(listener);
    }

    @Override
    public byte[] apply(long index, byte[] commandBytes) {
        Command command;
        try {
            command = Command.parseFrom(commandBytes);
        } catch (InvalidProtocolBufferException e) {
            publish(withIndex(state, index));
            return result(ResultStatus.RESULT_STATUS_INVALID, "unreadable command: " + e.getMessage(), index)
                    .toByteArray();
        }
        Applied applied;
        switch (command.getKindCase()) {
            case REGISTER_SITE:
                applied = registerSite(command.getRegisterSite(), index);
                break;
            case CREATE_BUCKET:
                applied = createBucket(command.getCreateBucket(), index);
                break;
            case DELETE_BUCKET:
                applied = deleteBucket(command.getDeleteBucket(), index);
                break;
            case PUT_ACCESS_KEY:
                applied = putAccessKey(command.getPutAccessKey(), index);
                break;
            case SET_BUCKET_CONSISTENCY:
                applied = setBucketConsistency(command.getSetBucketConsistency(), index);
                break;
            default:
                applied = new Applied(withIndex(state, index),
                        result(ResultStatus.RESULT_STATUS_INVALID, "unknown command " + command.getKindCase(), index));
        }
        publish(applied.state);
        return applied.result.toByteArray();
    }

    private Applied registerSite(RegisterSite cmd, long index) {
        SiteRecord record = cmd.getSite();
        SiteInfo site;
        try {
            site = NamespaceCodec.site(record);
        } catch (IllegalArgumentException e) {
            return unchanged(index, ResultStatus.RESULT_STATUS_INVALID, e.getMessage());
        }
        FederationState s = state;
        ImmutableSortedMap<String, SiteInfo> sites = put(s.siteMap(), site.name(), site);
        return new Applied(new FederationState(sites, s.bucketMap(), s.keyMap(), s.pathEpochMap(), index),
                result(ResultStatus.RESULT_STATUS_OK, "", index));
    }

    private Applied createBucket(CreateBucket cmd, long index) {
        FederationState s = state;
        Optional<String> problem = BucketNames.problem(cmd.getName());
        if (problem.isPresent()) {
            return unchanged(index, ResultStatus.RESULT_STATUS_INVALID, problem.get());
        }
        if (s.site(cmd.getOwnerSite()).isEmpty()) {
            return unchanged(index, ResultStatus.RESULT_STATUS_INVALID,
                    "owner site " + cmd.getOwnerSite() + " is not a member of the federation");
        }
        BucketInfo existing = s.bucketMap().get(cmd.getName());
        if (existing != null) {
            boolean same = existing.tenant().equals(cmd.getTenant());
            CommandResult r = result(same ? ResultStatus.RESULT_STATUS_ALREADY_OWNED_BY_YOU
                    : ResultStatus.RESULT_STATUS_ALREADY_EXISTS,
                    "bucket " + cmd.getName() + " already exists", index).toBuilder()
                    .setBucket(NamespaceCodec.bucket(existing)).build();
            return new Applied(withIndex(s, index), r);
        }
        long epoch = s.highestEpoch(cmd.getName()) + 1;
        BucketInfo bucket = new BucketInfo(cmd.getName(), cmd.getTenant(), cmd.getOwnerSite(), epoch,
                Instant.ofEpochMilli(cmd.getCreatedAtMs()));
        FederationState next = new FederationState(s.siteMap(), put(s.bucketMap(), bucket.name(), bucket),
                s.keyMap(), put(s.pathEpochMap(), bucket.name(), epoch), index);
        return new Applied(next, result(ResultStatus.RESULT_STATUS_OK, "", index).toBuilder()
                .setBucket(NamespaceCodec.bucket(bucket)).build());
    }

    private Applied deleteBucket(DeleteBucket cmd, long index) {
        FederationState s = state;
        BucketInfo existing = s.bucketMap().get(cmd.getName());
        if (existing == null) {
            return unchanged(index, ResultStatus.RESULT_STATUS_NOT_FOUND, "bucket " + cmd.getName() + " does not exist");
        }
        if (!existing.ownerSite().equals(cmd.getOwnerSite()) || existing.epoch() != cmd.getExpectedEpoch()) {
            return unchanged(index, ResultStatus.RESULT_STATUS_CONFLICT,
                    "bucket " + cmd.getName() + " is owned by " + existing.ownerSite() + " at epoch "
                            + existing.epoch() + ", not by " + cmd.getOwnerSite() + " at epoch " + cmd.getExpectedEpoch());
        }
        FederationState next = new FederationState(s.siteMap(), remove(s.bucketMap(), cmd.getName()),
                s.keyMap(), s.pathEpochMap(), index);
        return new Applied(next, result(ResultStatus.RESULT_STATUS_OK, "", index).toBuilder()
                .setBucket(NamespaceCodec.bucket(existing)).build());
    }

    private Applied setBucketConsistency(SetBucketConsistency cmd, long index) {
        FederationState s = state;
        BucketInfo existing = s.bucketMap().get(cmd.getName());
        if (existing == null) {
            return unchanged(index, ResultStatus.RESULT_STATUS_NOT_FOUND, "bucket " + cmd.getName() + " does not exist");
        }
        BucketInfo updated = existing.withDefaultConsistency(cmd.getDefaultConsistency());
        FederationState next = new FederationState(s.siteMap(), put(s.bucketMap(), updated.name(), updated),
                s.keyMap(), s.pathEpochMap(), index);
        return new Applied(next, result(ResultStatus.RESULT_STATUS_OK, "", index).toBuilder()
                .setBucket(NamespaceCodec.bucket(updated)).build());
    }

    private Applied putAccessKey(PutAccessKey cmd, long index) {
        FederationState s = state;
        AccessKeyRecord record = cmd.getKey();
        if (record.getAccessKeyId().isEmpty() || record.getSecret().isEmpty() || record.getTenant().isEmpty()) {
            return unchanged(index, ResultStatus.RESULT_STATUS_INVALID, "an access key needs an id, a secret and a tenant");
        }
        if (cmd.getOnlyIfAbsent() && s.keyMap().containsKey(record.getAccessKeyId())) {
            return unchanged(index, ResultStatus.RESULT_STATUS_OK, "");
        }
        AccessKey key = NamespaceCodec.key(record);
        Map<String, AccessKey> keys = new HashMap<>(s.keyMap());
        keys.put(key.id(), key);
        FederationState next = new FederationState(s.siteMap(), s.bucketMap(), ImmutableMap.copyOf(keys),
                s.pathEpochMap(), index);
        return new Applied(next, result(ResultStatus.RESULT_STATUS_OK, "", index));
    }

    @Override
    public byte[] query(byte[] query) {
        return QueryResult.newBuilder().setAppliedIndex(state.appliedIndex()).build().toByteArray();
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        FederationState s = state;
        FederationSnapshot.Builder b = FederationSnapshot.newBuilder().setAppliedIndex(s.appliedIndex());
        s.sites().forEach(site -> b.addSites(NamespaceCodec.site(site)));
        s.buckets().forEach(bucket -> b.addBuckets(NamespaceCodec.bucket(bucket)));
        s.accessKeys().forEach(key -> b.addKeys(NamespaceCodec.key(key)));
        b.putAllPathEpochs(s.pathEpochMap());
        b.build().writeTo(out);
    }

    @Override
    public void readSnapshot(InputStream in) throws IOException {
        FederationSnapshot snap = FederationSnapshot.parseFrom(in);
        ImmutableSortedMap.Builder<String, SiteInfo> sites = ImmutableSortedMap.naturalOrder();
        for (SiteRecord r : snap.getSitesList()) {
            sites.put(r.getName(), NamespaceCodec.site(r));
        }
        ImmutableSortedMap.Builder<String, BucketInfo> buckets = ImmutableSortedMap.naturalOrder();
        for (BucketRecord r : snap.getBucketsList()) {
            buckets.put(r.getName(), NamespaceCodec.bucket(r));
        }
        ImmutableMap.Builder<String, AccessKey> keys = ImmutableMap.builder();
        for (AccessKeyRecord r : snap.getKeysList()) {
            keys.put(r.getAccessKeyId(), NamespaceCodec.key(r));
        }
        FederationState restored = new FederationState(sites.build(), buckets.build(), keys.buildKeepingLast(),
                ImmutableMap.copyOf(snap.getPathEpochsMap()), snap.getAppliedIndex());
        log.info("Restored federation state at index {}: {} sites, {} buckets, {} keys",
                restored.appliedIndex(), restored.sites().size(), restored.buckets().size(),
                restored.accessKeys().size());
        publish(restored);
    }

    private void publish(FederationState next) {
        state = next;
        for (Consumer<FederationState> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.warn("A federation state listener failed; the state is applied regardless", e);
            }
        }
    }

    private Applied unchanged(long index, ResultStatus status, String message) {
        return new Applied(withIndex(state, index), result(status, message, index));
    }

    private static FederationState withIndex(FederationState s, long index) {
        return new FederationState(s.siteMap(), s.bucketMap(), s.keyMap(), s.pathEpochMap(), index);
    }

    private static CommandResult result(ResultStatus status, String message, long index) {
        return CommandResult.newBuilder().setStatus(status).setMessage(message).setAppliedIndex(index).build();
    }

    private static <V> ImmutableSortedMap<String, V> put(ImmutableSortedMap<String, V> map, String key, V value) {
        ImmutableSortedMap.Builder<String, V> b = ImmutableSortedMap.naturalOrder();
        map.forEach((k, v) -> {
            if (!k.equals(key)) {
                b.put(k, v);
            }
        });
        return b.put(key, value).build();
    }

    private static <V> ImmutableSortedMap<String, V> remove(ImmutableSortedMap<String, V> map, String key) {
        ImmutableSortedMap.Builder<String, V> b = ImmutableSortedMap.naturalOrder();
        map.forEach((k, v) -> {
            if (!k.equals(key)) {
                b.put(k, v);
            }
        });
        return b.build();
    }

    private static ImmutableMap<String, Long> put(ImmutableMap<String, Long> map, String key, long value) {
        Map<String, Long> copy = new HashMap<>(map);
        copy.put(key, value);
        return ImmutableMap.copyOf(copy);
    }

    private record Applied(FederationState state, CommandResult result) {}
}
