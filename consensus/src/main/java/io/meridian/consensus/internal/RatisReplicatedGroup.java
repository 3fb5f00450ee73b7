package io.meridian.consensus.internal;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.meridian.consensus.ConsensusException;
import io.meridian.consensus.ConsensusException.Reason;
import io.meridian.consensus.Member;
import io.meridian.consensus.ReplicatedGroup;
import io.meridian.consensus.StateMachineHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.ExitUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReplicatedGroup} member backed by one Apache Ratis server (gRPC transport) and one Ratis
 * client, which finds the leader itself and retries through elections.
 *
 * <p>Lifecycle: {@code NEW -> STARTING -> RUNNING -> CLOSED}, and {@code RUNNING -> FAILED -> CLOSED}
 * when the handler fails to apply a command (nothing is applied from then on, the Ratis server is
 * closed after {@link #FAIL_STOP_GRACE}, and {@link #close} still has to be called to release the
 * rest). Requests made in any state but {@code RUNNING} fail with {@link Reason#CLOSED}.
 */
public final class RatisReplicatedGroup implements ReplicatedGroup {

    private static final Logger LOG = LoggerFactory.getLogger(RatisReplicatedGroup.class);

    /** How long {@link #takeSnapshot} lets Ratis take a snapshot; large states take a while to write. */
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(5);
    /**
     * How long the Ratis server keeps running after an apply failure before it is closed. Nothing is
     * applied meanwhile; the pause only lets the reply of the failed entry reach its client.
     */
    static final Duration FAIL_STOP_GRACE = Duration.ofSeconds(1);
    /** Pause before a failed linearizable read is tried again. */
    static final Duration READ_RETRY_DELAY = Duration.ofMillis(100);

    private enum State { NEW, STARTING, RUNNING, FAILED, CLOSED }

    private final String groupName;
    private final String selfId;
    private final List<Member> initialMembers;
    private final Path storageDir;
    private final Duration electionTimeoutMin;
    private final Duration electionTimeoutMax;
    private final long snapshotEvery;
    private final Duration requestTimeout;

    private final RaftGroupId groupId;
    private final RaftPeerId peerId;
    private final String name;
    private final HandlerStateMachine stateMachine;
    /** Runs blocking Ratis admin calls and completes barrier waiters (never on the apply thread). */
    private final ExecutorService asyncExecutor;
    /** Enforces request deadlines, retries reads, and times the closing of retired clients and the fail-stop. */
    private final ScheduledThreadPoolExecutor scheduler;

    private final Object lifecycleLock = new Object();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final AtomicReference<ConsensusException> fatal = new AtomicReference<>();
    private final AtomicReference<RaftClient> client = new AtomicReference<>();
    /** Clients replaced after a failure, closed once their last requests have timed out. Guarded by itself. */
    private final Set<RaftClient> retiredClients = new HashSet<>();
    private volatile RaftServer server;
    private final AtomicReference<CompletableFuture<Void>> serverClosed = new AtomicReference<>();

    public RatisReplicatedGroup(String groupName, String selfId, List<Member> members, Path storageDir,
            StateMachineHandler handler, Duration electionTimeoutMin, Duration electionTimeoutMax,
            long snapshotEvery, Duration requestTimeout) {
        checkArgument(members.stream().map(Member::id).distinct().count() == members.size(),
                "group %s: member ids must be distinct, got %s", groupName, members);
        this.groupName = groupName;
        this.selfId = selfId;
        this.initialMembers = List.copyOf(members);
        this.storageDir = storageDir;
        this.electionTimeoutMin = electionTimeoutMin;
        this.electionTimeoutMax = electionTimeoutMax;
        this.snapshotEvery = snapshotEvery;
        this.requestTimeout = requestTimeout;

        this.groupId = groupIdOf(groupName);
        this.peerId = RaftPeerId.valueOf(selfId);
        this.name = "group " + groupName + " member " + selfId;
        String threadPrefix = "consensus-" + groupName + "-" + selfId;
        this.asyncExecutor = Executors.newCachedThreadPool(daemonThreads(threadPrefix + "-async-%d"));
        this.scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads(threadPrefix + "-scheduler-%d"));
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.stateMachine = new HandlerStateMachine(name, handler, this::failStop, asyncExecutor);
    }

    /** Derives the Ratis group id from the group name, the same way on every member. */
    static RaftGroupId groupIdOf(String groupName) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
                ("meridian-consensus-group:" + groupName).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void start() throws IOException {
        synchronized (lifecycleLock) {
            if (!state.compareAndSet(State.NEW, State.STARTING)) {
                throw new IllegalStateException(name + ": start() called on a member that is " + state.get()
                        + "; a member starts once, build a new one to start again");
            }
            RatisProcessGuard.install();
            boolean recover = Files.isDirectory(storageDir.resolve(groupId.getUuid().toString()));
            int port = portOf(self());
            try {
                Files.createDirectories(storageDir);
                RaftServer newServer = RaftServer.newBuilder()
                        .setServerId(peerId)
                        .setGroup(RaftGroup.valueOf(groupId, toPeers(initialMembers)))
                        .setStateMachine(stateMachine)
                        .setProperties(RatisProperties.forServer(storageDir, port,
                                electionTimeoutMin, electionTimeoutMax, snapshotEvery, requestTimeout))
                        .setOption(recover ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                        .build();
                server = newServer;
                newServer.start();
                client.set(newClient(RaftGroup.valueOf(groupId, toPeers(initialMembers))));
            } catch (ExitUtils.ExitException e) {
                state.set(State.CLOSED);
                releaseResources();
                throw new IOException(name + ": the Ratis server could not start listening on port " + port
                        + " (is another process using it?)", e);
            } catch (IOException | RuntimeException e) {
                state.set(State.CLOSED);
                releaseResources();
                throw e;
            }
            if (!state.compareAndSet(State.STARTING, State.RUNNING)) {
                LOG.error("{}: started, but is {} already (an apply failed while replaying the log)", name, state.get());
                return;
            }
            LOG.info("{}: started ({} storage in {}), members {}", name, recover ? "recovered" : "new",
                    storageDir, initialMembers);
        }
    }

    @Override
    public CompletableFuture<byte[]> submit(byte[] command) {
        if (command == null) {
            return CompletableFuture.failedFuture(new NullPointerException("command"));
        }
        Optional<ConsensusException> notRunning = checkRunning("submit");
        if (notRunning.isPresent()) {
            return CompletableFuture.failedFuture(notRunning.get());
        }
        RaftClient used = client.get();
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        sendSafely(() -> used.async().send(Messages.toMessage(command))).whenComplete((reply, error) -> {
            if (error == null) {
                result.complete(Messages.toBytes(reply.getMessage()));
                return;
            }
            ConsensusException failure = toConsensusException(error, "submit", Reason.APPLY_FAILED);
            if (failure.reason() == Reason.UNAVAILABLE) {
                // A Ratis client fails every later ordered request once one has failed: replace it.
                retire(used);
            }
            result.completeExceptionally(failure);
        });
        // Ratis gives up after the request timeout too, but only when an attempt fails, which can be
        // seconds late (resetting a gRPC channel blocks for up to 3 s): the deadline bounds the wait.
        // Later submits must not queue behind the late one, which will break the client: replace it now.
        return withDeadline("submit", result, () -> retire(used));
    }

    @Override
    public CompletableFuture<byte[]> query(byte[] query) {
        if (query == null) {
            return CompletableFuture.failedFuture(new NullPointerException("query"));
        }
        Optional<ConsensusException> notRunning = checkRunning("query");
        if (notRunning.isPresent()) {
            return CompletableFuture.failedFuture(notRunning.get());
        }
        return withDeadline("query", linearizableRead(Messages.handlerQuery(query), "query", deadline()), () -> { })
                .thenApply(Messages::toBytes);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Asks the leader, with a linearizable read made after this call, for the index it has
     * applied, then waits for this member's apply thread to reach that index. Completes on an
     * executor of this member, never on the apply thread; fails with {@link Reason#UNAVAILABLE} if
     * that takes longer than the request timeout.
     */
    @Override
    public CompletableFuture<Void> barrier() {
        Optional<ConsensusException> notRunning = checkRunning("barrier");
        if (notRunning.isPresent()) {
            return CompletableFuture.failedFuture(notRunning.get());
        }
        return withDeadline("barrier",
                linearizableRead(Messages.appliedIndexQuery(), "barrier", deadline())
                        .thenApply(Messages::parseAppliedIndexAnswer)
                        .thenCompose(stateMachine::awaitApplied),
                () -> { });
    }

    @Override
    public long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    @Override
    public String selfId() {
        return selfId;
    }

    @Override
    public Optional<String> leaderId() {
        return division().map(d -> d.getInfo().getLeaderId()).map(RaftPeerId::toString);
    }

    @Override
    public boolean isServing() {
        return state.get() == State.RUNNING && division().map(d -> d.getInfo().isAlive()).orElse(false);
    }

    @Override
    public Role role() {
        return division().map(d -> toRole(d.getInfo())).orElse(Role.UNKNOWN);
    }

    @Override
    public List<Member> members() {
        return division()
                .map(d -> toMembers(d.getRaftConf().getCurrentPeers()))
                .orElse(initialMembers);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Fails with {@link Reason#UNAVAILABLE} if the configuration was not committed within the
     * request timeout; the leader may still commit it later (bringing a new member up to date can
     * take long), and calling again with the same members is safe.
     */
    @Override
    public CompletableFuture<Void> setMembers(List<Member> members) {
        if (members == null || members.isEmpty()
                || members.stream().map(Member::id).distinct().count() != members.size()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    name + ": setMembers needs a non-empty list of members with distinct ids, got " + members));
        }
        Optional<ConsensusException> notRunning = checkRunning("setMembers");
        if (notRunning.isPresent()) {
            return CompletableFuture.failedFuture(notRunning.get());
        }
        List<RaftPeer> peers = toPeers(members);
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            asyncExecutor.execute(() -> {
                try {
                    RaftClientReply reply = client.get().admin().setConfiguration(peers);
                    if (!reply.isSuccess()) {
                        throw new IOException("setConfiguration was refused: " + reply);
                    }
                    LOG.info("{}: members set to {}", name, members);
                    result.complete(null);
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(toConsensusException(e, "setMembers " + members, Reason.UNAVAILABLE));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(notRunningException("setMembers"));
        }
        return result;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The snapshot is taken by this member's apply thread, between two applies; this asks the
     * local Ratis server directly, not the leader.
     */
    @Override
    public CompletableFuture<Long> takeSnapshot() {
        Optional<ConsensusException> notRunning = checkRunning("takeSnapshot");
        if (notRunning.isPresent()) {
            return CompletableFuture.failedFuture(notRunning.get());
        }
        SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(ClientId.randomId(), peerId,
                groupId, CallId.getAndIncrement(), SNAPSHOT_TIMEOUT.toMillis(), 1);
        CompletableFuture<Long> result = new CompletableFuture<>();
        RaftServer current = server;
        sendSafely(() -> current.snapshotManagementAsync(request)).whenComplete((reply, error) -> {
            if (error == null && reply.isSuccess()) {
                result.complete(reply.getLogIndex());
            } else {
                Throwable cause = error != null ? error : reply.getException();
                result.completeExceptionally(new ConsensusException(
                        state.get() == State.RUNNING ? Reason.UNAVAILABLE : Reason.CLOSED,
                        name + ": failed to take a snapshot: " + cause, cause));
            }
        });
        return result;
    }

    @Override
    public void close() {
        synchronized (lifecycleLock) {
            State previous = state.getAndSet(State.CLOSED);
            if (previous == State.CLOSED) {
                return;
            }
            LOG.info("{}: closing (was {})", name, previous);
            releaseResources();
        }
    }

    @Override
    public String toString() {
        return "RatisReplicatedGroup{" + name + ", " + state.get() + "}";
    }

    /** Returns the first index still in this member's log; earlier entries were purged after a snapshot. */
    long logStartIndex() {
        return division().map(d -> d.getRaftLog().getStartIndex()).orElse(-1L);
    }

    /** Stops the server after the handler failed to apply an entry; called on the apply thread. */
    private void failStop(ConsensusException cause) {
        fatal.compareAndSet(null, cause);
        State previous = state.getAndUpdate(s -> s == State.RUNNING || s == State.STARTING ? State.FAILED : s);
        LOG.error("{}: stopping after an apply failure (was {})", name, previous);
        RaftServer current = server;
        if (current == null) {
            return;
        }
        // Not on the apply thread, which closing the server waits for; and after a grace period, so
        // that the failed entry's reply reaches its client before the server's streams are cut.
        try {
            scheduler.schedule(() -> startThread("fail-stop", this::closeServer),
                    FAIL_STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Closing already: releaseResources() closes the server.
        }
    }

    /**
     * Closes the Ratis server once; a second caller waits for the first to finish, so that when
     * {@link #close} returns the port and the storage lock are free.
     */
    private void closeServer() {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> first = serverClosed.compareAndExchange(null, mine);
        if (first != null) {
            first.join();
            return;
        }
        try {
            RaftServer current = server;
            if (current != null) {
                closeQuietly(current, "server");
            }
        } finally {
            mine.complete(null);
        }
    }

    private void releaseResources() {
        stateMachine.failWaiters(notRunningException("request"));
        List<RaftClient> clients = new ArrayList<>();
        RaftClient current = client.getAndSet(null);
        if (current != null) {
            clients.add(current);
        }
        synchronized (retiredClients) {
            clients.addAll(retiredClients);
            retiredClients.clear();
        }
        closeInBackground(clients);
        asyncExecutor.shutdownNow();
        // Scheduled work is quick: run it now rather than drop it. Deadlines and read retries then
        // fail their requests with CLOSED, so that no future is left pending.
        scheduler.shutdownNow().forEach(Runnable::run);
        // Synchronous: the port and the storage lock are free once close() returns.
        closeServer();
    }

    /**
     * Closes Ratis clients on a thread of their own: a client shuts its gRPC channels down
     * gracefully, which waits up to a few seconds per channel that still has an open stream.
     */
    private void closeInBackground(List<RaftClient> clients) {
        if (!clients.isEmpty()) {
            startThread("client-closer", () -> clients.forEach(c -> closeQuietly(c, "client")));
        }
    }

    private void startThread(String role, Runnable task) {
        Thread thread = new Thread(task, "consensus-" + groupName + "-" + selfId + "-" + role);
        thread.setDaemon(true);
        thread.start();
    }

    private void closeQuietly(AutoCloseable closeable, String what) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("{}: failed to close the Ratis {}", name, what, e);
        }
    }

    /**
     * Replaces {@code broken} by a fresh client, and closes {@code broken} once the requests it may
     * still carry have timed out.
     */
    private void retire(RaftClient broken) {
        if (state.get() != State.RUNNING) {
            return;
        }
        RaftClient fresh;
        try {
            fresh = newClient(currentGroup());
        } catch (RuntimeException e) {
            LOG.warn("{}: could not create a new Ratis client", name, e);
            return;
        }
        if (!client.compareAndSet(broken, fresh)) {
            closeQuietly(fresh, "client");
            return;
        }
        LOG.info("{}: replaced the Ratis client after a failed request", name);
        synchronized (retiredClients) {
            retiredClients.add(broken);
        }
        try {
            scheduler.schedule(() -> {
                boolean owned;
                synchronized (retiredClients) {
                    owned = retiredClients.remove(broken);
                }
                if (owned) {
                    closeInBackground(List.of(broken));
                }
            }, requestTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Closing: releaseResources() closes the retired clients.
        }
    }

    private RaftClient newClient(RaftGroup group) {
        return RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(group)
                .setProperties(RatisProperties.forClient(requestTimeout))
                .setRetryPolicy(RatisProperties.clientRetryPolicy(requestTimeout))
                .build();
    }

    private RaftGroup currentGroup() {
        return division().map(RaftServer.Division::getGroup)
                .orElseGet(() -> RaftGroup.valueOf(groupId, toPeers(initialMembers)));
    }

    /**
     * Sends a linearizable read to the leader this member knows of, trying again after transient
     * failures, such as a read started just before an election, until {@code deadlineNanos}.
     *
     * <p>Naming the leader matters for latency, not for correctness: a Ratis server answers a
     * linearizable read even as a follower (it asks the leader for the commit index, then waits to
     * apply up to it, which takes until the leader's next heartbeat tells it that index is committed),
     * and the Ratis client never learns from a read that it asked a follower.
     */
    private CompletableFuture<Message> linearizableRead(Message request, String operation, long deadlineNanos) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        attemptRead(request, operation, deadlineNanos, result);
        return result;
    }

    private void attemptRead(Message request, String operation, long deadlineNanos, CompletableFuture<Message> result) {
        RaftClient used = client.get();
        if (used == null || state.get() != State.RUNNING) {
            result.completeExceptionally(notRunningException(operation));
            return;
        }
        RaftPeerId leader = division().map(d -> d.getInfo().getLeaderId()).orElse(null);
        sendSafely(() -> used.async().sendReadOnlyUnordered(request, leader)).whenComplete((reply, error) -> {
            if (error == null) {
                result.complete(reply.getMessage());
                return;
            }
            ConsensusException failure = toConsensusException(error, operation, Reason.QUERY_FAILED);
            if (isClientClosed(error)) {
                // Like an ordered request, a failed read can leave the client closed for good.
                retire(used);
            }
            long remaining = deadlineNanos - System.nanoTime();
            if (failure.reason() != Reason.UNAVAILABLE || remaining <= READ_RETRY_DELAY.toNanos()) {
                result.completeExceptionally(failure);
                return;
            }
            LOG.debug("{}: {} failed, trying again: {}", name, operation, failure.getMessage());
            try {
                scheduler.schedule(() -> attemptRead(request, operation, deadlineNanos, result),
                        READ_RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(notRunningException(operation));
            }
        });
    }

    private static boolean isClientClosed(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException) {
                return true;
            }
        }
        return false;
    }

    private long deadline() {
        return System.nanoTime() + requestTimeout.toNanos();
    }

    /**
     * Returns a future that fails with {@link Reason#UNAVAILABLE}, and runs {@code onTimeout}, if
     * {@code future} is not done within the request timeout.
     */
    private <T> CompletableFuture<T> withDeadline(String operation, CompletableFuture<T> future, Runnable onTimeout) {
        CompletableFuture<T> result = new CompletableFuture<>();
        ScheduledFuture<?> timeout;
        try {
            timeout = scheduler.schedule(() -> {
                ConsensusException failure = state.get() == State.RUNNING
                        ? unavailable(operation, null)
                        : notRunningException(operation);
                if (result.completeExceptionally(failure)) {
                    onTimeout.run();
                }
            }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(notRunningException(operation));
        }
        future.whenComplete((value, error) -> {
            timeout.cancel(false);
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(unwrap(error));
            }
        });
        return result;
    }

    /** Calls {@code send}, turning an exception it throws into a failed future. */
    private static <T> CompletableFuture<T> sendSafely(Supplier<CompletableFuture<T>> send) {
        try {
            return send.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Translates a failure of a Ratis request. A state machine exception carried back from the
     * leader becomes {@code stateMachineReason}; anything else while running means the group could
     * not be reached in time.
     */
    private ConsensusException toConsensusException(Throwable error, String operation, Reason stateMachineReason) {
        Throwable cause = unwrap(error);
        if (cause instanceof ConsensusException) {
            return (ConsensusException) cause;
        }
        if (cause instanceof StateMachineException) {
            return new ConsensusException(stateMachineReason,
                    name + ": " + operation + " failed in the state machine: " + cause.getMessage(), cause);
        }
        if (state.get() != State.RUNNING) {
            ConsensusException closed = notRunningException(operation);
            closed.addSuppressed(cause);
            return closed;
        }
        return unavailable(operation, cause);
    }

    private ConsensusException unavailable(String operation, Throwable cause) {
        String why = cause instanceof RaftRetryFailureException || cause == null
                ? "no leader completed it"
                : "it failed (" + cause + ")";
        return new ConsensusException(Reason.UNAVAILABLE,
                "group " + groupName + ": " + operation + " from member " + selfId + " did not complete within "
                        + "the request timeout of " + requestTimeout.toMillis() + " ms: " + why
                        + "; a majority of " + memberIds() + " may be down or unreachable, retry later",
                cause);
    }

    private Optional<ConsensusException> checkRunning(String operation) {
        return state.get() == State.RUNNING ? Optional.empty() : Optional.of(notRunningException(operation));
    }

    private ConsensusException notRunningException(String operation) {
        State current = state.get();
        ConsensusException cause = fatal.get();
        String why = switch (current) {
            case NEW, STARTING -> "it is not started yet (call start() first)";
            case FAILED -> "it stopped after an apply failure";
            case CLOSED -> cause != null ? "it stopped after an apply failure and is closed" : "it is closed";
            case RUNNING -> "it stopped while the request was in flight";
        };
        return new ConsensusException(Reason.CLOSED, name + ": cannot " + operation + ": " + why, cause);
    }

    private Optional<RaftServer.Division> division() {
        RaftServer current = server;
        if (current == null || state.get() != State.RUNNING) {
            return Optional.empty();
        }
        try {
            return Optional.of(current.getDivision(groupId));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private List<String> memberIds() {
        return members().stream().map(Member::id).toList();
    }

    private Member self() {
        return initialMembers.stream().filter(m -> m.id().equals(selfId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        name + ": self id " + selfId + " is not one of the members " + initialMembers));
    }

    private static Role toRole(org.apache.ratis.server.DivisionInfo info) {
        return switch (info.getCurrentRole()) {
            case LEADER -> Role.LEADER;
            case FOLLOWER -> Role.FOLLOWER;
            case CANDIDATE -> Role.CANDIDATE;
            case LISTENER -> Role.LISTENER;
            default -> Role.UNKNOWN;
        };
    }

    private static int portOf(Member member) {
        String address = member.address();
        String port = address.substring(address.lastIndexOf(':') + 1);
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("member " + member.id() + ": address '" + address
                    + "' does not end with a port number", e);
        }
    }

    private static List<RaftPeer> toPeers(List<Member> members) {
        return members.stream()
                .map(m -> RaftPeer.newBuilder().setId(m.id()).setAddress(m.address()).build())
                .toList();
    }

    private static List<Member> toMembers(java.util.Collection<RaftPeer> peers) {
        return peers.stream().map(p -> new Member(p.getId().toString(), p.getAddress())).toList();
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String nameFormat) {
        return new ThreadFactoryBuilder().setNameFormat(nameFormat).setDaemon(true).build();
    }
}
