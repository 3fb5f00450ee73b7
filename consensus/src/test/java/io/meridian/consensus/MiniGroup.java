package io.meridian.consensus;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * A replicated group of members in one JVM on loopback, for tests: each member has its own port,
 * storage directory and {@link KeyValueHandler}, and can be stopped and restarted on the same
 * directory.
 */
public final class MiniGroup implements AutoCloseable {

    /** Election timeouts short enough for fast tests, long enough for a busy 2-core machine. */
    public static final Duration ELECTION_TIMEOUT_MIN = Duration.ofMillis(500);
    public static final Duration ELECTION_TIMEOUT_MAX = Duration.ofMillis(1000);
    /** Deadline for a test's waits: generous, since other builds may share the machine. */
    public static final Duration PATIENCE = Duration.ofSeconds(60);

    private static final Random RANDOM = new Random();

    private final String groupName;
    private final Path root;
    private final UnaryOperator<ReplicatedGroupBuilder> settings;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, ReplicatedGroup> running = new ConcurrentHashMap<>();
    private final Map<String, KeyValueHandler> handlers = new ConcurrentHashMap<>();

    private MiniGroup(String groupName, Path root, UnaryOperator<ReplicatedGroupBuilder> settings) {
        this.groupName = groupName;
        this.root = root;
        this.settings = settings;
    }

    /** Creates members {@code m0..m(size-1)} on free loopback ports; starts none. */
    public static MiniGroup create(String groupName, Path root, int size, UnaryOperator<ReplicatedGroupBuilder> settings) {
        MiniGroup group = new MiniGroup(groupName, root, settings);
        for (int i = 0; i < size; i++) {
            group.addMember("m" + i);
        }
        return group;
    }

    /** Creates and starts every member, and waits for a leader. */
    public static MiniGroup start(String groupName, Path root, int size, UnaryOperator<ReplicatedGroupBuilder> settings) {
        MiniGroup group = create(groupName, root, size, settings);
        group.memberIds().forEach(group::start);
        group.awaitLeader();
        return group;
    }

    /** Adds a member with a fresh port and directory to the member list, without starting it. */
    public Member addMember(String id) {
        Member member = new Member(id, "127.0.0.1:" + freePort());
        members.put(id, member);
        return member;
    }

    public List<Member> memberList() {
        return List.copyOf(members.values());
    }

    public List<String> memberIds() {
        return List.copyOf(members.keySet());
    }

    /** Starts member {@code id} with a new handler, on its directory (kept from any earlier run). */
    public ReplicatedGroup start(String id) {
        KeyValueHandler handler = new KeyValueHandler();
        ReplicatedGroup group = settings.apply(ReplicatedGroup.builder()
                        .electionTimeout(ELECTION_TIMEOUT_MIN, ELECTION_TIMEOUT_MAX))
                .groupName(groupName)
                .selfId(id)
                .members(memberList())
                .storageDir(root.resolve(id))
                .handler(handler)
                .build();
        try {
            group.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        handlers.put(id, handler);
        running.put(id, group);
        return group;
    }

    /** Closes member {@code id}, keeping its directory. */
    public void stop(String id) {
        ReplicatedGroup group = running.remove(id);
        if (group != null) {
            group.close();
        }
    }

    public ReplicatedGroup restart(String id) {
        stop(id);
        return start(id);
    }

    public ReplicatedGroup member(String id) {
        ReplicatedGroup group = running.get(id);
        if (group == null) {
            throw new IllegalArgumentException("member " + id + " is not running; running: " + running.keySet());
        }
        return group;
    }

    public KeyValueHandler handler(String id) {
        return handlers.get(id);
    }

    public List<ReplicatedGroup> runningMembers() {
        List<ReplicatedGroup> list = new ArrayList<>();
        for (String id : members.keySet()) {
            ReplicatedGroup group = running.get(id);
            if (group != null) {
                list.add(group);
            }
        }
        return list;
    }

    /** Waits until one running member leads and every running member knows it as the leader. */
    public ReplicatedGroup awaitLeader() {
        return await("a leader known to every running member").atMost(PATIENCE)
                .until(this::agreedLeader, leader -> leader != null);
    }

    private ReplicatedGroup agreedLeader() {
        List<ReplicatedGroup> leaders = runningMembers().stream()
                .filter(g -> g.role() == ReplicatedGroup.Role.LEADER).toList();
        if (leaders.size() != 1) {
            return null;
        }
        String leaderId = leaders.get(0).selfId();
        boolean agreed = runningMembers().stream()
                .allMatch(g -> g.leaderId().filter(leaderId::equals).isPresent());
        return agreed ? leaders.get(0) : null;
    }

    /** Returns a running member other than the leader. */
    public ReplicatedGroup aFollower() {
        String leaderId = awaitLeader().selfId();
        return runningMembers().stream().filter(g -> !g.selfId().equals(leaderId)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no running follower"));
    }

    /** Closes every running member, in parallel: closing a Ratis server takes about a second. */
    public void stopAll() {
        List.copyOf(running.keySet()).parallelStream().forEach(this::stop);
    }

    @Override
    public void close() {
        stopAll();
    }

    /**
     * Returns a port that is free now, chosen below the kernel's ephemeral range: a port from that
     * range ({@code new ServerSocket(0)}) can be handed to an outgoing connection while its member is
     * stopped, and the member then cannot restart on it.
     */
    static int freePort() {
        int ephemeralLow = ephemeralPortRangeStart();
        int low = 10_000;
        for (int attempt = 0; attempt < 100 && ephemeralLow - low > 1000; attempt++) {
            int port = low + RANDOM.nextInt(ephemeralLow - low);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int ephemeralPortRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
