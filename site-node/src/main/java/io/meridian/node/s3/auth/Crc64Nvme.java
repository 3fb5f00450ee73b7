package io.meridian.node.s3.auth;

import java.util.zip.Checksum;

/**
 * CRC-64/NVME (the {@code CRC64NVME} checksum of S3): polynomial {@code 0xAD93D23594C93659}, reflected input
 * and output, initial value and final XOR all ones. Processes eight bytes per step (slicing-by-8). Not
 * thread-safe.
 */
final class Crc64Nvme implements Checksum {

    /** The polynomial in reflected (LSB-first) form. */
    static final long REFLECTED_POLYNOMIAL = 0x9A6C9329AC4BC9B5L;

    private static final long[][] TABLES = tables();

    private long crc = -1L;

    @Override
    public void update(int b) {
        crc = TABLES[0][(int) (crc ^ b) & 0xFF] ^ crc >>> 8;
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        final long[] t0 = TABLES[0];
        final long[] t1 = TABLES[1];
        final long[] t2 = TABLES[2];
        final long[] t3 = TABLES[3];
        final long[] t4 = TABLES[4];
        final long[] t5 = TABLES[5];
        final long[] t6 = TABLES[6];
        final long[] t7 = TABLES[7];
        long value = crc;
        int i = offset;
        final int end = offset + length;
        while (end - i >= 8) {
            value ^= bytes[i] & 0xFFL
                     | (bytes[i + 1] & 0xFFL) << 8
                     | (bytes[i + 2] & 0xFFL) << 16
                     | (bytes[i + 3] & 0xFFL) << 24
                     | (bytes[i + 4] & 0xFFL) << 32
                     | (bytes[i + 5] & 0xFFL) << 40
                     | (bytes[i + 6] & 0xFFL) << 48
                     | (bytes[i + 7] & 0xFFL) << 56;
            value = t7[(int) value & 0xFF]
                    ^ t6[(int) (value >>> 8) & 0xFF]
                    ^ t5[(int) (value >>> 16) & 0xFF]
                    ^ t4[(int) (value >>> 24) & 0xFF]
                    ^ t3[(int) (value >>> 32) & 0xFF]
                    ^ t2[(int) (value >>> 40) & 0xFF]
                    ^ t1[(int) (value >>> 48) & 0xFF]
                    ^ t0[(int) (value >>> 56) & 0xFF];
            i += 8;
        }
        while (i < end) {
            value = t0[(int) (value ^ bytes[i]) & 0xFF] ^ value >>> 8;
            i++;
        }
        crc = value;
    }

    /** Returns the CRC of the bytes so far (all 64 bits). */
    @Override
    public long getValue() {
        return ~crc;
    }

    @Override
    public void reset() {
        crc = -1L;
    }

    private static long[][] tables() {
        final long[][] tables = new long[8][256];
        for (int n = 0; n < 256; n++) {
            long value = n;
            for (int bit = 0; bit < 8; bit++) {
                value = (value & 1) != 0 ? value >>> 1 ^ REFLECTED_POLYNOMIAL : value >>> 1;
            }
            tables[0][n] = value;
        }
        for (int n = 0; n < 256; n++) {
            for (int k = 1; k < 8; k++) {
                final long previous = tables[k - 1][n];
                tables[k][n] = previous >>> 8 ^ tables[0][(int) previous & 0xFF];
            }
        }
        return tables;
    }
}
