package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * The files of the subscription state in their directory, and the steps that start a generation.
 * A generation starts with its snapshot, replaced atomically, and then its journal, created
 * atomically with its header (so a journal is never torn at its start, and never exists before
 * its snapshot). A crash between the two leaves a snapshot whose journal is missing, which
 * {@link SubscriptionRecovery} creates; the older journal it leaves is deleted.
 *
 * <p>Thread-safety: immutable; callers serialize the file operations (the opening thread, then the
 * journal writer).
 */
final class SubscriptionFiles {

    static final String SNAPSHOT = "snapshot";
    static final String JOURNAL_PREFIX = "journal-";
    private static final Pattern JOURNAL = Pattern.compile(Pattern.quote(JOURNAL_PREFIX) + "([0-9]{1,18})");
    private static final String TEMPORARY_SUFFIX = ".tmp";

    private final Path dir;
    private final FileLayer layer;

    SubscriptionFiles(Path dir, FileLayer layer) {
        this.dir = dir;
        this.layer = layer;
    }

    Path dir() {
        return dir;
    }

    FileLayer layer() {
        return layer;
    }

    Path snapshot() {
        return dir.resolve(SNAPSHOT);
    }

    Path journal(long generation) {
        return dir.resolve(JOURNAL_PREFIX + generation);
    }

    /** The journals in the directory, by generation; other names are not the store's and are left alone. */
    SortedMap<Long, Path> journals() throws IOException {
        SortedMap<Long, Path> journals = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, JOURNAL_PREFIX + "*")) {
            for (Path p : entries) {
                Matcher m = JOURNAL.matcher(AtomicFiles.nameOf(p));
                if (m.matches()) {
                    journals.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        return journals;
    }

    /** Deletes what an atomic replacement interrupted by a crash left behind. */
    void deleteTemporaries() throws IOException {
        boolean deleted = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + TEMPORARY_SUFFIX)) {
            for (Path p : entries) {
                String name = AtomicFiles.nameOf(p);
                if (name.equals(SNAPSHOT + TEMPORARY_SUFFIX)
                        || JOURNAL.matcher(name.substring(0, name.length() - TEMPORARY_SUFFIX.length())).matches()) {
                    Files.delete(p);
                    deleted = true;
                }
            }
        }
        if (deleted) {
            layer.syncDirectory(dir);
        }
    }

    /**
     * Starts generation {@code generation}: replaces the snapshot with {@code snapshot} (signed),
     * then creates the generation's empty journal; both durably.
     *
     * @return the new journal, open for appending
     */
    StorageChannel startGeneration(long generation, byte[] snapshot) throws IOException {
        AtomicFiles.write(layer, snapshot(), ByteBuffer.wrap(snapshot));
        return createJournal(generation);
    }

    /** Creates the empty journal of {@code generation} (replacing any), durably, and opens it. */
    StorageChannel createJournal(long generation) throws IOException {
        Path file = journal(generation);
        AtomicFiles.write(layer, file, SubscriptionFormat.journalHeader(generation));
        return layer.open(file, false);
    }

    /** Deletes every journal but generation {@code keep}'s, durably. */
    void deleteJournalsExcept(long keep) throws IOException {
        boolean deleted = false;
        for (Path p : journals().values()) {
            if (!p.equals(journal(keep))) {
                Files.delete(p);
                deleted = true;
            }
        }
        if (deleted) {
            layer.syncDirectory(dir);
        }
    }
}
