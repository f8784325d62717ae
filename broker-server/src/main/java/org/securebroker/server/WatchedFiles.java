package org.securebroker.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.server.audit.ChangeNote;
import org.securebroker.server.auth.User;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users file and the producer-keys file as the broker last saw them, kept in
 * {@value #FILE} in the data directory: each file's SHA-256 digest, a fingerprint per user entry
 * and the key ids per producer principal (never a hash or a key). A running broker rewrites it
 * whenever it picks up a change; at start, a file that differs from the record was changed while
 * no broker ran, and the change is audited as {@code users.changed-offline} or
 * {@code keys.changed-offline}, naming the users and key ids added, removed or changed and, if
 * the {@link ChangeNote} beside the file describes the content found, who made it. The record
 * moves on only once those entries are on disk: a start that fails before, or an entry that
 * cannot be written, leaves the old record, and the next start audits the changes again.
 *
 * <p>The record is as well protected as the files it describes (same owner, 0600); the digests
 * also reach the signed audit log ({@code broker.start} and every change entry), so an auditor
 * can tell a record that was rewritten to hide a change.
 *
 * <p>Thread-safety: thread-safe.
 */
final class WatchedFiles {

    /** The record's file name in the data directory. */
    static final String FILE = "watched-files.json";

    private static final Logger LOG = LoggerFactory.getLogger(WatchedFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file as last seen: its digest and its entries (user fingerprints, or key ids per principal). */
    record Seen(String digest, Map<String, String> entries) {
    }

    private final Path file;
    /** What is in force as far as this broker has noticed. */
    private Seen users;
    private Seen keys;
    /** What the file on disk says: moved on only once the change is in the audit log. */
    private Seen recordedUsers;
    private Seen recordedKeys;

    private WatchedFiles(Path file, Seen users, Seen keys) {
        this.file = file;
        this.users = users;
        this.keys = keys;
        this.recordedUsers = users;
        this.recordedKeys = keys;
    }

    /** Reads the record; a missing or unreadable one means nothing was seen before. */
    static WatchedFiles load(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        Seen users = null;
        Seen keys = null;
        if (Files.exists(file)) {
            try {
                JsonNode root = JSON.readTree(AtomicFiles.read(file, 16 << 20));
                if (root != null && root.path("version").asInt() == 1) {
                    users = seen(root.get("users"));
                    keys = seen(root.get("producerKeys"));
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("the record of watched files {} cannot be read ({}); changes made while the broker was "
                        + "stopped cannot be listed this time", file, e.getMessage());
            }
        }
        return new WatchedFiles(file, users, keys);
    }

    private static Seen seen(JsonNode node) {
        if (node == null || !node.hasNonNull("digest")) {
            return null;
        }
        Map<String, String> entries = new TreeMap<>();
        node.path("entries").fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue().asText()));
        return new Seen(node.get("digest").asText(), entries);
    }

    /** The users as last seen, or null if never. */
    synchronized Seen users() {
        return users;
    }

    /** The producer keys as last seen, or null if never. */
    synchronized Seen keys() {
        return keys;
    }

    static Seen ofUsers(String digest, Collection<User> all) {
        Map<String, String> entries = new TreeMap<>();
        for (User u : all) {
            entries.put(u.name(), BrokerAudit.fingerprint(u));
        }
        return new Seen(digest, entries);
    }

    static Seen ofKeys(ProducerKeys all) {
        Map<String, String> entries = new TreeMap<>();
        for (Map.Entry<String, KeySet> e : all.all().entrySet()) {
            entries.put(e.getKey(), String.join(",", new TreeSet<>(e.getValue().ids())));
        }
        return new Seen(ChangeNote.digest(all.source()), entries);
    }

    /**
     * The users now in force were noticed (their change is being audited): later looks compare
     * with them, while the record on disk stays as it was until {@link #saveUsers}.
     */
    synchronized void seeUsers(Seen nowUsers) {
        users = nowUsers;
    }

    /** The producer keys now in force were noticed; as {@link #seeUsers}. */
    synchronized void seeKeys(Seen nowKeys) {
        keys = nowKeys;
    }

    /** Records the users now in force (their change is in the audit log), keeping the keys as recorded. */
    synchronized void saveUsers(Seen nowUsers) {
        recordedUsers = nowUsers;
        write(recordedUsers, recordedKeys);
    }

    /** Records the producer keys now in force (their change is in the audit log), keeping the users as recorded. */
    synchronized void saveKeys(Seen nowKeys) {
        recordedKeys = nowKeys;
        write(recordedUsers, recordedKeys);
    }

    /** Records what is in force now; a failure is logged (the next change or start retries). */
    synchronized void save(Seen nowUsers, Seen nowKeys) {
        users = nowUsers;
        keys = nowKeys;
        recordedUsers = nowUsers;
        recordedKeys = nowKeys;
        write(nowUsers, nowKeys);
    }

    private void write(Seen nowUsers, Seen nowKeys) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        put(root.putObject("users"), nowUsers);
        put(root.putObject("producerKeys"), nowKeys);
        try {
            AtomicFiles.write(DefaultFileLayer.INSTANCE, file, ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(root)));
        } catch (IOException e) {
            LOG.warn("cannot write the record of watched files {}: {}", file, e.getMessage());
        }
    }

    private static void put(ObjectNode node, Seen seen) {
        node.put("digest", seen.digest());
        ObjectNode entries = node.putObject("entries");
        seen.entries().forEach(entries::put);
    }

    /**
     * What a start found: the files in force and what to audit about them once the broker has
     * recorded its start (the changes made while no broker ran, or that there was no record to
     * compare with).
     */
    final class AtStart {
        private final Seen users;
        private final Seen keys;
        private final Supplier<CompletableFuture<Void>> entries;

        private AtStart(Seen users, Seen keys, Supplier<CompletableFuture<Void>> entries) {
            this.users = users;
            this.keys = keys;
            this.entries = entries;
        }

        /** The users file as found at start. */
        Seen users() {
            return users;
        }

        /** The producer-keys file as found at start. */
        Seen keys() {
            return keys;
        }

        /**
         * Writes the audit entries and, once they are all on disk, saves the new record. If an
         * entry cannot be written the old record stays, so that the next start finds the same
         * changes and audits them again rather than not at all.
         *
         * @return completes once the record is saved, or exceptionally with the audit failure;
         *     the record is saved on the calling thread of {@code join}, not the audit writer's
         */
        CompletableFuture<Void> audit() {
            CompletableFuture<Void> written = entries.get();
            CompletableFuture<Void> saved = new CompletableFuture<>();
            try {
                written.join();
                save(users, keys);
                saved.complete(null);
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                saved.completeExceptionally(e.getCause() == null ? e : e.getCause());
            }
            return saved;
        }
    }

    /**
     * Compares the files in force at start with the record of the last run. Nothing is saved
     * yet: the record changes only after {@link AtStart#audit} has written what it found.
     */
    AtStart checkAtStart(Path usersFile, String usersDigest, Collection<User> nowUsers, Path keysFile,
                         ProducerKeys nowKeys, BrokerAudit audit) {
        Seen u = ofUsers(usersDigest, nowUsers);
        Seen k = ofKeys(nowKeys);
        Seen lastUsers;
        Seen lastKeys;
        synchronized (this) {
            lastUsers = users;
            lastKeys = keys;
            // noticed now: the running broker's reloads compare with these, so what this start audits
            // is not audited again as a change made while it runs; the record on disk stays until then
            users = u;
            keys = k;
        }
        if (lastUsers == null || lastKeys == null) {
            return new AtStart(u, k, () -> audit.event(org.securebroker.server.audit.AuditEvent.of("watch.baseline")
                    .reason("no record of the users and producer-keys files as the broker last saw them (the first "
                            + "start with one, or it was removed): changes made while the broker was stopped cannot "
                            + "be listed this time")
                    .detail("usersDigest", u.digest()).detail("producerKeysDigest", k.digest())).thenRun(() -> { }));
        }
        List<Difference> userChanges = lastUsers.digest().equals(u.digest()) ? List.of() : differences(lastUsers, u);
        List<Difference> keyChanges = lastKeys.digest().equals(k.digest()) ? List.of() : differences(lastKeys, k);
        Optional<Attribution> userAuthor = attribution(usersFile, lastUsers.digest(), u.digest());
        Optional<Attribution> keyAuthor = attribution(keysFile, lastKeys.digest(), k.digest());
        Map<String, User> byName = new TreeMap<>();
        nowUsers.forEach(x -> byName.put(x.name(), x));
        if (!userChanges.isEmpty() || !keyChanges.isEmpty()) {
            LOG.warn("changed while the broker was stopped: {} user(s) {}, {} producer principal(s) {}; audited as "
                    + "users.changed-offline / keys.changed-offline", userChanges.size(),
                    userChanges.stream().map(Difference::name).toList(), keyChanges.size(),
                    keyChanges.stream().map(Difference::name).toList());
        }
        return new AtStart(u, k, () -> CompletableFuture.allOf(
                audit.usersChanged(userChanges, byName, userAuthor, true, u.digest()),
                audit.producerKeysChanged(keyChanges, keyAuthor, true, keysFile.toString(), k.digest())));
    }

    /** One entry (a user, a principal's keys) that differs between two records. */
    record Difference(String name, String before, String after) {
        String kind() {
            return before == null ? "added" : after == null ? "removed" : "changed";
        }
    }

    static List<Difference> differences(Seen before, Seen after) {
        TreeSet<String> names = new TreeSet<>(before.entries().keySet());
        names.addAll(after.entries().keySet());
        List<Difference> out = new ArrayList<>();
        for (String name : names) {
            String b = before.entries().get(name);
            String a = after.entries().get(name);
            if (b == null || !b.equals(a)) {
                out.add(new Difference(name, b, a));
            }
        }
        return out;
    }

    /**
     * Who made the change from {@code before} to the content with digest {@code current}, as the
     * note beside {@code watched} says; empty if the note does not describe that content.
     */
    static Optional<Attribution> attribution(Path watched, String before, String current) {
        return ChangeNote.readFor(watched).filter(n -> n.describes(current)).map(n -> new Attribution(n,
                before == null || n.before() == null || n.before().equals(before)));
    }

    /**
     * A change's author.
     *
     * @param complete whether the note's change starts from the content the broker last saw (else
     *     earlier changes since then have no author)
     */
    record Attribution(ChangeNote note, boolean complete) {
    }

    /** The key ids in {@code after} that are not in {@code before} (comma-separated lists). */
    static String keyIdsOnlyIn(String after, String before) {
        TreeSet<String> ids = split(after);
        ids.removeAll(split(before));
        return String.join(",", ids);
    }

    private static TreeSet<String> split(String ids) {
        TreeSet<String> out = new TreeSet<>();
        if (ids != null && !ids.isEmpty()) {
            out.addAll(List.of(ids.split(",")));
        }
        return out;
    }
}
