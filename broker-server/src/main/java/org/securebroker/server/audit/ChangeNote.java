package org.securebroker.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * Who last changed a file the broker watches (the users file, the producer-keys file): a small
 * JSON note beside it ({@code users.json.change}) that the writer replaces just before it
 * replaces the file, and that the broker reads into the audit record of the change it picks up.
 *
 * <pre>
 * {"version": 1, "actor": "os:alice", "command": "broker user add carol",
 *  "at": "2026-11-27T10:00:00Z", "before": "sha256 hex of the file it replaced (or absent)",
 *  "after": "sha256 hex of the file it wrote"}
 * </pre>
 *
 * The note names the content it describes by digest, so a note is credited only to the file
 * content it was written for: a file changed by anything else (an editor, a restore) does not
 * match the note and is audited without an actor. The note is a claim made by whoever can write
 * beside the file, so it is as trustworthy as the file's permissions, no more; it never holds a
 * secret, only names and digests.
 *
 * <p>Thread-safety: immutable.
 *
 * @param actor who made the change: {@code os:NAME} for the operating-system user running the CLI,
 *     a principal the CLI authenticated as, or {@code broker} for the broker's own rewrites
 * @param command what was run, without secrets
 * @param at when, or null if the writer has no clock at hand
 * @param before the digest of the content replaced, or null if there was none
 * @param after the digest of the content written
 */
public record ChangeNote(String actor, String command, Instant at, String before, String after) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BYTES = 16 * 1024;
    /** The digest of a file that does not exist. */
    public static final String ABSENT = "absent";

    /** Where the note of {@code file} lives. */
    public static Path noteOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".change");
    }

    /** SHA-256 of {@code content} in hex; {@link #ABSENT} for null. */
    public static String digest(byte[] content) {
        if (content == null) {
            return ABSENT;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The digest of what {@code file} holds now ({@link #ABSENT} if it does not exist). */
    public static String digestOf(Path file, int maxBytes) throws IOException {
        return Files.exists(file) ? digest(AtomicFiles.read(file, maxBytes)) : ABSENT;
    }

    /** Writes this note beside {@code file}, replacing the previous one atomically. */
    public void writeFor(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("version", 1);
        n.put("actor", actor);
        n.put("command", command);
        if (at != null) {
            n.put("at", at.toString());
        }
        n.put("before", before);
        n.put("after", after);
        AtomicFiles.write(DefaultFileLayer.INSTANCE, noteOf(file), ByteBuffer.wrap(JSON.writeValueAsBytes(n)));
    }

    /**
     * The note beside {@code file}, if there is one that can be read; a damaged note counts as
     * none (the change is then audited without an actor).
     */
    public static Optional<ChangeNote> readFor(Path file) {
        Path note = noteOf(file);
        try {
            if (!Files.exists(note)) {
                return Optional.empty();
            }
            JsonNode n = JSON.readTree(AtomicFiles.read(note, MAX_BYTES));
            if (n == null || n.path("version").asInt() != 1 || !n.hasNonNull("actor") || !n.hasNonNull("after")) {
                return Optional.empty();
            }
            return Optional.of(new ChangeNote(n.get("actor").asText(), n.path("command").asText(""),
                    n.hasNonNull("at") ? Instant.parse(n.get("at").asText()) : null, n.path("before").asText(null),
                    n.get("after").asText()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether this note describes the change to content with digest {@code current}. */
    public boolean describes(String current) {
        return after.equals(current);
    }
}
