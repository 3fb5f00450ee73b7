package io.meridian.federation;

import static com.google.common.base.Preconditions.checkState;

import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.meridian.federation.internal.MeshService;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Serves the mesh (inter-site gRPC) on one port: the owner's side of forwarding and fetching.
 */
public final class MeshServer implements AutoCloseable {

    private final InetSocketAddress address;
    private final LocalSite site;
    private Server server;

    public MeshServer(InetSocketAddress address, LocalSite site) {
        this.address = address;
        this.site = site;
    }

    public synchronized void start() {
        checkState(server == null, "mesh server already started");
        server = Server.builder()
                .http(address)
                .service(GrpcService.builder()
                        .addService(new MeshService(site))
                        .maxRequestMessageLength(MeshClient.MAX_FRAME_BYTES + 65536)
                        .maxResponseMessageLength(MeshClient.MAX_FRAME_BYTES + 65536)
                        .build())
                // Forwarded bodies and fetched objects stream for as long as they need.
                .maxRequestLength(0)
                .http2InitialStreamWindowSize(MeshClient.STREAM_WINDOW)
                .http2InitialConnectionWindowSize(MeshClient.CONNECTION_WINDOW)
                .requestTimeoutMillis(0)
                .idleTimeout(Duration.ofMinutes(2))
                .gracefulShutdownTimeout(Duration.ZERO, Duration.ofSeconds(2))
                .build();
        server.start().join();
    }

    /** Returns the port actually bound (useful when started on port 0). */
    public synchronized int port() {
        checkState(server != null, "mesh server not started");
        return server.activeLocalPort();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop().join();
        }
    }
}
