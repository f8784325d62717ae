package org.securebroker.server.auth;

import java.util.concurrent.CompletableFuture;

/**
 * An authentication mechanism the broker offers.
 *
 * <p>Thread-safety: implementations are thread-safe; each exchange belongs to one session.
 */
public interface AuthMechanism {

    /** The name on the wire, e.g. {@code SCRAM-SHA-256}. */
    String name();

    /** Whether the mechanism is offered on this connection (EXTERNAL needs a client certificate). */
    default boolean offeredOn(ConnectionInfo connection) {
        return true;
    }

    /** Starts an exchange for one attempt on a connection. */
    Exchange start(ConnectionInfo connection);

    /**
     * One attempt: fed the AUTH initial response first, then each AUTH_RESPONSE. Results may
     * complete on another thread (hashing and signature checks never run on an event loop).
     */
    interface Exchange {
        CompletableFuture<AuthStep> next(byte[] message);
    }
}
