package org.securebroker.store.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;

/**
 * Loads and writes keyrings. The text format is one {@code name = value} per line:
 *
 * <pre>
 * # comments and blank lines are ignored
 * current = kek-20261127-a1b2
 * kek-20261127-a1b2 = &lt;base64 of 32 random bytes&gt;
 * </pre>
 *
 * A key file must not be accessible by group or others: loading refuses such a file and names
 * the fix. The same text, with lines separated by newlines or {@code ;}, may come from an
 * environment variable instead. Errors name the file or variable and the line, never key bytes.
 *
 * <p>Thread-safety: stateless; callers serialize writes to one file.
 */
public final class KeyringFile {

    /** The conventional environment variable for a keyring. */
    public static final String DEFAULT_ENV_VARIABLE = "BROKER_KEK";

    private static final int MAX_FILE_BYTES = 64 * 1024;
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final DateTimeFormatter ID_DATE = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final Pattern GENERATED_ID = Pattern.compile("kek-(\\d{8})-[0-9a-f]{6}");

    private KeyringFile() {
    }

    /**
     * Loads a keyring from a file that only its owner may access.
     *
     * @throws StoreException of kind {@code KEY_ERROR} if the file is missing, accessible by group
     *     or others, or malformed
     */
    public static Keyring load(Path file) {
        try {
            checkPermissions(file);
            byte[] bytes = AtomicFiles.read(file, MAX_FILE_BYTES);
            return parse(new String(bytes, StandardCharsets.UTF_8), "key file " + file);
        } catch (NoSuchFileException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "key file " + file
                    + " does not exist; create one with 'broker init' or point the store at the right file", e);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "cannot read key file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a keyring from an environment variable.
     *
     * @throws StoreException of kind {@code KEY_ERROR} if it is unset or malformed
     */
    public static Keyring fromEnvironment(String variable, Map<String, String> environment) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "environment variable " + variable + " is not set");
        }
        return parse(value.replace(';', '\n'), "environment variable " + variable);
    }

    /** Refuses a file that group or others can access, naming the fix. */
    public static void checkPermissions(Path file) throws IOException {
        Set<PosixFilePermission> permissions = permissionsIfLoose(file);
        if (!permissions.isEmpty()) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "key file " + file + " is accessible by group or others ("
                    + PosixFilePermissions.toString(permissions) + "); restrict it to its owner with: chmod 600 " + file);
        }
    }

    /**
     * The permissions of a file or directory if group or others have any access to it, else an
     * empty set (also on a file system without POSIX permissions). This is the test
     * {@link #checkPermissions} applies, for callers that report rather than refuse.
     */
    public static Set<PosixFilePermission> permissionsIfLoose(Path file) throws IOException {
        if (!Files.getFileStore(file).supportsFileAttributeView("posix")) {
            return Set.of();
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> loose = EnumSet.copyOf(GROUP_OR_OTHERS);
        loose.retainAll(permissions);
        return loose.isEmpty() ? Set.of() : Collections.unmodifiableSet(permissions);
    }

    /**
     * The UTC day a key was created on, as the id {@link #create} and {@link #rotate} give it
     * records ({@code kek-20261127-a1b2c3}); empty for an id of another form.
     */
    public static Optional<LocalDate> createdOn(String keyId) {
        Matcher m = GENERATED_ID.matcher(keyId == null ? "" : keyId);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(m.group(1), DateTimeFormatter.BASIC_ISO_DATE));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static Keyring parse(String text, String source) {
        List<Kek> keys = new ArrayList<>();
        String current = null;
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw malformed(source, i, "expected 'name = value'");
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (name.equals("current")) {
                if (current != null) {
                    throw malformed(source, i, "'current' is set twice");
                }
                current = value;
                continue;
            }
            byte[] keyBytes;
            try {
                keyBytes = Base64.getDecoder().decode(value);
            } catch (IllegalArgumentException e) {
                throw malformed(source, i, "the value of key '" + name + "' is not valid base64");
            }
            try {
                keys.add(Kek.of(name, keyBytes));
            } catch (IllegalArgumentException e) {
                throw malformed(source, i, e.getMessage());
            } finally {
                java.util.Arrays.fill(keyBytes, (byte) 0);
            }
        }
        if (keys.isEmpty()) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, source + " holds no keys");
        }
        if (current == null) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, source + " does not say which key is current: add 'current = <key id>'");
        }
        try {
            return Keyring.of(keys, current);
        } catch (IllegalArgumentException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, source + ": " + e.getMessage());
        }
    }

    private static StoreException malformed(String source, int lineIndex, String why) {
        return new StoreException(StoreException.Kind.KEY_ERROR, source + " line " + (lineIndex + 1) + ": " + why);
    }

    /** Renders a keyring in the file format. The result contains key material: write it only to a protected file. */
    static String render(Keyring keyring) {
        StringBuilder out = new StringBuilder();
        out.append("# Key-encryption keys of the broker store. Keep this file readable by its owner only,\n");
        out.append("# and back it up apart from the data directory: segments alone must not be decryptable.\n");
        out.append("current = ").append(keyring.current().id()).append('\n');
        for (Kek kek : keyring.keys()) {
            byte[] bytes = kek.exportBytes();
            out.append(kek.id()).append(" = ").append(Base64.getEncoder().encodeToString(bytes)).append('\n');
            java.util.Arrays.fill(bytes, (byte) 0);
        }
        return out.toString();
    }

    /**
     * Creates a new key file holding one fresh random key, readable by its owner only.
     *
     * @throws StoreException of kind {@code KEY_ERROR} if the file exists already
     */
    public static Keyring create(FileLayer layer, Path file, SecureRandom random, Clock clock) {
        if (Files.exists(file)) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "key file " + file + " exists already; refusing to overwrite it");
        }
        Keyring keyring = Keyring.of(generate(random, clock, List.of()));
        write(layer, file, keyring);
        return keyring;
    }

    /**
     * Adds a fresh key to an existing key file and makes it current; the old keys stay so that
     * data keys wrapped by them can still be unwrapped until they are rewrapped.
     *
     * @return the new keyring
     */
    public static Keyring rotate(FileLayer layer, Path file, SecureRandom random, Clock clock) {
        Keyring old = load(file);
        Kek fresh = generate(random, clock, old.ids());
        List<Kek> keys = new ArrayList<>(old.keys());
        keys.add(fresh);
        Keyring keyring = Keyring.of(keys, fresh.id());
        write(layer, file, keyring);
        return keyring;
    }

    private static Kek generate(SecureRandom random, Clock clock, List<String> taken) {
        byte[] bytes = new byte[Kek.KEY_BYTES];
        String id;
        do {
            byte[] suffix = new byte[3];
            random.nextBytes(suffix);
            id = "kek-" + ID_DATE.format(clock.instant()) + "-" + java.util.HexFormat.of().formatHex(suffix);
        } while (taken.contains(id));
        random.nextBytes(bytes);
        try {
            return Kek.of(id, bytes);
        } finally {
            java.util.Arrays.fill(bytes, (byte) 0);
        }
    }

    private static void write(FileLayer layer, Path file, Keyring keyring) {
        byte[] text = render(keyring).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(layer, file, ByteBuffer.wrap(text));
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "cannot write key file " + file + ": " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(text, (byte) 0);
        }
    }
}
