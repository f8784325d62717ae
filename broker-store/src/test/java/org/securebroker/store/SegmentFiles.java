package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.securebroker.store.segment.RecordFormat;
import org.securebroker.store.segment.SegmentHeader;

/** Reads and damages segment files below the encryption, for corruption tests. */
final class SegmentFiles {

    /** Where a record sits in a segment file. */
    record Slot(long offset, int position, int length, boolean endMarker) {
    }

    private SegmentFiles() {
    }

    static List<Slot> slots(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
        List<Slot> out = new ArrayList<>();
        int p = SegmentHeader.BYTES;
        while (p + RecordFormat.HEADER_BYTES <= buf.limit()) {
            RecordFormat.Header h = RecordFormat.parseHeader(buf, p, Integer.MAX_VALUE);
            if (h == null) {
                break;
            }
            out.add(new Slot(h.offset(), p, h.length(), h.isEndMarker()));
            p += h.length();
        }
        return out;
    }

    static Slot slotOf(Path file, long offset) throws IOException {
        return slots(file).stream().filter(s -> s.offset() == offset && !s.endMarker()).findFirst().orElseThrow();
    }

    static void flipBit(Path file, long position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) position] ^= 0x10;
        Files.write(file, bytes);
    }

    /** Recomputes the CRC of the record at {@code position}, as an attacker who edits headers would. */
    static void fixCrc(byte[] bytes, int position) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int length = buf.getInt(position + 4);
        CRC32C crc = new CRC32C();
        crc.update(bytes, position, 28);
        crc.update(bytes, position + 32, length - 32);
        buf.putInt(position + 28, (int) crc.getValue());
    }

    static void setOffset(byte[] bytes, int position, long offset) {
        ByteBuffer.wrap(bytes).putLong(position + 8, offset);
    }

    static void setKeyId(byte[] bytes, int position, int keyId) {
        ByteBuffer.wrap(bytes).putInt(position + 24, keyId);
    }

    static int keyIdOf(Path file) throws IOException {
        return SegmentHeader.decode(ByteBuffer.wrap(Files.readAllBytes(file))).keyId();
    }

    /** Copies a directory tree: a crash image of a store that is still open (its synced files). */
    static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("store.lock")) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
