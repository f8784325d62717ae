package org.securebroker.server.request;

import java.util.concurrent.CompletionException;

/**
 * Helpers for the futures the broker's components hand each other.
 *
 * <p>Thread-safety: stateless.
 */
public final class Futures {

    private Futures() {
    }

    /** The failure a future's callback sees, without the {@link CompletionException} wrapped around it. */
    public static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
