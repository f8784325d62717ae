package org.securebroker.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.securebroker.server.config.PasswordHashing;

/**
 * Argon2id password hashing in the PHC string format
 * {@code $argon2id$v=19$m=MEMORY_KIB,t=ITERATIONS,p=PARALLELISM$SALT$HASH} (salt and hash in
 * unpadded standard base64), as the reference implementation and libsodium write it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param memoryKiB memory cost in KiB; at least 19456 (19 MiB, the OWASP minimum)
 * @param iterations time cost; at least 2
 * @param parallelism lanes; at least 1
 */
public record Argon2id(int memoryKiB, int iterations, int parallelism) {

    /** The OWASP minimum: m=19 MiB, t=2, p=1. */
    public static final Argon2id OWASP_MINIMUM = of(PasswordHashing.OWASP_MINIMUM);

    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,4}),p=(\\d{1,3})\\$([A-Za-z0-9+/]{11,64})\\$([A-Za-z0-9+/]{16,128})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    public Argon2id {
        new PasswordHashing(memoryKiB, iterations, parallelism); // refuses anything below the OWASP minimum
    }

    /** The hasher for configured parameters. */
    public static Argon2id of(PasswordHashing parameters) {
        return new Argon2id(parameters.memoryKiB(), parameters.iterations(), parameters.parallelism());
    }

    /** Parsed parameters, salt and hash of a stored PHC string; the arrays are copied in and out. */
    public record Phc(int memoryKiB, int iterations, int parallelism, byte[] salt, byte[] hash) {
        public Phc {
            salt = salt.clone();
            hash = hash.clone();
        }

        @Override
        public byte[] salt() {
            return salt.clone();
        }

        @Override
        public byte[] hash() {
            return hash.clone();
        }
    }

    /**
     * Parses a PHC string.
     *
     * @throws IllegalArgumentException if it is not an Argon2id v19 PHC string
     */
    public static Phc parse(String phc) {
        Matcher m = PHC.matcher(phc == null ? "" : phc);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an Argon2id (v=19) PHC string");
        }
        return new Phc(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Base64.getDecoder().decode(m.group(4)), Base64.getDecoder().decode(m.group(5)));
    }

    /** Hashes a password with a fresh random salt. */
    public String hash(char[] password, SecureRandom random) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, memoryKiB, iterations, parallelism, HASH_BYTES);
        return "$argon2id$v=19$m=" + memoryKiB + ",t=" + iterations + ",p=" + parallelism + "$" + B64.encodeToString(salt)
                + "$" + B64.encodeToString(hash);
    }

    /** Checks a password against a stored PHC string (with that string's parameters), in constant time. */
    public static boolean verify(char[] password, String phc) {
        Phc p = parse(phc);
        byte[] expected = p.hash();
        byte[] actual = derive(password, p.salt(), p.memoryKiB(), p.iterations(), p.parallelism(), expected.length);
        return MessageDigest.isEqual(actual, expected);
    }

    /** Whether a stored hash uses weaker parameters than these, so the next login should rehash. */
    public boolean isOutdated(String phc) {
        Phc p = parse(phc);
        return p.memoryKiB() < memoryKiB || p.iterations() < iterations || p.parallelism() < parallelism;
    }

    static byte[] derive(char[] password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length) {
        byte[] pw = toUtf8(password);
        try {
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withMemoryAsKB(memoryKiB)
                    .withIterations(iterations)
                    .withParallelism(parallelism)
                    .withSalt(salt)
                    .build());
            byte[] out = new byte[length];
            generator.generateBytes(pw, out);
            return out;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    private static byte[] toUtf8(char[] chars) {
        java.nio.ByteBuffer buf = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        buf.clear(); // wipe the encoder's whole buffer, not only the part that held the password
        while (buf.hasRemaining()) {
            buf.put((byte) 0);
        }
        return out;
    }
}
