package org.securebroker.server.request;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Helpers for the futures the broker's components hand each other.
 *
 * <p>Thread-safety: stateless.
 */
public final class Futures {

    private Futures() {
    }

    /**
     * The failure a future's callback sees, without the {@link CompletionException}s (or
     * {@link ExecutionException}s) wrapped around it: a future composed of other futures may wrap
     * the original failure more than once.
     */
    public static Throwable cause(Throwable error) {
        Throwable t = error;
        for (int depth = 0; depth < 16 && (t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null; depth++) {
            t = t.getCause();
        }
        return t;
    }
}
