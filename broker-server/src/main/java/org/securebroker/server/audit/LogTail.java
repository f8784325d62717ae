package org.securebroker.server.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.securebroker.store.failure.StoreException.Kind;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * What the writer finds at the end of an existing log when it opens it: the file to continue,
 * the last complete line (which the next entry chains to), how many entries wait for a
 * checkpoint, and the bytes of an incomplete last line left by a crash.
 *
 * <p>Thread-safety: immutable (the line bytes are never changed after the scan).
 *
 * @param fileNumber the file to append to
 * @param validLength the file's length up to and including its last complete line
 * @param tornBytes the length of an incomplete last line (no newline), 0 if none
 * @param lines complete lines in the file
 * @param lastLine the last complete line of the log, or null for a log without entries; when the
 *     file to append to is empty, the previous file's last line
 * @param lastLineNumber its line number
 * @param sinceCheckpoint entries after the last checkpoint
 * @param firstTime the time of the file's first entry, or null
 */
record LogTail(int fileNumber, long validLength, long tornBytes, long lines, byte[] lastLine, long lastLineNumber,
               long sinceCheckpoint, Instant firstTime) {

    /** Recognizes a checkpoint by its fixed first members, without parsing the whole line. */
    private static final Pattern CHECKPOINT_PREFIX =
            Pattern.compile("\\{\"seq\":\\d+,\"time\":\"[^\"]*\",\"type\":\"checkpoint\"[,}].*");
    private static final DateTimeFormatter TORN_SUFFIX =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** Scans the newest file of {@code dir} (and the one before it, when the newest is empty). */
    static LogTail find(Path dir) throws IOException {
        int[] numbers = AuditFormat.fileNumbers(dir);
        if (numbers.length == 0) {
            return new LogTail(1, 0, 0, 0, null, 0, 0, null);
        }
        int last = numbers[numbers.length - 1];
        LogTail tail = scan(dir, last);
        if (tail.lastLine() != null || last == 1) {
            return tail;
        }
        // an empty (or only torn) newest file, e.g. after a crash right after a rotation: the
        // chain continues from the previous file's last line
        Path previous = dir.resolve(AuditFormat.fileName(last - 1));
        if (!Files.exists(previous)) {
            throw new AuditUnavailableException(Kind.FAILED, "cannot continue the audit chain: " + previous
                    + " is missing and " + AuditFormat.fileName(last) + " holds no entry");
        }
        LogTail before = scan(dir, last - 1);
        if (before.tornBytes() > 0 || before.lastLine() == null) {
            throw new AuditUnavailableException(Kind.FAILED, "cannot continue the audit chain: " + previous
                    + " does not end with a complete entry; run 'broker audit verify " + dir + "'");
        }
        return new LogTail(last, tail.validLength(), tail.tornBytes(), 0, before.lastLine(), before.lastLineNumber(),
                before.sinceCheckpoint(), null);
    }

    private static LogTail scan(Path dir, int number) throws IOException {
        Path path = dir.resolve(AuditFormat.fileName(number));
        long validLength = 0;
        long torn = 0;
        long lines = 0;
        byte[] lastLine = null;
        long lastLineNumber = 0;
        long sinceCheckpoint = 0;
        Instant firstTime = null;
        try (LineReader reader = new LineReader(path)) {
            while (reader.next()) {
                if (!reader.terminated()) {
                    torn = reader.length();
                    break;
                }
                lines++;
                validLength = reader.offset() + reader.length() + 1;
                lastLine = Arrays.copyOf(reader.bytes(), reader.length());
                lastLineNumber = reader.lineNumber();
                sinceCheckpoint = isCheckpoint(lastLine) ? 0 : sinceCheckpoint + 1;
                if (lines == 1) {
                    firstTime = timeOf(path, lastLine);
                }
            }
        }
        return new LogTail(number, validLength, torn, lines, lastLine, lastLineNumber, sinceCheckpoint, firstTime);
    }

    private static boolean isCheckpoint(byte[] line) {
        String head = new String(line, 0, Math.min(line.length, 96), StandardCharsets.ISO_8859_1);
        return CHECKPOINT_PREFIX.matcher(head).matches();
    }

    private static Instant timeOf(Path path, byte[] line) {
        try {
            return AuditFormat.parse(AtomicFiles.nameOf(path), 1, line, line.length).time();
        } catch (AuditFormat.MalformedEntryException e) {
            return null; // the rotation age then counts from now; the verifier reports the line
        }
    }

    /**
     * The last entry, which the next one chains to; null for a log without entries.
     *
     * @throws AuditUnavailableException if the last line is complete but not an entry: the chain
     *     cannot be continued from it, and it is not repaired
     */
    AuditEntry lastEntry(Path dir) {
        if (lastLine == null) {
            return null;
        }
        String name = AuditFormat.fileName(lines == 0 ? fileNumber - 1 : fileNumber);
        try {
            return AuditFormat.parse(name, lastLineNumber, lastLine, lastLine.length);
        } catch (AuditFormat.MalformedEntryException e) {
            throw new AuditUnavailableException(Kind.FAILED, "cannot continue the audit chain: the last line of "
                    + dir.resolve(name) + " (line " + lastLineNumber + ") is not a valid entry (" + e.getMessage()
                    + "); run 'broker audit verify " + dir + "' and move the damaged file aside");
        }
    }

    /**
     * Copies the incomplete last line to {@code FILE.torn-TIMESTAMP} (durably), then cuts the file
     * back to its last complete line. Nothing of that line was acknowledged (its batch was not
     * fsynced), but its bytes are kept for whoever investigates the crash.
     *
     * @return the name of the file holding the torn bytes
     */
    String moveTornBytesAside(FileLayer layer, Path dir, Instant now) throws IOException {
        Path path = dir.resolve(AuditFormat.fileName(fileNumber));
        String base = path.getFileName() + ".torn-" + TORN_SUFFIX.format(now);
        String name = base;
        for (int i = 2; Files.exists(dir.resolve(name)); i++) {
            name = base + "-" + i;
        }
        Path aside = dir.resolve(name);
        try (StorageChannel source = layer.open(path, false)) {
            ByteBuffer torn = ByteBuffer.allocate(Math.toIntExact(source.size() - validLength));
            source.readFully(torn, validLength);
            torn.flip();
            AtomicFiles.createOwnerOnly(aside);
            try (StorageChannel target = layer.open(aside, false)) {
                target.writeFully(torn, 0);
                target.force(true);
            }
            layer.syncDirectory(dir);
            source.truncate(validLength);
            source.force(true);
        }
        return name;
    }
}
