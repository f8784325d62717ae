package org.securebroker.server.auth;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A user as stored in the users file: a name, an Argon2id PHC hash, roles, and whether the account
 * is disabled. The hash is never printed by {@link #toString()}.
 *
 * <p>Thread-safety: immutable.
 */
public record User(String name, String passwordHash, List<String> roles, boolean disabled, Instant created) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    public User {
        validateName(name);
        Argon2id.parse(passwordHash);
        roles = List.copyOf(roles);
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

    public User withPasswordHash(String hash) {
        return new User(name, hash, roles, disabled, created);
    }

    public User withDisabled(boolean value) {
        return new User(name, passwordHash, roles, value, created);
    }

    @Override
    public String toString() {
        return "User[" + name + ", roles=" + roles + (disabled ? ", disabled" : "") + "]";
    }
}
