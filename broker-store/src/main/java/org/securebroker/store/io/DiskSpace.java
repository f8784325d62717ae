package org.securebroker.store.io;

import java.io.IOException;

/**
 * Tells a write refused for lack of space ({@code ENOSPC}, {@code EDQUOT}) from other I/O errors.
 * The JDK reports both as a plain {@link IOException}; only the message names the cause. The
 * store undoes such a write and refuses with {@code DISK_FULL} (retriable) instead of failing for
 * good, and the broker answers {@code STORE_FULL}.
 *
 * <p>Thread-safety: stateless.
 */
public final class DiskSpace {

    private DiskSpace() {
    }

    /** Whether {@code e} is a write refused because the disk (or the user's quota) is full. */
    public static boolean isFull(IOException e) {
        String message = e.getMessage();
        return message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"));
    }
}
