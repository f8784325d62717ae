package org.securebroker.server.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mechanisms this broker offers, in order of preference (HELLO_OK lists them in this order):
 * EXTERNAL when the client presented a certificate, SCRAM-SHA-256, JWT when configured, PLAIN.
 *
 * <p>Thread-safety: immutable.
 */
public final class Mechanisms {

    private final List<AuthMechanism> all;
    private final AuthMechanism reauthentication;

    /**
     * @param all in order of preference
     * @param reauthentication the mechanism accepted for re-authentication on an open session
     *     (JWT), or null if sessions never expire
     */
    public Mechanisms(List<AuthMechanism> all, AuthMechanism reauthentication) {
        this.all = List.copyOf(all);
        this.reauthentication = reauthentication;
    }

    /** The names offered on this connection. */
    public List<String> offeredOn(ConnectionInfo connection) {
        List<String> names = new ArrayList<>();
        for (AuthMechanism m : all) {
            if (m.offeredOn(connection)) {
                names.add(m.name());
            }
        }
        return names;
    }

    /** The mechanism of this name if it is offered on this connection. */
    public Optional<AuthMechanism> find(String name, ConnectionInfo connection) {
        for (AuthMechanism m : all) {
            if (m.name().equals(name) && m.offeredOn(connection)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The mechanism for re-authenticating an open session, if any. */
    public Optional<AuthMechanism> reauthentication() {
        return Optional.ofNullable(reauthentication);
    }
}
