package org.securebroker.server.auth;

import java.security.SecureRandom;
import org.securebroker.protocol.auth.Scram;

/**
 * What the broker stores for a password: an Argon2id PHC string for PLAIN, and SCRAM-SHA-256
 * credentials so that SCRAM clients never send the password at all, or none when SCRAM is off
 * (broker-wide or for the user): a SCRAM verifier is a PBKDF2 hash, much cheaper to attack
 * offline than the Argon2id hash beside it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param scram null when no SCRAM verifier is stored
 */
public record PasswordSecrets(String argon2id, Scram.Credentials scram) {

    /** Derives both from a password (the caller wipes it). */
    public static PasswordSecrets derive(char[] password, Argon2id hashing, int scramIterations, SecureRandom random) {
        return new PasswordSecrets(hashing.hash(password, random), scram(password, scramIterations, random));
    }

    /** Derives the Argon2id hash only: the user gets no SCRAM verifier (the caller wipes the password). */
    public static PasswordSecrets withoutScram(char[] password, Argon2id hashing, SecureRandom random) {
        return new PasswordSecrets(hashing.hash(password, random), null);
    }

    /** Fresh SCRAM-SHA-256 credentials with a random salt. */
    public static Scram.Credentials scram(char[] password, int iterations, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return Scram.credentials(password, salt, iterations);
    }

    @Override
    public String toString() {
        return "PasswordSecrets[argon2id" + (scram == null ? "" : ", scram") + "]";
    }
}
