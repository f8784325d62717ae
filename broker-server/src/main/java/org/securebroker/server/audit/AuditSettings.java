package org.securebroker.server.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.securebroker.protocol.integrity.SigningKey;

/**
 * Where the audit log lives, the key that signs its checkpoints, and when it checkpoints and
 * rotates. Start from {@link #of(Path, SigningKey)} and change what differs
 * from the defaults with the {@code with...} methods.
 *
 * <p>Thread-safety: immutable.
 *
 * @param dir the directory of the audit files (created, owner-only, if missing)
 * @param signingKey the Ed25519 key that signs checkpoints
 * @param keyId the key's id, {@link SigningKey#id()}
 * @param checkpointEntries a checkpoint follows at the latest after this many entries
 * @param checkpointInterval ... or once this much time has passed since the last checkpoint and
 *     there are entries it does not cover
 * @param rotateBytes a file that has reached this size is closed with a checkpoint and the next
 *     entry starts a new file
 * @param rotateAge ... as is a file whose first entry is this old
 * @param maxPendingBytes appends are refused while the entries waiting for the disk hold this many
 *     bytes (as {@link AuditEvent#estimatedBytes()} counts them): the audit queue is bounded in
 *     memory, not only in entries
 */
public record AuditSettings(Path dir, SigningKey signingKey, String keyId, int checkpointEntries,
                            Duration checkpointInterval, long rotateBytes, Duration rotateAge, long maxPendingBytes) {

    public static final int DEFAULT_CHECKPOINT_ENTRIES = 1000;
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(60);
    public static final long DEFAULT_ROTATE_BYTES = 64L * 1024 * 1024;
    public static final Duration DEFAULT_ROTATE_AGE = Duration.ofDays(1);
    /** 16 MiB: some 50,000 typical entries, and at least 200 of the largest an event can be. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 16L << 20;

    /**
     * @throws IllegalArgumentException if the key id is not the key's, or a limit is not positive
     */
    public AuditSettings {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(signingKey, "signingKey");
        if (!signingKey.id().equals(keyId)) {
            throw new IllegalArgumentException("the audit key id '" + keyId + "' is not the signing key's id ("
                    + signingKey.id() + ")");
        }
        if (checkpointEntries < 1) {
            throw new IllegalArgumentException("checkpointEntries must be at least 1, not " + checkpointEntries);
        }
        if (checkpointInterval == null || checkpointInterval.isNegative() || checkpointInterval.isZero()) {
            throw new IllegalArgumentException("checkpointInterval must be positive, not " + checkpointInterval);
        }
        if (rotateBytes < 4096) {
            throw new IllegalArgumentException("rotateBytes must be at least 4096, not " + rotateBytes);
        }
        if (rotateAge == null || rotateAge.isNegative() || rotateAge.isZero()) {
            throw new IllegalArgumentException("rotateAge must be positive, not " + rotateAge);
        }
        if (maxPendingBytes < 1) {
            throw new IllegalArgumentException("maxPendingBytes must be at least 1, not " + maxPendingBytes);
        }
    }

    /** The defaults: a checkpoint every 1000 entries or 60 s, a new file at 64 MiB or after a day. */
    public static AuditSettings of(Path dir, SigningKey signingKey) {
        return new AuditSettings(dir, signingKey, signingKey.id(), DEFAULT_CHECKPOINT_ENTRIES,
                DEFAULT_CHECKPOINT_INTERVAL, DEFAULT_ROTATE_BYTES, DEFAULT_ROTATE_AGE, DEFAULT_MAX_PENDING_BYTES);
    }

    public AuditSettings withCheckpoints(int entries, Duration interval) {
        return new AuditSettings(dir, signingKey, keyId, entries, interval, rotateBytes, rotateAge, maxPendingBytes);
    }

    public AuditSettings withRotation(long bytes, Duration age) {
        return new AuditSettings(dir, signingKey, keyId, checkpointEntries, checkpointInterval, bytes, age, maxPendingBytes);
    }

    public AuditSettings withMaxPendingBytes(long value) {
        return new AuditSettings(dir, signingKey, keyId, checkpointEntries, checkpointInterval, rotateBytes, rotateAge,
                value);
    }
}
