package org.securebroker.server.auth;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.securebroker.server.config.BrokerConfig;

/**
 * The mechanisms this broker offers, in order of preference (HELLO_OK lists them in this order):
 * EXTERNAL when the client presented a certificate, SCRAM-SHA-256 unless turned off
 * ({@code auth.scram.enabled}), JWT when configured, PLAIN.
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

    /**
     * The broker's mechanisms for its configuration: EXTERNAL (offered when a client presented a
     * certificate), SCRAM-SHA-256 if on, JWT if configured, PLAIN; all behind one login throttle.
     *
     * @param certificateMapper client certificate to principal
     * @param maskKey the secret behind the salts SCRAM shows for unknown users
     * @throws IllegalStateException naming a JWT key file that cannot be used
     */
    public static Mechanisms standard(BrokerConfig.Auth config, UserStore users, PasswordAuthenticator passwords,
                                      Function<X509Certificate, Optional<String>> certificateMapper, byte[] maskKey,
                                      Clock clock, SecureRandom random) {
        LoginThrottle throttle = new LoginThrottle(config.bruteForce(), clock);
        List<AuthMechanism> all = new ArrayList<>();
        all.add(new ExternalMechanism(certificateMapper, users));
        if (config.scramEnabled()) {
            all.add(new ScramMechanism(users, passwords, throttle, maskKey, config.scramIterations(), random));
        }
        JwtMechanism jwt = config.jwt() == null ? null : new JwtMechanism(config.jwt(), clock, passwords, throttle);
        if (jwt != null) {
            all.add(jwt);
        }
        all.add(new PlainMechanism(passwords, throttle));
        return new Mechanisms(all, jwt);
    }

    /**
     * Re-reads what mechanisms load from files (the JWT keys); a mechanism whose files are bad
     * keeps its previous state.
     *
     * @throws IllegalStateException naming the file and the problem
     */
    public void reload() {
        if (reauthentication instanceof JwtMechanism jwt) {
            jwt.reload();
        }
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
