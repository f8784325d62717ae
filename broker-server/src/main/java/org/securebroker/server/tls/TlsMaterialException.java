package org.securebroker.server.tls;

import java.nio.file.Path;

/**
 * TLS material could not be loaded or reloaded. The message names the setting and file and
 * what is wrong with it (never key bytes); on a reload, the material in force stays in force.
 * It is an {@link IllegalStateException}, as {@code Broker.start} reports startup problems.
 *
 * <p>Thread-safety: immutable.
 */
public final class TlsMaterialException extends IllegalStateException {

    private final transient Path file;

    public TlsMaterialException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file at fault; null if the problem is not one file's (e.g. OpenSSL does not load). */
    public Path file() {
        return file;
    }
}
