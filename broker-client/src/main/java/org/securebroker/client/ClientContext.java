package org.securebroker.client;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * What a client takes from its surroundings: the time (token refresh) and the randomness
 * (producer ids, SCRAM nonces). The client's only reading of the system clock and only
 * {@link SecureRandom}; everything else is handed these.
 *
 * <p>Thread-safety: immutable (the clock and random are thread-safe).
 */
record ClientContext(Clock clock, SecureRandom random) {

    static ClientContext system() {
        return new ClientContext(Clock.systemUTC(), new SecureRandom());
    }
}
