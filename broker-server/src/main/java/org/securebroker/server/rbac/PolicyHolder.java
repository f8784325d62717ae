package org.securebroker.server.rbac;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force, and its file. {@link #reloadIfChanged()} (for a poll) and {@link #reload()}
 * (for an operator's reload) parse the file again and swap the new policy in atomically, only if
 * it is valid; a broken file is refused with every problem and the previous policy stays in force.
 * Listeners hear of every swap, after it, e.g. to drop cached decisions.
 *
 * <p>A file is read again when its modification time or size changed, or when it was modified so
 * close to the last read that a second write within the same timestamp could have gone unseen;
 * a read whose content hashes as before changes nothing.
 *
 * <p>Thread-safety: thread-safe; {@link #current()} is a volatile read, reloads are serialized.
 */
public final class PolicyHolder {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyHolder.class);
    /** Modifications this close to a read may share its file timestamp with a later write. */
    private static final Duration RACY = Duration.ofSeconds(2);
    private static final long NEVER = -1;
    private static final long MISSING = -2;

    private final Path file;
    private final Clock clock;
    private final List<Consumer<Policy>> listeners = new CopyOnWriteArrayList<>();
    private volatile Policy current;

    // Guarded by this: what the file looked like when it was last read (size MISSING: it was
    // missing or unreadable when last polled, which has been reported).
    private FileTime readModified;
    private long readSize = NEVER;
    private long readAtMillis;
    private byte[] readHash;

    private PolicyHolder(Path file, Clock clock, Policy initial) {
        this.file = file;
        this.clock = clock;
        this.current = initial;
    }

    /** A holder of a policy that never changes (the built-in {@link Policy#defaults()} without a file). */
    public static PolicyHolder fixed(Policy policy) {
        // no file is ever read, so no time is ever asked for
        return new PolicyHolder(null, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), Objects.requireNonNull(policy, "policy"));
    }

    /**
     * Loads the policy file; {@code clock} tells how long ago the file was modified when it was read.
     *
     * @throws PolicyException listing every problem if it is missing or invalid
     */
    public static PolicyHolder load(Path file, Clock clock) {
        PolicyHolder holder = new PolicyHolder(file, clock, null);
        synchronized (holder) {
            holder.read(true);
        }
        return holder;
    }

    /** The policy in force. */
    public Policy current() {
        return current;
    }

    /** The policy file; empty for a fixed policy. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** Calls {@code listener} with the new policy after every swap, on the reloading thread. */
    public void addListener(Consumer<Policy> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<Policy> listener) {
        listeners.remove(listener);
    }

    /**
     * Reloads the file if it may have changed; a file that is broken, missing or unreadable is
     * reported once, until it changes again.
     *
     * @return whether a new policy (another version) is now in force
     * @throws PolicyException listing every problem of a changed file that was refused; the
     *     previous policy stays in force
     */
    public synchronized boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            boolean racy = readModified != null && readAtMillis - modified.toMillis() < RACY.toMillis();
            if (modified.equals(readModified) && size == readSize && !racy) {
                return false;
            }
        } catch (IOException e) {
            if (readSize == MISSING) {
                return false;
            }
            readModified = null;
            readSize = MISSING;
            readHash = null;
            throw unreadable(e);
        }
        return read(false);
    }

    /**
     * Reads the file again whatever its timestamp says.
     *
     * @return whether a new policy (another version) is now in force
     * @throws PolicyException listing every problem if the file is refused; the previous policy
     *     stays in force
     */
    public synchronized boolean reload() {
        if (file == null) {
            return false;
        }
        readHash = null;
        return read(false);
    }

    private boolean read(boolean initial) {
        FileTime modified;
        long size;
        String text;
        byte[] hash;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (IOException e) {
            throw unreadable(e);
        }
        text = Policy.read(file);
        hash = sha256(text);
        readModified = modified;
        readSize = size;
        readAtMillis = clock.millis();
        if (!initial && MessageDigest.isEqual(hash, readHash)) {
            return false;
        }
        readHash = hash;
        Policy next = Policy.parse(text, file.toString());
        Policy previous = current;
        if (previous != null && previous.version().equals(next.version())) {
            return false;
        }
        current = next;
        if (previous != null) {
            LOG.info("authorization policy {} now in force (was {})", next.version(), previous.version());
            notifyListeners(next);
        }
        return previous != null;
    }

    private PolicyException unreadable(IOException e) {
        return new PolicyException(file.toString(), List.of(e instanceof NoSuchFileException
                ? "the file does not exist" : "cannot read it: " + e.getMessage()));
    }

    private void notifyListeners(Policy next) {
        for (Consumer<Policy> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                LOG.error("a listener failed on policy {}; the others are still told", next.version(), e);
            }
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
