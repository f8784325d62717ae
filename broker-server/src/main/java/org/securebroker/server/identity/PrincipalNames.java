package org.securebroker.server.identity;

import java.util.regex.Pattern;

/**
 * The one rule for what a principal (user) name may contain, shared by the users file, the
 * authorization policy and the certificate mapping rules, so a name one of them accepts is a
 * name the others accept too.
 *
 * <p>Thread-safety: stateless.
 */
public final class PrincipalNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    /** What a valid name is, for error messages. */
    public static final String RULE = "1-128 characters of letters, digits, '.', '_', '@' or '-', starting with a "
            + "letter or digit";

    private PrincipalNames() {
    }

    /** @throws IllegalArgumentException naming what a user name may contain */
    public static void validate(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid user name '" + name + "': use " + RULE);
        }
    }

    /** Whether {@code name} follows the rule: ASCII only, so no look-alike letters, no control or line separators. */
    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}
