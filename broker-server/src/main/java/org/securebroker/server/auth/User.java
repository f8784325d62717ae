package org.securebroker.server.auth;

import java.time.Instant;
import java.util.List;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.server.identity.PrincipalNames;

/**
 * A user as stored in the users file: a name, an Argon2id PHC hash (for PLAIN), SCRAM-SHA-256
 * credentials (salt, iterations, StoredKey, ServerKey; null until the password is next set or
 * used with PLAIN, and always null for a user with {@code scramDisabled}), roles, and whether the
 * account is disabled. No secret is printed by {@link #toString()}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param scramDisabled no SCRAM verifier is ever stored for this user, so only the Argon2id hash
 *     can be attacked offline; SCRAM logins fail like a wrong password
 */
public record User(String name, String passwordHash, Scram.Credentials scram, List<String> roles, boolean disabled,
                   Instant created, boolean scramDisabled) {

    public User {
        PrincipalNames.validate(name);
        Argon2id.parse(passwordHash);
        roles = List.copyOf(roles);
        if (scramDisabled && scram != null) {
            throw new IllegalArgumentException("a user with SCRAM turned off has no SCRAM credentials");
        }
    }

    /** A user who may have SCRAM credentials. */
    public User(String name, String passwordHash, Scram.Credentials scram, List<String> roles, boolean disabled,
                Instant created) {
        this(name, passwordHash, scram, roles, disabled, created, false);
    }

    /** A user whose password is stored as {@code secrets} holds it (with SCRAM credentials or without). */
    public static User of(String name, PasswordSecrets secrets, List<String> roles, Instant created) {
        return of(name, secrets, roles, created, false);
    }

    /**
     * @param scramDisabled whether SCRAM is turned off for this user ({@code secrets} must then
     *     hold no SCRAM credentials)
     */
    public static User of(String name, PasswordSecrets secrets, List<String> roles, Instant created,
                          boolean scramDisabled) {
        return new User(name, secrets.argon2id(), secrets.scram(), roles, false, created, scramDisabled);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    /** This user with a new password; SCRAM stays turned off for the user if it was. */
    public User withPassword(PasswordSecrets secrets) {
        return withPassword(secrets, scramDisabled);
    }

    /**
     * This user with a new password, and SCRAM turned off for the user or not ({@code secrets}
     * must then hold no SCRAM credentials).
     */
    public User withPassword(PasswordSecrets secrets, boolean scramOff) {
        return new User(name, secrets.argon2id(), secrets.scram(), roles, disabled, created, scramOff);
    }

    public User withPasswordHash(String hash) {
        return new User(name, hash, scram, roles, disabled, created, scramDisabled);
    }

    /** This user with other SCRAM credentials (null: none until the password is next set or used). */
    public User withScram(Scram.Credentials credentials) {
        return new User(name, passwordHash, credentials, roles, disabled, created, scramDisabled);
    }

    public User withDisabled(boolean value) {
        return new User(name, passwordHash, scram, roles, value, created, scramDisabled);
    }

    @Override
    public String toString() {
        return "User[" + name + ", roles=" + roles + (disabled ? ", disabled" : "") + (scramDisabled ? ", no SCRAM" : "")
                + "]";
    }
}
