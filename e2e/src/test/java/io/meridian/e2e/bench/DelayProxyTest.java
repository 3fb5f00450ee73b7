package io.meridian.e2e.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DelayProxy} against an echo server: bytes arrive intact and in order, never before the
 * delay, and a large transfer is not paced by the delay. The upper bounds are loose on purpose:
 * they tell a pipelined proxy from one that delays chunk after chunk, not how fast this machine is.
 */
class DelayProxyTest {

    private static final Duration DELAY = Duration.ofMillis(40);

    private static ServerSocket echo;
    private static DelayProxy proxy;

    @BeforeAll
    static void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(DelayProxyTest::serveEcho, "echo");
        t.setDaemon(true);
        t.start();
        proxy = DelayProxy.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()), DELAY);
    }

    @AfterAll
    static void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void roundTripTakesTheDelayEachWay() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] ping = {1, 2, 3, 4};
            byte[] back = new byte[4];
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                out.write(ping);
                out.flush();
                readFully(in, back);
                long rtt = System.nanoTime() - t0;
                assertThat(back).containsExactly(ping);
                assertThat(Duration.ofNanos(rtt))
                        .as("round trip %d", i)
                        .isGreaterThanOrEqualTo(DELAY.multipliedBy(2))
                        .isLessThan(DELAY.multipliedBy(2).plusSeconds(1));
            }
        }
    }

    @Test
    void largeTransferArrivesIntactAndIsNotPacedByTheDelay() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(42).nextBytes(data);
        Duration delay = Duration.ofMillis(100);
        try (DelayProxy slow = DelayProxy.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()), delay);
             Socket s = connect(slow)) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < data.length; off += 16 * 1024) {
                        out.write(data, off, Math.min(16 * 1024, data.length - off));
                    }
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = s.getInputStream().readAllBytes();
            long elapsed = System.nanoTime() - t0;
            sent.get(10, TimeUnit.SECONDS);
            assertThat(back).hasSize(data.length);
            assertThat(back).isEqualTo(data);
            // 16 MiB is at least 256 chunks of 64 KiB each way: delayed one after another, over 25 s.
            assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(delay.multipliedBy(2))
                    .isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void endOfStreamIsPassedOnAfterTheDelay() throws Exception {
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(DELAY.multipliedBy(2));
        }
    }

    @Test
    void aConnectionToAnAbsentTargetIsClosed() throws Exception {
        int unused;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            unused = s.getLocalPort();
        }
        try (DelayProxy nowhere = DelayProxy.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), unused), DELAY);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), nowhere.port())) {
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    private static Socket connect() throws IOException {
        return connect(proxy);
    }

    private static Socket connect(DelayProxy through) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), through.port());
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        return s;
    }

    private static void readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            assertThat(n).as("bytes before end of stream").isPositive();
            off += n;
        }
    }

    private static void serveEcho() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                s.setTcpNoDelay(true);
                Thread t = new Thread(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                        s.shutdownOutput();
                    } catch (IOException e) {
                        // the client went away
                    }
                }, "echo-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }
}
