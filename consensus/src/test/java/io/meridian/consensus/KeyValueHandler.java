package io.meridian.consensus;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small deterministic key-value state machine for tests. Its state is the map, the number of
 * commands applied and a SHA-256 chain over every command in apply order, so two members with the
 * same digest applied the same commands in the same order, snapshots included.
 *
 * <p>Commands: {@code put <key> <value>} (answers the previous value, or an empty answer) and
 * {@code poison} (throws, to test fail-stop). Queries: {@code get <key>} and {@code count}.
 */
public final class KeyValueHandler implements StateMachineHandler {

    private final Map<String, String> values = new TreeMap<>();
    private long lastIndex;
    private long commands;
    private byte[] digest = new byte[32];

    /** Commands applied by this instance, in order; not part of the state, so not in snapshots. */
    private final List<String> appliedHere = new ArrayList<>();
    private int snapshotsRead;

    public static byte[] put(String key, String value) {
        return bytes("put " + key + " " + value);
    }

    public static byte[] poison() {
        return bytes("poison");
    }

    public static byte[] get(String key) {
        return bytes("get " + key);
    }

    public static byte[] count() {
        return bytes("count");
    }

    public static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized byte[] apply(long index, byte[] command) {
        if (index <= lastIndex) {
            throw new IllegalStateException("index " + index + " applied after " + lastIndex);
        }
        String text = text(command);
        String[] parts = text.split(" ", 3);
        String answer;
        switch (parts[0]) {
            case "put" -> {
                String previous = values.put(parts[1], parts[2]);
                answer = previous == null ? "" : previous;
            }
            case "poison" -> throw new IllegalStateException("poison command at index " + index);
            default -> answer = "unknown command: " + text;
        }
        lastIndex = index;
        commands++;
        digest = chain(digest, command);
        appliedHere.add(text);
        return bytes(answer);
    }

    @Override
    public synchronized byte[] query(byte[] query) {
        String[] parts = text(query).split(" ", 2);
        return switch (parts[0]) {
            case "get" -> bytes(values.getOrDefault(parts[1], ""));
            case "count" -> bytes(Long.toString(commands));
            default -> throw new IllegalArgumentException("unknown query: " + text(query));
        };
    }

    @Override
    public synchronized void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(lastIndex);
        data.writeLong(commands);
        data.write(digest);
        data.writeInt(values.size());
        for (Map.Entry<String, String> e : values.entrySet()) {
            data.writeUTF(e.getKey());
            data.writeUTF(e.getValue());
        }
        data.flush();
    }

    @Override
    public synchronized void readSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        lastIndex = data.readLong();
        commands = data.readLong();
        digest = data.readNBytes(32);
        values.clear();
        int size = data.readInt();
        for (int i = 0; i < size; i++) {
            values.put(data.readUTF(), data.readUTF());
        }
        snapshotsRead++;
    }

    /** Reads the local state directly, without going through the group. */
    public synchronized String localGet(String key) {
        return values.get(key);
    }

    public synchronized long commands() {
        return commands;
    }

    public synchronized long lastIndex() {
        return lastIndex;
    }

    public synchronized String digest() {
        return HexFormat.of().formatHex(digest);
    }

    public synchronized List<String> appliedHere() {
        return List.copyOf(appliedHere);
    }

    public synchronized int snapshotsRead() {
        return snapshotsRead;
    }

    private static byte[] chain(byte[] previous, byte[] command) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(previous);
            sha.update(command);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always available", e);
        }
    }
}
