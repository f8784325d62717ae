package org.securebroker.client;

/**
 * Which SASL mechanism carries a username and password (see
 * {@link BrokerClientBuilder#passwordMechanism(PasswordMechanism)}).
 *
 * <p>Thread-safety: immutable.
 */
public enum PasswordMechanism {
    /**
     * SCRAM-SHA-256 when the broker offers it, otherwise PLAIN. The list of offered mechanisms
     * arrives inside the verified TLS connection, so a network attacker cannot strip SCRAM from
     * it; pin {@link #SCRAM_SHA_256} to refuse brokers that would receive the password itself.
     */
    AUTO,
    /**
     * SCRAM-SHA-256 (RFC 5802, RFC 7677) only: the password never leaves the client, and the
     * broker must prove that it knows the password too. A broker that does not offer it is
     * refused with {@code UNSUPPORTED_MECHANISM}.
     */
    SCRAM_SHA_256,
    /**
     * PLAIN (RFC 4616) only: the password is sent to the broker inside TLS. A broker that does
     * not offer it is refused with {@code UNSUPPORTED_MECHANISM}.
     */
    PLAIN
}
