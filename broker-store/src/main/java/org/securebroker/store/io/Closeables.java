package org.securebroker.store.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closing what is no longer needed after a failure that is already being reported, or a reader
 * whose close cannot lose data: the one place where an exception from {@code close} is
 * swallowed (logged at debug level).
 *
 * <p>Thread-safety: stateless.
 */
public final class Closeables {

    private static final Logger LOG = LoggerFactory.getLogger(Closeables.class);

    private Closeables() {
    }

    /** Closes {@code resource} (nothing if null), swallowing what its close throws. */
    public static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed", resource, e);
        }
    }
}
