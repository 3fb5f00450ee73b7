package io.meridian.namespace;

import com.google.protobuf.InvalidProtocolBufferException;
import io.meridian.consensus.ReplicatedGroup;
import io.meridian.namespace.proto.Command;
import io.meridian.namespace.proto.CommandResult;
import io.meridian.namespace.proto.CreateBucket;
import io.meridian.namespace.proto.DeleteBucket;
import io.meridian.namespace.proto.PutAccessKey;
import io.meridian.namespace.proto.RegisterSite;
import io.meridian.namespace.proto.SetBucketConsistency;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A site's handle on the federation namespace: reads come from this site's own replica of the
 * state; changes go through the replicated group and complete once this site's replica has
 * applied them, so a site always reads its own changes.
 *
 * <p>Futures complete on consensus threads; {@link NamespaceException} reports a refused change.
 */
public final class Namespace {

    private final ReplicatedGroup group;
    private final FederationStateMachine stateMachine;
    private final ConcurrentSkipListMap<Long, CompletableFuture<FederationState>> appliedWaiters =
            new ConcurrentSkipListMap<>();

    public Namespace(ReplicatedGroup group, FederationStateMachine stateMachine) {
        this.group = group;
        this.stateMachine = stateMachine;
        stateMachine.addListener(this::onApplied);
    }

    /** Returns this site's replica of the federation state; it may trail the leader slightly. */
    public FederationState state() {
        return stateMachine.state();
    }

    /** Returns the replicated group, for status and membership. */
    public ReplicatedGroup group() {
        return group;
    }

    /**
     * Completes with a state that includes every change acknowledged anywhere before this call.
     * Use it before answering "does not exist" from local state.
     */
    public CompletableFuture<FederationState> sync() {
        return group.barrier().thenApply(ignored -> state());
    }

    /** Registers or updates a site. */
    public CompletableFuture<Void> registerSite(SiteInfo site) {
        Command cmd = Command.newBuilder()
                .setRegisterSite(RegisterSite.newBuilder().setSite(NamespaceCodec.site(site)))
                .build();
        return submit(cmd).thenApply(r -> null);
    }

    /** Creates a bucket owned by {@code ownerSite}, at the next epoch its name has never had. */
    public CompletableFuture<BucketInfo> createBucket(String name, String tenant, String ownerSite, Instant now) {
        Command cmd = Command.newBuilder()
                .setCreateBucket(CreateBucket.newBuilder()
                        .setName(name)
                        .setTenant(tenant)
                        .setOwnerSite(ownerSite)
                        .setCreatedAtMs(now.toEpochMilli()))
                .build();
        return submit(cmd).thenApply(r -> NamespaceCodec.bucket(r.getBucket()));
    }

    /** Deletes a bucket if it is still owned by {@code ownerSite} at {@code epoch}. */
    public CompletableFuture<Void> deleteBucket(String name, String ownerSite, long epoch) {
        Command cmd = Command.newBuilder()
                .setDeleteBucket(DeleteBucket.newBuilder()
                        .setName(name)
                        .setOwnerSite(ownerSite)
                        .setExpectedEpoch(epoch))
                .build();
        return submit(cmd).thenApply(r -> null);
    }

    /**
     * Sets the consistency reads of {@code name} get when their request names none ({@code ""}:
     * linearizable); completes with the updated bucket.
     */
    public CompletableFuture<BucketInfo> setBucketConsistency(String name, String consistency) {
        Command cmd = Command.newBuilder()
                .setSetBucketConsistency(SetBucketConsistency.newBuilder()
                        .setName(name)
                        .setDefaultConsistency(consistency))
                .build();
        return submit(cmd).thenApply(r -> NamespaceCodec.bucket(r.getBucket()));
    }

    /** Creates or replaces an access key; with {@code onlyIfAbsent} an existing key is kept. */
    public CompletableFuture<Void> putAccessKey(AccessKey key, boolean onlyIfAbsent) {
        Command cmd = Command.newBuilder()
                .setPutAccessKey(PutAccessKey.newBuilder()
                        .setKey(NamespaceCodec.key(key))
                        .setOnlyIfAbsent(onlyIfAbsent))
                .build();
        return submit(cmd).thenApply(r -> null);
    }

    private CompletableFuture<CommandResult> submit(Command cmd) {
        return group.submit(cmd.toByteArray()).thenCompose(bytes -> {
            CommandResult result;
            try {
                result = CommandResult.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(new IllegalStateException("unreadable namespace result", e));
            }
            return awaitApplied(result.getAppliedIndex()).thenApply(ignored -> check(result));
        });
    }

    private static CommandResult check(CommandResult result) {
        switch (result.getStatus()) {
            case RESULT_STATUS_OK:
                return result;
            case RESULT_STATUS_ALREADY_EXISTS:
                throw new NamespaceException(NamespaceException.Outcome.ALREADY_EXISTS, result.getMessage());
            case RESULT_STATUS_ALREADY_OWNED_BY_YOU:
                throw new NamespaceException(NamespaceException.Outcome.ALREADY_OWNED_BY_YOU, result.getMessage());
            case RESULT_STATUS_NOT_FOUND:
                throw new NamespaceException(NamespaceException.Outcome.NOT_FOUND, result.getMessage());
            case RESULT_STATUS_CONFLICT:
                throw new NamespaceException(NamespaceException.Outcome.CONFLICT, result.getMessage());
            default:
                throw new NamespaceException(NamespaceException.Outcome.INVALID, result.getMessage());
        }
    }

    /** Completes once this replica has applied {@code index}. */
    CompletableFuture<FederationState> awaitApplied(long index) {
        FederationState now = state();
        if (now.appliedIndex() >= index) {
            return CompletableFuture.completedFuture(now);
        }
        CompletableFuture<FederationState> waiter =
                appliedWaiters.computeIfAbsent(index, i -> new CompletableFuture<>());
        onApplied(state());
        return waiter;
    }

    private void onApplied(FederationState s) {
        Iterator<Map.Entry<Long, CompletableFuture<FederationState>>> it =
                appliedWaiters.headMap(s.appliedIndex(), true).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, CompletableFuture<FederationState>> e = it.next();
            it.remove();
            e.getValue().complete(s);
        }
    }
}
