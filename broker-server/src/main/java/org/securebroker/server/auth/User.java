package org.securebroker.server.auth;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.securebroker.protocol.auth.Scram;

/**
 * A user as stored in the users file: a name, an Argon2id PHC hash (for PLAIN), SCRAM-SHA-256
 * credentials (salt, iterations, StoredKey, ServerKey; null until the password is next set or
 * used with PLAIN), roles, and whether the account is disabled. No secret is printed by
 * {@link #toString()}.
 *
 * <p>Thread-safety: immutable.
 */
public record User(String name, String passwordHash, Scram.Credentials scram, List<String> roles, boolean disabled,
                   Instant created) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    public User {
        validateName(name);
        Argon2id.parse(passwordHash);
        roles = List.copyOf(roles);
    }

    /** A user whose password is stored both ways. */
    public static User of(String name, PasswordSecrets secrets, List<String> roles, Instant created) {
        return new User(name, secrets.argon2id(), secrets.scram(), roles, false, created);
    }

    /** @throws IllegalArgumentException naming what a user name may contain */
    public static void validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid user name '" + name
                    + "': use 1-128 characters of letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
        }
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    public User withPassword(PasswordSecrets secrets) {
        return new User(name, secrets.argon2id(), secrets.scram(), roles, disabled, created);
    }

    public User withPasswordHash(String hash) {
        return new User(name, hash, scram, roles, disabled, created);
    }

    public User withScram(Scram.Credentials credentials) {
        return new User(name, passwordHash, credentials, roles, disabled, created);
    }

    public User withDisabled(boolean value) {
        return new User(name, passwordHash, scram, roles, value, created);
    }

    @Override
    public String toString() {
        return "User[" + name + ", roles=" + roles + (disabled ? ", disabled" : "") + "]";
    }
}
