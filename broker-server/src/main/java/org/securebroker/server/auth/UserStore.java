package org.securebroker.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.server.audit.ChangeNote;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * The users file: a JSON document of users with Argon2id hashes, readable by its owner only.
 * The operator's CLI changes it (under a lock file, replacing it atomically) and a running broker
 * picks changes up with {@link #reloadIfChanged()}.
 *
 * <pre>
 * {"version": 1, "users": [
 *   {"name": "admin", "passwordHash": "$argon2id$v=19$m=19456,t=2,p=1$...",
 *    "scram": {"salt": "base64", "iterations": 10000, "storedKey": "base64", "serverKey": "base64"},
 *    "roles": ["admin"], "disabled": false, "created": "2026-11-27T10:00:00Z"}]}
 * </pre>
 *
 * A user with {@code "scramDisabled": true} has no {@code scram} entry, and none is ever derived
 * for it.
 *
 * <p>Thread-safety: thread-safe; readers see an immutable snapshot.
 */
public final class UserStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final int MAX_BYTES = 16 * 1024 * 1024;

    private final Path file;
    private volatile Map<String, User> users;
    private volatile FileTime loadedModified;
    private volatile long loadedSize;
    private volatile String loadedDigest;
    private volatile int[] scramIterations = new int[0];

    private UserStore(Path file, Map<String, User> users) {
        this.file = file;
        this.users = users;
    }

    /**
     * Loads the users file.
     *
     * @throws IllegalArgumentException naming the file and the problem if it is missing,
     *     accessible by group or others, or malformed
     */
    public static UserStore load(Path file) {
        UserStore store = new UserStore(file, Map.of());
        store.reload();
        return store;
    }

    /** Creates a users file with these users; refuses to overwrite one. */
    public static UserStore create(Path file, List<User> initial) {
        if (Files.exists(file)) {
            throw new IllegalArgumentException("users file " + file + " exists already");
        }
        Map<String, User> map = new LinkedHashMap<>();
        initial.forEach(u -> map.put(u.name(), u));
        write(file, map.values());
        return load(file);
    }

    public Path file() {
        return file;
    }

    public Optional<User> find(String name) {
        return Optional.ofNullable(users.get(name));
    }

    public Collection<User> all() {
        return users.values();
    }

    /**
     * The iteration counts of the SCRAM verifiers in the file, one per verifier (disabled users'
     * included), in ascending order: what a decoy challenge for a user without one chooses from.
     */
    public int[] scramIterations() {
        return scramIterations.clone();
    }

    /** SHA-256 (hex) of the content the users in force were read from. */
    public String digest() {
        return loadedDigest;
    }

    /**
     * Re-reads the file if its size or modification time changed.
     *
     * @return whether it was reloaded
     */
    public boolean reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (modified.equals(loadedModified) && size == loadedSize) {
                return false;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read users file " + file + ": " + e.getMessage(), e);
        }
        reload();
        return true;
    }

    private synchronized void reload() {
        try {
            KeyringFile.checkPermissions(file);
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            byte[] bytes = AtomicFiles.read(file, MAX_BYTES);
            Map<String, User> parsed = parse(bytes);
            users = parsed;
            scramIterations = parsed.values().stream().filter(u -> u.scram() != null)
                    .mapToInt(u -> u.scram().iterations()).sorted().toArray();
            loadedDigest = ChangeNote.digest(bytes);
            loadedModified = modified;
            loadedSize = size;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("users file " + file + " does not exist; create it with 'broker init'"
                    + " or 'broker user add'", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read users file " + file + ": " + e.getMessage(), e);
        } catch (org.securebroker.store.failure.StoreException e) {
            throw new IllegalArgumentException(e.getMessage().replace("key file", "users file"), e);
        }
    }

    private Map<String, User> parse(byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("users file " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + " at line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read users file " + file + ": " + e.getMessage());
        }
        if (root == null || !root.path("users").isArray() || root.path("version").asInt() != 1) {
            throw new IllegalArgumentException("users file " + file + " must hold {\"version\": 1, \"users\": [...]}");
        }
        Map<String, User> map = new LinkedHashMap<>();
        int i = 0;
        for (JsonNode u : root.get("users")) {
            try {
                List<String> roles = new ArrayList<>();
                u.path("roles").forEach(r -> roles.add(r.asText()));
                User user = new User(u.path("name").asText(null), u.path("passwordHash").asText(null),
                        scram(u.get("scram")), roles, u.path("disabled").asBoolean(false),
                        u.hasNonNull("created") ? Instant.parse(u.get("created").asText()) : Instant.EPOCH,
                        u.path("scramDisabled").asBoolean(false));
                if (map.put(user.name(), user) != null) {
                    throw new IllegalArgumentException("user '" + user.name() + "' appears twice");
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("users file " + file + ", user #" + (i + 1) + ": " + e.getMessage());
            }
            i++;
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    private static Scram.Credentials scram(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        byte[] storedKey = Base64.getDecoder().decode(node.path("storedKey").asText(""));
        byte[] serverKey = Base64.getDecoder().decode(node.path("serverKey").asText(""));
        int iterations = node.path("iterations").asInt();
        if (storedKey.length != 32 || serverKey.length != 32 || iterations < Scram.MIN_ITERATIONS) {
            throw new IllegalArgumentException("malformed SCRAM credentials");
        }
        return new Scram.Credentials(Base64.getDecoder().decode(node.path("salt").asText("")), iterations, storedKey,
                serverKey);
    }

    /**
     * Changes the users file under its lock: reads the current content, applies the change and
     * replaces the file atomically.
     *
     * @param change maps the current users (by name, in order) to the new ones
     */
    public void update(UnaryOperator<Map<String, User>> change) {
        update(change, null);
    }

    /**
     * The same, with {@code note} written beside the file ({@link ChangeNote}) just before the
     * file is replaced, so that a broker that sees the new content finds the note that names who
     * changed it.
     *
     * @param note the actor and the command, as {@code (actor, command)}; null for no note
     */
    public synchronized void update(UnaryOperator<Map<String, User>> change, Actor note) {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockChannel.lock()) {
            reload();
            String before = loadedDigest;
            Map<String, User> next = change.apply(new LinkedHashMap<>(users));
            byte[] bytes = serialize(next.values());
            if (note != null) {
                new ChangeNote(note.actor(), note.command(), note.at(), before, ChangeNote.digest(bytes)).writeFor(file);
            }
            write(file, bytes);
            reload();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot update users file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Who changes the file, for its {@link ChangeNote}.
     *
     * @param actor {@code os:NAME}, a principal, or {@code broker}
     * @param command what was run, without secrets
     * @param at when, or null
     */
    public record Actor(String actor, String command, Instant at) {
    }

    private static void write(Path file, Collection<User> users) {
        write(file, serialize(users));
    }

    private static void write(Path file, byte[] bytes) {
        try {
            AtomicFiles.write(DefaultFileLayer.INSTANCE, file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write users file " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] serialize(Collection<User> users) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode list = root.putArray("users");
        for (User u : users) {
            ObjectNode n = list.addObject();
            n.put("name", u.name());
            n.put("passwordHash", u.passwordHash());
            if (u.scram() != null) {
                ObjectNode sc = n.putObject("scram");
                sc.put("salt", B64.encodeToString(u.scram().salt()));
                sc.put("iterations", u.scram().iterations());
                sc.put("storedKey", B64.encodeToString(u.scram().storedKey()));
                sc.put("serverKey", B64.encodeToString(u.scram().serverKey()));
            }
            ArrayNode roles = n.putArray("roles");
            u.roles().forEach(roles::add);
            n.put("disabled", u.disabled());
            n.put("created", u.created().toString());
            if (u.scramDisabled()) {
                n.put("scramDisabled", true);
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the users file: " + e.getMessage(), e);
        }
    }
}
