package io.meridian.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Finds a base port whose whole demo layout (B+1..B+399) is free on loopback. */
public final class Ports {

    private Ports() {}

    public static int freeBasePort(int sites) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(400) * 100;
            if (allFree(base, sites)) {
                return base;
            }
        }
        throw new IllegalStateException("no free range of ports found for " + sites + " sites");
    }

    private static boolean allFree(int base, int sites) {
        for (int i = 1; i <= sites; i++) {
            for (int offset : new int[] {0, 100, 200, 300}) {
                if (!free(base + offset + i)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
