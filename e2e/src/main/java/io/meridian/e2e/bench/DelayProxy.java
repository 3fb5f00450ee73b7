package io.meridian.e2e.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that delays every byte by a fixed one-way delay in each direction, as a
 * WAN link would: the benches' stand-in for netem, which this machine's kernel lacks.
 *
 * <p>Each accepted connection is forwarded to the target over a connection of its own. Per
 * direction, a reader thread stamps each chunk it reads with its arrival time and queues it; a
 * writer thread sends each chunk once {@code arrival + delay} has passed. Chunks keep their order,
 * and a chunk's delay runs while later chunks are being read, so the delay adds latency without
 * pacing throughput (up to {@link #MAX_IN_FLIGHT_BYTES} in flight per direction, as a link's
 * buffers would hold). An end of stream is delayed like data and then passed on as a half-close.
 */
final class DelayProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DelayProxy.class);

    /** How many bytes one direction of one connection holds back at most before it stops reading. */
    static final int MAX_IN_FLIGHT_BYTES = 64 << 20;

    private static final int CHUNK_BYTES = 64 * 1024;

    /** Queued after a failed read: the writer stops without passing anything on. */
    private static final Chunk CUT = new Chunk(new byte[0], 0, 0);

    private enum State { RUNNING, CLOSED }

    private final InetSocketAddress target;
    private final long delayNanos;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile State state = State.RUNNING;

    private DelayProxy(InetSocketAddress target, Duration oneWayDelay, ServerSocket server) {
        this.target = target;
        this.delayNanos = oneWayDelay.toNanos();
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "delay-proxy-accept-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts a proxy on an ephemeral loopback port that forwards to {@code target} with
     * {@code oneWayDelay} added in each direction. The target need not be listening yet: the
     * proxy connects to it for each connection it accepts, and closes that connection if it cannot.
     */
    static DelayProxy start(InetSocketAddress target, Duration oneWayDelay) throws IOException {
        checkArgument(!oneWayDelay.isNegative(), "oneWayDelay must not be negative, was %s", oneWayDelay);
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        DelayProxy proxy = new DelayProxy(target, oneWayDelay, server);
        proxy.acceptor.start();
        return proxy;
    }

    /** Returns the port clients connect to. */
    int port() {
        return server.getLocalPort();
    }

    /** Returns {@code host:port} clients connect to. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + port();
    }

    /** Returns how many connections this proxy has accepted. */
    int connectionsAccepted() {
        return connections.get();
    }

    /** Stops accepting and cuts every open connection. Closing twice does nothing. */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeQuietly(server);
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    private void acceptLoop() {
        while (state == State.RUNNING) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (state == State.RUNNING) {
                    log.warn("Delay proxy on port {} stopped accepting", port(), e);
                }
                return;
            }
            connections.incrementAndGet();
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                log.debug("Delay proxy cannot reach {}: {}", target, e.toString());
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            if (state == State.CLOSED) {
                close();
                return;
            }
            Link link = new Link(client, upstream);
            String name = port() + "#" + connections.get();
            pipe(link, client, upstream, name + "-up");
            pipe(link, upstream, client, name + "-down");
        }
    }

    /** Starts the two threads that carry {@code from}'s bytes to {@code to}, each the delay late. */
    private void pipe(Link link, Socket from, Socket to, String name) {
        LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Semaphore room = new Semaphore(MAX_IN_FLIGHT_BYTES);
        Thread reader = new Thread(() -> read(link, from, queue, room), "delay-proxy-read-" + name);
        Thread writer = new Thread(() -> write(link, to, queue, room), "delay-proxy-write-" + name);
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private void read(Link link, Socket from, LinkedBlockingQueue<Chunk> queue, Semaphore room) {
        try {
            InputStream in = from.getInputStream();
            while (true) {
                byte[] buf = new byte[CHUNK_BYTES];
                int n = in.read(buf);
                long arrived = System.nanoTime();
                if (n < 0) {
                    queue.add(new Chunk(new byte[0], 0, arrived));
                    return;
                }
                while (!room.tryAcquire(n, 100, TimeUnit.MILLISECONDS)) {
                    if (from.isClosed()) {
                        queue.add(CUT);
                        return;
                    }
                }
                queue.add(new Chunk(buf, n, arrived));
            }
        } catch (IOException e) {
            // Reset, or cut by close(): cut the whole connection, as a broken link would.
            link.cut();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            link.cut();
        }
        queue.add(CUT);
    }

    private void write(Link link, Socket to, LinkedBlockingQueue<Chunk> queue, Semaphore room) {
        try {
            OutputStream out = to.getOutputStream();
            while (true) {
                Chunk c = queue.take();
                if (c == CUT) {
                    return;
                }
                long due = c.arrivedNanos + delayNanos;
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                if (c.length == 0) {
                    to.shutdownOutput();
                    link.directionEnded();
                    return;
                }
                out.write(c.data, 0, c.length);
                out.flush();
                room.release(c.length);
            }
        } catch (IOException e) {
            link.cut();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            link.cut();
        }
    }

    /** One proxied connection: the accepted socket and the one to the target. */
    private final class Link {
        private final Socket client;
        private final Socket upstream;
        private final AtomicInteger ended = new AtomicInteger();

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        /** Called once per direction that ended cleanly; after both, the sockets are closed. */
        void directionEnded() {
            if (ended.incrementAndGet() == 2) {
                cut();
            }
        }

        void cut() {
            closeQuietly(client);
            closeQuietly(upstream);
            sockets.remove(client);
            sockets.remove(upstream);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing; nothing to do about it
        }
    }

    /** Bytes read at {@code arrivedNanos}; length 0 marks the end of the stream. */
    private record Chunk(byte[] data, int length, long arrivedNanos) {}
}
