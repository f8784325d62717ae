package org.securebroker.server.audit;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads an audit file line by line as exact bytes (what the chain hashes), each line bounded by
 * {@link AuditFormat#MAX_LINE}, and says whether the last line ended with a newline.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class LineReader implements Closeable {

    /** A line longer than {@link AuditFormat#MAX_LINE}: not something the log writes. */
    static final class LineTooLongException extends IOException {
        final long lineNumber;

        LineTooLongException(Path file, long lineNumber) {
            super(file.getFileName() + ":" + lineNumber + " is longer than " + AuditFormat.MAX_LINE + " bytes");
            this.lineNumber = lineNumber;
        }
    }

    private final Path file;
    private final InputStream in;
    private final byte[] chunk = new byte[64 * 1024];
    private int pos;
    private int limit;
    private byte[] line = new byte[4096];
    private int length;
    private long lineNumber;
    private long offset;
    private long nextOffset;
    private boolean terminated;

    LineReader(Path file) throws IOException {
        this.file = file;
        this.in = Files.newInputStream(file);
    }

    /**
     * Advances to the next line.
     *
     * @return false at the end of the file
     * @throws LineTooLongException if the line is longer than the format allows
     */
    boolean next() throws IOException {
        length = 0;
        offset = nextOffset;
        while (true) {
            if (pos == limit) {
                int n = in.read(chunk);
                if (n <= 0) {
                    pos = 0;
                    limit = 0;
                    if (length == 0) {
                        return false;
                    }
                    lineNumber++;
                    terminated = false;
                    nextOffset = offset + length;
                    return true;
                }
                pos = 0;
                limit = n;
            }
            int end = pos;
            while (end < limit && chunk[end] != '\n') {
                end++;
            }
            append(end - pos);
            if (end < limit) {
                pos = end + 1;
                lineNumber++;
                terminated = true;
                nextOffset = offset + length + 1;
                return true;
            }
            pos = limit;
        }
    }

    private void append(int n) throws LineTooLongException {
        if (length + n > AuditFormat.MAX_LINE) {
            throw new LineTooLongException(file, lineNumber + 1);
        }
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(length + n, line.length * 2));
        }
        System.arraycopy(chunk, pos, line, length, n);
        length += n;
    }

    /** The current line's bytes, valid up to {@link #length()} until the next call. */
    byte[] bytes() {
        return line;
    }

    int length() {
        return length;
    }

    /** The current line's number, from 1. */
    long lineNumber() {
        return lineNumber;
    }

    /** Where the current line starts in the file. */
    long offset() {
        return offset;
    }

    /** Whether the current line ended with a newline; only the last line of a file may not. */
    boolean terminated() {
        return terminated;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
