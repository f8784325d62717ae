package org.securebroker.server.auth;

import java.security.SecureRandom;
import org.securebroker.protocol.auth.Scram;

/**
 * What the broker stores for a password: an Argon2id PHC string for PLAIN, and SCRAM-SHA-256
 * credentials so that SCRAM clients never send the password at all.
 *
 * <p>Thread-safety: immutable.
 */
public record PasswordSecrets(String argon2id, Scram.Credentials scram) {

    /** Derives both from a password (the caller wipes it). */
    public static PasswordSecrets derive(char[] password, Argon2id hashing, int scramIterations, SecureRandom random) {
        return new PasswordSecrets(hashing.hash(password, random), scram(password, scramIterations, random));
    }

    /** Fresh SCRAM-SHA-256 credentials with a random salt. */
    public static Scram.Credentials scram(char[] password, int iterations, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return Scram.credentials(password, salt, iterations);
    }

    @Override
    public String toString() {
        return "PasswordSecrets[argon2id, scram]";
    }
}
