package io.meridian.node.store;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.common.stream.StreamWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a byte range of already-opened files as HTTP chunks, reading the next chunk only when
 * the reader has consumed the previous one.
 */
public final class FileStreams {

    private static final Logger log = LoggerFactory.getLogger(FileStreams.class);
    static final int CHUNK = 256 * 1024;

    private FileStreams() {}

    /**
     * Streams {@code length} bytes starting at {@code offset} of the concatenation of
     * {@code channels} (whose lengths are {@code lengths}), reading on {@code executor}, and closes
     * {@code resource} when the stream ends, fails or is cancelled.
     */
    public static StreamMessage<HttpData> read(List<FileChannel> channels, List<Long> lengths, long offset,
                                               long length, Executor executor, Closeable resource) {
        StreamWriter<HttpData> writer = StreamMessage.streaming();
        Reader reader = new Reader(channels, lengths, offset, length, writer, executor);
        writer.whenComplete().handle((ignored, cause) -> {
            closeQuietly(resource);
            return null;
        });
        executor.execute(reader);
        return writer;
    }

    private static final class Reader implements Runnable {
        private final List<FileChannel> channels;
        private final List<Long> lengths;
        private final StreamWriter<HttpData> writer;
        private final Executor executor;
        private long position;
        private long remaining;

        Reader(List<FileChannel> channels, List<Long> lengths, long offset, long length,
               StreamWriter<HttpData> writer, Executor executor) {
            this.channels = channels;
            this.lengths = lengths;
            this.position = offset;
            this.remaining = length;
            this.writer = writer;
            this.executor = executor;
        }

        @Override
        public void run() {
            if (!writer.isOpen()) {
                return;
            }
            if (remaining == 0) {
                writer.close();
                return;
            }
            try {
                int n = (int) Math.min(CHUNK, remaining);
                byte[] chunk = new byte[n];
                readFully(chunk);
                remaining -= n;
                if (!writer.tryWrite(HttpData.wrap(chunk))) {
                    return;
                }
                if (remaining == 0) {
                    writer.close();
                    return;
                }
                writer.whenConsumed().thenRunAsync(this, executor);
            } catch (IOException | RuntimeException e) {
                log.warn("Reading a stored object failed", e);
                writer.close(e);
            }
        }

        private void readFully(byte[] chunk) throws IOException {
            int filled = 0;
            while (filled < chunk.length) {
                long skip = position;
                int segment = 0;
                while (segment < lengths.size() && skip >= lengths.get(segment)) {
                    skip -= lengths.get(segment);
                    segment++;
                }
                if (segment >= lengths.size()) {
                    throw new IOException("object is shorter than its recorded size");
                }
                int want = (int) Math.min(chunk.length - filled, lengths.get(segment) - skip);
                ByteBuffer buf = ByteBuffer.wrap(chunk, filled, want);
                while (buf.hasRemaining()) {
                    int r = channels.get(segment).read(buf, skip + (buf.position() - filled));
                    if (r < 0) {
                        throw new IOException("blob file is shorter than its recorded length");
                    }
                }
                filled += want;
                position += want;
            }
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing a streamed file", e);
        }
    }
}
