package io.meridian.e2e.bench;

import java.util.Arrays;

/** Collects the latencies of one case and the time spent running it. */
final class Latencies {

    private long[] nanos = new long[1024];
    private int count;
    private long busyNanos;
    private long bytes;

    synchronized void add(long latencyNanos, long objectBytes) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = latencyNanos;
        bytes += objectBytes;
    }

    synchronized void addBusy(long wallNanos) {
        busyNanos += wallNanos;
    }

    synchronized BenchReport.Row row(String name) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        double seconds = busyNanos / 1e9;
        return new BenchReport.Row(name, count, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
                seconds == 0 ? 0 : count / seconds, seconds == 0 ? 0 : bytes / seconds / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(i, sorted.length - 1))];
    }
}
