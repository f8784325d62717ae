package org.securebroker.server.identity;

import org.securebroker.protocol.auth.Scram;

/**
 * The names of the authentication mechanisms as they appear on the wire, in an {@link Identity}
 * and in the authorization policy's {@code mechanism} conditions.
 *
 * <p>Thread-safety: constants only.
 */
public final class MechanismNames {

    public static final String PLAIN = "PLAIN";
    public static final String SCRAM_SHA_256 = Scram.MECHANISM;
    public static final String JWT = "JWT";
    public static final String EXTERNAL = "EXTERNAL";

    private MechanismNames() {
    }
}
