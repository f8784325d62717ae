package org.securebroker.server.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;

/**
 * The authentication layer's own secret: a random 256-bit key, created on first start next to
 * the other secrets (readable by its owner only), from which SCRAM derives the salts it shows
 * for users that do not exist. It must be stable across restarts: a salt that changed with every
 * restart would tell an observer that the user does not exist.
 *
 * <p>Thread-safety: stateless.
 */
public final class AuthSecrets {

    private static final int KEY_BYTES = 32;

    private AuthSecrets() {
    }

    /**
     * Loads the key file, creating it if it does not exist.
     *
     * @throws IllegalStateException naming the file if it cannot be created or read, is readable
     *     by group or others, or does not hold a 256-bit base64 key
     */
    public static byte[] loadOrCreate(Path file, SecureRandom random) {
        try {
            if (!Files.exists(file)) {
                PrivateDirectories.create(AtomicFiles.directoryOf(file));
                byte[] key = new byte[KEY_BYTES];
                random.nextBytes(key);
                byte[] text = Base64.getEncoder().encode(key);
                AtomicFiles.write(DefaultFileLayer.INSTANCE, file, ByteBuffer.wrap(text));
                Arrays.fill(text, (byte) 0);
                return key;
            }
            KeyringFile.checkPermissions(file);
            byte[] text = AtomicFiles.read(file, 1024);
            try {
                byte[] key = Base64.getDecoder().decode(new String(text, StandardCharsets.US_ASCII).trim());
                if (key.length != KEY_BYTES) {
                    throw new IllegalStateException(file + " must hold a " + KEY_BYTES + "-byte key in base64, not "
                            + key.length + " bytes");
                }
                return key;
            } finally {
                Arrays.fill(text, (byte) 0);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use the authentication secret " + file + ": " + e.getMessage(), e);
        }
    }
}
