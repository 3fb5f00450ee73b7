package io.meridian.node.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Crc64NvmeTest {

    private static final long SEED = Long.getLong("meridian.test.seed", System.nanoTime());

    @BeforeAll
    static void printSeed() {
        System.out.println("Crc64NvmeTest seed=" + SEED + " (rerun with -Dmeridian.test.seed=" + SEED + ")");
    }

    /** The CRC-64/NVME parameters straight from the CRC catalogue, one bit at a time. */
    private static long bitwise(byte[] data) {
        long crc = -1L;
        for (byte b : data) {
            crc ^= b & 0xFFL;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? crc >>> 1 ^ 0x9A6C9329AC4BC9B5L : crc >>> 1;
            }
        }
        return ~crc;
    }

    @Test
    void catalogueCheckValue() {
        final Crc64Nvme crc = new Crc64Nvme();
        final byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        crc.update(check, 0, check.length);
        assertThat(crc.getValue()).isEqualTo(0xAE8B14860A799888L);
        assertThat(bitwise(check)).isEqualTo(0xAE8B14860A799888L);
        crc.reset();
        assertThat(crc.getValue()).isZero();
    }

    @Test
    void matchesTheBitwiseDefinitionInAnySplit() {
        final Random random = new Random(SEED);
        for (int round = 0; round < 200; round++) {
            final byte[] data = new byte[random.nextInt(5000)];
            random.nextBytes(data);
            final Crc64Nvme crc = new Crc64Nvme();
            int offset = 0;
            while (offset < data.length) {
                final int length = Math.min(data.length - offset, random.nextInt(40));
                switch (random.nextInt(3)) {
                    case 0 -> crc.update(data, offset, length);
                    case 1 -> {
                        final ByteBuffer direct = ByteBuffer.allocateDirect(length);
                        direct.put(data, offset, length).flip();
                        crc.update(direct);
                    }
                    default -> {
                        for (int i = 0; i < length; i++) {
                            crc.update(data[offset + i]);
                        }
                    }
                }
                offset += length;
            }
            assertThat(crc.getValue()).as("round %d, seed %d", round, SEED).isEqualTo(bitwise(data));
        }
    }
}
