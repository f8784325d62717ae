package org.securebroker.server.auth;

import java.time.Instant;
import java.util.List;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.server.identity.PrincipalNames;

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

    public User {
        PrincipalNames.validate(name);
        Argon2id.parse(passwordHash);
        roles = List.copyOf(roles);
    }

    /** A user whose password is stored both ways. */
    public static User of(String name, PasswordSecrets secrets, List<String> roles, Instant created) {
        return new User(name, secrets.argon2id(), secrets.scram(), roles, false, created);
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
