package io.meridian.e2e.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark's result in the one shape every bench writes (DESIGN.md "Benchmarks"): rows of
 * timings, ratios, other figures and targets; printed as a table and written as JSON.
 */
public final class BenchReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String bench;
    private final Map<String, Object> params = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Double> ratios = new LinkedHashMap<>();
    private final Map<String, Object> figures = new LinkedHashMap<>();
    private final Map<String, Target> targets = new LinkedHashMap<>();

    public BenchReport(String bench) {
        this.bench = bench;
    }

    /** One measured case. */
    public record Row(String name, long ops, double p50Ms, double p99Ms, double opsPerS, double mbPerS) {}

    /** A figure with its limit. */
    public record Target(double value, double limit, String op) {
        boolean met() {
            switch (op) {
                case "<=":
                    return value <= limit;
                case ">=":
                    return value >= limit;
                default:
                    return value == limit;
            }
        }
    }

    public BenchReport param(String name, Object value) {
        params.put(name, value);
        return this;
    }

    public BenchReport row(Row row) {
        rows.add(row);
        return this;
    }

    public BenchReport ratio(String name, double value) {
        ratios.put(name, round(value));
        return this;
    }

    public BenchReport figure(String name, Object value) {
        figures.put(name, value instanceof Double ? round((Double) value) : value);
        return this;
    }

    public BenchReport target(String name, double value, String op, double limit) {
        targets.put(name, new Target(round(value), limit, op));
        return this;
    }

    public List<Row> rows() {
        return rows;
    }

    public Row row(String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row " + name));
    }

    /** Prints the table. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-26s %8s %10s %10s %11s %10s%n", "case", "ops", "p50 ms", "p99 ms", "ops/s", "MB/s"));
        for (Row r : rows) {
            sb.append(String.format("%-26s %8d %10.3f %10.3f %11.1f %10.2f%n", r.name(), r.ops(), r.p50Ms(), r.p99Ms(),
                    r.opsPerS(), r.mbPerS()));
        }
        if (!ratios.isEmpty()) {
            sb.append(String.format("%nratios:%n"));
            ratios.forEach((k, v) -> sb.append(String.format("  %-44s %8.3f%n", k, v)));
        }
        if (!figures.isEmpty()) {
            sb.append(String.format("figures:%n"));
            figures.forEach((k, v) -> sb.append(String.format("  %-44s %s%n", k, v)));
        }
        if (!targets.isEmpty()) {
            sb.append(String.format("targets:%n"));
            targets.forEach((k, t) -> sb.append(String.format("  %-44s %8.3f %s %s  %s%n", k, t.value(), t.op(),
                    t.limit(), t.met() ? "met" : "MISSED")));
        }
        return sb.toString();
    }

    /** Writes {@code dir/<bench>.json} and returns its path. */
    public Path write(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("bench", bench);
        root.set("params", JSON.valueToTree(params));
        var rowsNode = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode o = rowsNode.addObject();
            o.put("name", r.name());
            o.put("ops", r.ops());
            o.put("p50_ms", round(r.p50Ms()));
            o.put("p99_ms", round(r.p99Ms()));
            o.put("ops_per_s", round(r.opsPerS()));
            o.put("mb_per_s", round(r.mbPerS()));
        }
        root.set("ratios", JSON.valueToTree(ratios));
        root.set("figures", JSON.valueToTree(figures));
        ObjectNode t = root.putObject("targets");
        targets.forEach((k, v) -> t.putObject(k).put("value", v.value()).put("limit", v.limit()).put("op", v.op())
                .put("met", v.met()));
        Files.createDirectories(dir);
        Path file = dir.resolve(bench + ".json");
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        return file;
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
