package io.meridian.node.store;

import io.meridian.namespace.ObjectMeta;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * One version of an object, opened for reading: its metadata and one open channel per segment,
 * in order, with each segment's length. The bytes stay readable until this is closed, even if the
 * object is overwritten or deleted meanwhile.
 */
public record OpenObject(ObjectMeta meta, List<FileChannel> channels, List<Long> lengths) implements Closeable {

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
