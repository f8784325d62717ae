package org.securebroker.server.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.securebroker.store.io.Closeables;

/**
 * Reads the entries of an audit directory in order (file by file, line by line), for queries
 * such as {@code broker audit show}. It parses, it does not verify: use {@link AuditVerifier}
 * to know that what it reads was not changed. An incomplete last line (a write in progress, or a
 * crash) is skipped.
 *
 * <p>Thread-safety: stateless; each stream belongs to one thread.
 */
public final class AuditReader {

    private AuditReader() {
    }

    /**
     * Which entries to return; null fields match everything.
     *
     * @param principal the exact principal
     * @param type an event type, or a prefix of whole dotted segments: {@code auth} matches
     *     {@code auth.success} but not {@code authz.deny}; a trailing {@code .*} means the same
     *     ({@code key.*})
     * @param decision {@code allow} or {@code deny}
     * @param from entries at or after this time
     * @param until entries before this time
     */
    public record Filter(String principal, String type, String decision, Instant from, Instant until) {

        /** Matches every entry, checkpoints included. */
        public static final Filter ALL = new Filter(null, null, null, null, null);

        public Filter withPrincipal(String value) {
            return new Filter(value, type, decision, from, until);
        }

        public Filter withType(String value) {
            return new Filter(principal, value, decision, from, until);
        }

        public Filter withDecision(String value) {
            return new Filter(principal, type, value, from, until);
        }

        public Filter withTime(Instant fromInclusive, Instant untilExclusive) {
            return new Filter(principal, type, decision, fromInclusive, untilExclusive);
        }

        public boolean matches(AuditEntry e) {
            return (principal == null || principal.equals(e.principal()))
                    && (type == null || typeMatches(type, e.type()))
                    && (decision == null || decision.equals(e.decision()))
                    && (from == null || !e.time().isBefore(from))
                    && (until == null || e.time().isBefore(until));
        }

        private static boolean typeMatches(String pattern, String type) {
            String prefix = pattern.endsWith(".*") ? pattern.substring(0, pattern.length() - 2) : pattern;
            return type.equals(prefix) || type.startsWith(prefix + ".");
        }
    }

    /**
     * The matching entries of every audit file in {@code dir}, lazily, oldest first. Close the
     * stream (try-with-resources) to close the open file.
     *
     * @throws NoSuchFileException if {@code dir} does not exist
     * @throws UncheckedIOException while streaming, if a file cannot be read or a line is not an
     *     entry (the message names file and line)
     */
    public static Stream<AuditEntry> entries(Path dir, Filter filter) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no audit directory");
        }
        Entries entries = new Entries(dir, AuditFormat.fileNumbers(dir));
        Stream<AuditEntry> all = StreamSupport.stream(Spliterators.spliteratorUnknownSize(entries,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(entries::closeReader);
        return filter == null || filter.equals(Filter.ALL) ? all : all.filter(filter::matches);
    }

    /** Iterates over the lines of the files in turn. */
    private static final class Entries implements Iterator<AuditEntry> {
        private final Path dir;
        private final int[] numbers;
        private int index = -1;
        private LineReader reader;
        private String name;
        private AuditEntry next;

        Entries(Path dir, int[] numbers) {
            this.dir = dir;
            this.numbers = numbers;
        }

        @Override
        public boolean hasNext() {
            try {
                while (next == null) {
                    if (reader == null || !reader.next()) {
                        if (!openNext()) {
                            return false;
                        }
                        continue;
                    }
                    if (!reader.terminated()) {
                        continue; // an incomplete last line: not (yet) an entry
                    }
                    try {
                        next = AuditFormat.parse(name, reader.lineNumber(), reader.bytes(), reader.length());
                    } catch (AuditFormat.MalformedEntryException e) {
                        throw new IOException(name + ":" + reader.lineNumber() + " is not an audit entry ("
                                + e.getMessage() + "); run 'broker audit verify'");
                    }
                }
                return true;
            } catch (IOException e) {
                closeReader();
                throw new UncheckedIOException(e);
            }
        }

        private boolean openNext() throws IOException {
            closeReader();
            if (++index >= numbers.length) {
                return false;
            }
            name = AuditFormat.fileName(numbers[index]);
            reader = new LineReader(dir.resolve(name));
            return true;
        }

        @Override
        public AuditEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            AuditEntry e = next;
            next = null;
            return e;
        }

        /** Closes the current file's reader; nothing was written, so closing it cannot lose data. */
        void closeReader() {
            Closeables.closeQuietly(reader);
            reader = null;
        }
    }
}
