package org.securebroker.server.integrity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;

/**
 * The Ed25519 public keys registered per producer principal, from a text file that
 * {@code broker keys producer} maintains. One key per line, {@code #} starts a comment:
 *
 * <pre>
 * ed25519 BASE64-OF-THE-RAW-32-BYTE-KEY principal
 * </pre>
 *
 * The principal is the rest of the line (it may contain spaces). A principal may have several
 * keys (a rotation in progress); a signature names the key it was made with.
 *
 * <p>Thread-safety: immutable.
 */
public final class ProducerKeys {

    public static final ProducerKeys NONE = new ProducerKeys(Map.of(), null);
    /** The largest producer-keys file read. */
    public static final int MAX_FILE_BYTES = 16 << 20;

    private final Map<String, KeySet> byPrincipal;
    private final byte[] source;

    private ProducerKeys(Map<String, KeySet> byPrincipal, byte[] source) {
        this.byPrincipal = byPrincipal;
        this.source = source;
    }

    /** The file content these keys were read from; null if there was no file or they were not read from one. */
    public byte[] source() {
        return source == null ? null : source.clone();
    }

    /** The keys registered for {@code principal}; empty if none. */
    public KeySet keysOf(String principal) {
        return byPrincipal.getOrDefault(principal, KeySet.EMPTY);
    }

    /** Every principal with its keys, in file order. */
    public Map<String, KeySet> all() {
        return byPrincipal;
    }

    public int keyCount() {
        int n = 0;
        for (KeySet k : byPrincipal.values()) {
            n += k.size();
        }
        return n;
    }

    /** These keys and {@code key} for {@code principal}. */
    public ProducerKeys with(String principal, VerifyingKey key) {
        checkPrincipal(principal);
        Map<String, KeySet> copy = new LinkedHashMap<>(byPrincipal);
        copy.merge(principal, KeySet.of(key), KeySet::with);
        return new ProducerKeys(Collections.unmodifiableMap(copy), null);
    }

    /** These keys without {@code keyId} of {@code principal} (all of its keys if keyId is null). */
    public ProducerKeys without(String principal, String keyId) {
        Map<String, KeySet> copy = new LinkedHashMap<>(byPrincipal);
        KeySet keys = copy.get(principal);
        if (keys != null) {
            List<VerifyingKey> left = new ArrayList<>();
            for (VerifyingKey k : keys.keys()) {
                if (keyId != null && !k.id().equals(keyId)) {
                    left.add(k);
                }
            }
            if (left.isEmpty()) {
                copy.remove(principal);
            } else {
                copy.put(principal, KeySet.of(left));
            }
        }
        return new ProducerKeys(Collections.unmodifiableMap(copy), null);
    }

    /**
     * Reads the file; a missing file means no keys.
     *
     * @throws IOException naming every malformed line (with its number)
     */
    public static ProducerKeys load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return NONE;
        }
        byte[] bytes = AtomicFiles.read(file, MAX_FILE_BYTES);
        String text = new String(bytes, StandardCharsets.UTF_8);
        Map<String, List<VerifyingKey>> keys = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 3);
            if (parts.length < 3 || !parts[0].equals("ed25519")) {
                problems.add("line " + (i + 1) + ": expected 'ed25519 BASE64-KEY principal'");
                continue;
            }
            try {
                byte[] raw = Base64.getDecoder().decode(parts[1]);
                checkPrincipal(parts[2]);
                keys.computeIfAbsent(parts[2], p -> new ArrayList<>()).add(VerifyingKey.of(raw));
            } catch (IllegalArgumentException e) {
                problems.add("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException(file + " has invalid lines; no key of it is used:\n  " + String.join("\n  ", problems));
        }
        Map<String, KeySet> out = new LinkedHashMap<>();
        keys.forEach((principal, list) -> out.put(principal, KeySet.of(list)));
        return new ProducerKeys(Collections.unmodifiableMap(out), bytes);
    }

    /** Writes the file durably. */
    public void save(Path file) throws IOException {
        save(file, null);
    }

    /**
     * Writes the file durably, calling {@code beforeReplace} with the content it replaces (null
     * if there was no file) and the content it writes just before the file is replaced (the CLI
     * writes who made the change beside the file then).
     */
    public void save(Path file, BeforeReplace beforeReplace) throws IOException {
        StringBuilder text = new StringBuilder("# Producer signing keys: ed25519 BASE64-KEY principal "
                + "(maintained by 'broker keys producer')\n");
        byPrincipal.forEach((principal, keys) -> {
            for (VerifyingKey k : keys.keys()) {
                text.append("ed25519 ").append(Base64.getEncoder().encodeToString(k.rawBytes())).append(' ')
                        .append(principal).append('\n');
            }
        });
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        if (beforeReplace != null) {
            beforeReplace.replacing(Files.exists(file) ? AtomicFiles.read(file, MAX_FILE_BYTES) : null, bytes);
        }
        AtomicFiles.write(DefaultFileLayer.INSTANCE, file, java.nio.ByteBuffer.wrap(bytes));
    }

    /** Called just before the file is replaced. */
    @FunctionalInterface
    public interface BeforeReplace {
        /**
         * @param before the content replaced, or null
         * @param after the content about to be written
         */
        void replacing(byte[] before, byte[] after) throws IOException;
    }

    private static void checkPrincipal(String principal) {
        if (principal.isBlank() || principal.length() > 256 || principal.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("a principal has 1 to 256 printable characters");
        }
    }
}
