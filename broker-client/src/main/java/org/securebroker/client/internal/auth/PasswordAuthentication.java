package org.securebroker.client.internal.auth;

import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import org.securebroker.protocol.auth.Scram;

/**
 * Authentication with a username and password, by the first of the allowed mechanisms
 * (SCRAM-SHA-256, PLAIN) that the broker offers.
 *
 * <p>Thread-safety: thread-safe (the credentials guard the password).
 *
 * @param credentials the username and password, owned by the client
 * @param mechanisms which mechanisms may carry them, in order of preference: {@link #SCRAM},
 *     {@link #PLAIN} or both, each at most once
 * @param random where SCRAM nonces come from
 */
public record PasswordAuthentication(PasswordCredentials credentials, List<String> mechanisms, SecureRandom random)
        implements Authentication {

    /** SCRAM-SHA-256: the password never leaves the client. */
    public static final String SCRAM = Scram.MECHANISM;
    /** PLAIN: the password itself, inside TLS. */
    public static final String PLAIN = PlainExchange.MECHANISM;

    /**
     * @throws IllegalArgumentException if {@code mechanisms} is empty, repeats one or names one
     *     that is not a password mechanism
     */
    public PasswordAuthentication {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(random, "random");
        mechanisms = List.copyOf(mechanisms);
        if (mechanisms.isEmpty() || mechanisms.stream().distinct().count() != mechanisms.size()
                || !List.of(SCRAM, PLAIN).containsAll(mechanisms)) {
            throw new IllegalArgumentException("password mechanisms must be " + SCRAM + " and/or " + PLAIN
                    + ", each at most once, not " + mechanisms);
        }
    }

    @Override
    public AuthExchange start(List<String> offered) {
        for (String mechanism : mechanisms) {
            if (offered.contains(mechanism)) {
                return mechanism.equals(SCRAM) ? new ScramExchange(credentials, random) : new PlainExchange(credentials);
            }
        }
        throw Authentication.unsupported(offered,
                mechanisms.size() == 1 ? mechanisms.get(0) + " only" : String.join(" or ", mechanisms));
    }

    @Override
    public String describe() {
        return "as '" + credentials.username() + "'";
    }

    @Override
    public void forget() {
        credentials.wipe();
    }
}
