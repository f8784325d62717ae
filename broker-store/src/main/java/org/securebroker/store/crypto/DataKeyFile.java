package org.securebroker.store.crypto;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;

/**
 * The file holding one log's wrapped data keys, one per segment, kept apart from the segment
 * files (under {@code keys/}) so that a copy of the segments alone cannot be decrypted and so
 * that deleting it shreds the log. Version 1 (big-endian):
 *
 * <pre>
 * offset size field
 *  0      4   magic "BDKF"
 *  4      1   version = 1
 *  5      3   reserved (0)
 *  8     16   logId
 * 24      4   count
 * 28      .   count entries:
 *               8  segmentBase
 *               4  keyId
 *               1  kekId length n (1..64)
 *               n  kekId (ASCII)
 *              12  wrap nonce
 *              48  wrapped key (32) and GCM tag (16)
 *  .      4   CRC32C of all preceding bytes
 * </pre>
 *
 * The file is replaced atomically on every change.
 *
 * <p>Thread-safety: stateless; callers serialize writes to one file.
 */
public final class DataKeyFile {

    private static final byte[] MAGIC = "BDKF".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;
    private static final int MAX_BYTES = 64 * 1024 * 1024;

    private DataKeyFile() {
    }

    public static void write(FileLayer layer, Path file, byte[] logId, List<WrappedDataKey> keys) throws IOException {
        int size = 28 + 4;
        for (WrappedDataKey k : keys) {
            size += 8 + 4 + 1 + k.kekId().length() + WrappedDataKey.NONCE_BYTES + WrappedDataKey.CIPHERTEXT_BYTES;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(MAGIC).put(VERSION).put(new byte[3]).put(logId).putInt(keys.size());
        for (WrappedDataKey k : keys) {
            byte[] kek = k.kekId().getBytes(StandardCharsets.US_ASCII);
            buf.putLong(k.segmentBase()).putInt(k.keyId()).put((byte) kek.length).put(kek).put(k.nonce()).put(k.ciphertext());
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        AtomicFiles.write(layer, file, buf.flip());
    }

    /**
     * @throws StoreException of kind {@code CORRUPTED_METADATA} if the file is damaged or belongs
     *     to another log
     */
    public static List<WrappedDataKey> read(Path file, byte[] expectedLogId) throws IOException {
        byte[] bytes = AtomicFiles.read(file, MAX_BYTES);
        if (bytes.length < 32) {
            throw damaged(file, "it is truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (buf.getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw damaged(file, "its checksum does not match");
        }
        if (!Arrays.equals(bytes, 0, 4, MAGIC, 0, 4) || bytes[4] != VERSION) {
            throw damaged(file, "it is not a version-1 data key file");
        }
        if (!Arrays.equals(bytes, 8, 24, expectedLogId, 0, 16)) {
            throw damaged(file, "it belongs to another log");
        }
        buf.position(24);
        try {
            int count = buf.getInt();
            if (count < 0 || count > bytes.length / 70) {
                throw damaged(file, "its entry count is implausible");
            }
            List<WrappedDataKey> keys = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long base = buf.getLong();
                int keyId = buf.getInt();
                int kekLength = buf.get() & 0xFF;
                byte[] kek = new byte[kekLength];
                buf.get(kek);
                byte[] nonce = new byte[WrappedDataKey.NONCE_BYTES];
                buf.get(nonce);
                byte[] wrapped = new byte[WrappedDataKey.CIPHERTEXT_BYTES];
                buf.get(wrapped);
                keys.add(new WrappedDataKey(base, keyId, new String(kek, StandardCharsets.US_ASCII), nonce, wrapped));
            }
            if (buf.remaining() != 4) {
                throw damaged(file, "it has trailing bytes");
            }
            return keys;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(file, "an entry is malformed");
        }
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "data key file " + file + " is damaged: " + why
                + "; restore it from the key backup");
    }
}
