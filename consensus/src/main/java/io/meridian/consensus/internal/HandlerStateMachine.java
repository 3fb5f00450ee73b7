package io.meridian.consensus.internal;

import io.meridian.consensus.ConsensusException;
import io.meridian.consensus.ConsensusException.Reason;
import io.meridian.consensus.StateMachineHandler;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link StateMachineHandler} as a Ratis state machine.
 *
 * <p>Ratis calls {@link #applyTransaction} on its single apply thread, in log order; the handler
 * is called synchronously there. Snapshots are single files {@code snapshot.<term>_<index>} (with
 * an {@code .md5} beside them) in the Ratis state machine directory, managed by
 * {@link SimpleStateMachineStorage}; that is where Ratis looks for the files it sends to a follower
 * that needs a snapshot installed, and where it puts the files it receives before calling
 * {@link #reinitialize}.
 *
 * <p>An exception from {@code handler.apply} is fatal: the entry's future fails with
 * {@link Reason#APPLY_FAILED}, {@code onFatal} is told so that the member can stop, and from then
 * on nothing is applied and no snapshot is written, so that a half-applied state is never
 * persisted. The log still holds the failed entry, so a restart after the bug is fixed applies it.
 */
final class HandlerStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(HandlerStateMachine.class);
    /** Suffix of a snapshot file being written; renamed without it once complete and synced. */
    private static final String UNFINISHED_SUFFIX = ".writing";

    private final String name;
    private final StateMachineHandler handler;
    private final Consumer<ConsensusException> onFatal;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final AppliedIndexWaiters appliedWaiters;

    private volatile ConsensusException fatal;

    /**
     * @param name how this member and group appear in log messages and errors
     * @param onFatal told, on the apply thread, when the handler fails to apply an entry; must not block
     * @param completionExecutor completes the futures returned by {@link #awaitApplied}
     */
    HandlerStateMachine(String name, StateMachineHandler handler, Consumer<ConsensusException> onFatal,
            Executor completionExecutor) {
        this.name = name;
        this.handler = handler;
        this.onFatal = onFatal;
        this.appliedWaiters = new AppliedIndexWaiters(completionExecutor);
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        deleteUnfinishedSnapshots(raftStorage.getStorageDir().getStateMachineDir().toPath());
        getLifeCycle().startAndTransition(() -> loadSnapshot(storage.getLatestSnapshot()), IOException.class);
    }

    /** Called by Ratis right before it replaces the snapshot files with ones installed from the leader. */
    @Override
    public void pause() {
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.compareAndTransition(LifeCycle.State.RUNNING, LifeCycle.State.PAUSING)) {
            lifeCycle.transition(LifeCycle.State.PAUSED);
        }
    }

    /** Called by Ratis, on the apply thread, after a snapshot was installed from the leader. */
    @Override
    public void reinitialize() throws IOException {
        // The installed files replaced the directory, so rescan it rather than trust the cached latest.
        SingleFileSnapshotInfo installed = storage.loadLatestSnapshot();
        if (installed == null) {
            throw new IOException(name + ": asked to reload after a snapshot install, but "
                    + "the state machine directory holds no snapshot");
        }
        getLifeCycle().startAndTransition(() -> loadSnapshot(installed), IOException.class);
    }

    private void loadSnapshot(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        Path file = snapshot.getFile().getPath();
        MD5Hash digest = snapshot.getFile().getFileDigest();
        if (digest != null) {
            MD5FileUtil.verifySavedMD5(file.toFile(), digest);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            handler.readSnapshot(in);
        }
        setLastAppliedTermIndex(snapshot.getTermIndex());
        appliedWaiters.advanceTo(snapshot.getIndex());
        LOG.info("{}: loaded snapshot {} from {}", name, snapshot.getTermIndex(), file);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        ConsensusException stopped = fatal;
        if (stopped != null) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.APPLY_FAILED,
                    name + ": entry " + index + " was not applied: this member is stopping after "
                            + "an earlier apply failure", stopped));
        }
        byte[] result;
        try {
            result = handler.apply(index, Messages.toBytes(entry.getStateMachineLogEntry().getLogData()));
        } catch (Throwable t) { // any failure leaves the state unknown: fail-stop rather than drift
            ConsensusException failure = new ConsensusException(Reason.APPLY_FAILED,
                    name + ": the state machine failed to apply the command at index " + index
                            + " (" + t + "); this member stops rather than drift from its peers, "
                            + "fix the handler and restart it to re-apply the entry",
                    t);
            fatal = failure;
            LOG.error("FATAL {}", failure.getMessage(), t);
            appliedWaiters.failAll(failure);
            onFatal.accept(failure);
            return CompletableFuture.failedFuture(failure);
        }
        updateLastAppliedTermIndex(entry.getTerm(), index);
        return CompletableFuture.completedFuture(Messages.toMessage(result == null ? new byte[0] : result));
    }

    /** Called for configuration and metadata entries, which advance the applied index without the handler. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        if (fatal == null) {
            super.notifyTermIndexUpdated(term, index);
        }
    }

    @Override
    protected boolean updateLastAppliedTermIndex(TermIndex newTermIndex) {
        boolean updated = super.updateLastAppliedTermIndex(newTermIndex);
        appliedWaiters.advanceTo(newTermIndex.getIndex());
        return updated;
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            byte kind = Messages.queryKind(request);
            switch (kind) {
                case Messages.HANDLER_QUERY:
                    byte[] answer = handler.query(Messages.handlerQueryPayload(request));
                    return CompletableFuture.completedFuture(Messages.toMessage(answer == null ? new byte[0] : answer));
                case Messages.APPLIED_INDEX_QUERY:
                    return CompletableFuture.completedFuture(Messages.appliedIndexAnswer(appliedIndex()));
                default:
                    throw new IllegalArgumentException("unknown query kind " + kind);
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: query failed", name, e);
            // Ratis answers a query that failed with a StateMachineException; any other exception
            // fails the RPC, and the client would retry the query until it times out.
            return CompletableFuture.failedFuture(new StateMachineException(
                    name + ": the state machine failed to answer a query: " + e, e));
        }
    }

    /**
     * Writes the handler's state to {@code snapshot.<term>_<index>}; called by Ratis on the apply
     * thread, between two applies, so the state matches the last applied index.
     */
    @Override
    public long takeSnapshot() throws IOException {
        if (fatal != null) {
            throw new IOException(name + ": no snapshot is taken after an apply failure", fatal);
        }
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() <= RaftLog.INVALID_LOG_INDEX) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path temp = target.toPath().resolveSibling(target.getName() + UNFINISHED_SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel))) {
                handler.writeSnapshot(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            // Not fatal: writing a snapshot does not change the state, so the member keeps applying.
            throw new IOException(name + ": failed to write snapshot " + last + " to " + target, e);
        }
        MD5Hash digest = MD5FileUtil.computeAndSaveMd5ForFile(target);
        syncDirectory(target.toPath().getParent());
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), digest), last));
        LOG.info("{}: wrote snapshot {} to {}", name, last, target);
        return last.getIndex();
    }

    /** Deletes snapshot files whose writing was cut short, for example by a crash. */
    private void deleteUnfinishedSnapshots(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> unfinished = Files.newDirectoryStream(directory, "snapshot.*" + UNFINISHED_SUFFIX)) {
            for (Path file : unfinished) {
                LOG.info("{}: deleting unfinished snapshot {}", name, file);
                Files.deleteIfExists(file);
            }
        }
    }

    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename is then as durable as they make it.
            LOG.debug("could not sync directory {}", directory, e);
        }
    }

    /** Returns the index of the last entry applied, including configuration and metadata entries. */
    long appliedIndex() {
        TermIndex last = getLastAppliedTermIndex();
        return last == null ? RaftLog.INVALID_LOG_INDEX : last.getIndex();
    }

    /** Returns a future completed, on the completion executor, once {@code index} has been applied. */
    CompletableFuture<Void> awaitApplied(long index) {
        return appliedWaiters.await(index);
    }

    /** Fails every waiter, for example because the member closes. */
    void failWaiters(Throwable cause) {
        appliedWaiters.failAll(cause);
    }
}
