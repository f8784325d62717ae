package org.securebroker.store;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.segment.RecordFormat;

/**
 * How a store is laid out and tuned. Built with {@link #builder(Path, Clock, SecureRandom)}; every value is checked
 * when {@link Builder#build()} runs, and all problems are reported together.
 *
 * <p>Thread-safety: immutable.
 *
 * @param directory the data directory (created if missing)
 * @param segmentBytes a segment rolls once appending would take it past this size
 * @param maxRecordBytes the largest payload of one record
 * @param maxBatchBytes the largest encoded size of one append call (all its records) and of one
 *     group commit
 * @param maxPendingBytes appends fail fast with {@code OVERLOADED} while more than this many
 *     bytes wait for the disk
 * @param indexInterval one index entry per this many records
 * @param retention age and size limits on finished segments
 * @param retentionCheckInterval how often retention limits are applied
 * @param subscriptionSyncInterval acks are made durable in groups at most this long after they
 *     are recorded (the at-least-once window after a crash)
 * @param subscriptionCompactBytes the subscription journal is compacted into a snapshot past this size
 * @param checkpointInterval how often the store state records every log's durable end (and the
 *     subscription state's): acknowledged records written after the last checkpoint are the
 *     ones a truncation or rollback of the files can take without the store noticing
 * @param sealer seals each record once its offset is known (the broker's message signatures);
 *     null = records are stored as given
 */
public record StoreConfig(
        Path directory,
        int segmentBytes,
        int maxRecordBytes,
        int maxBatchBytes,
        long maxPendingBytes,
        int indexInterval,
        RetentionPolicy retention,
        Duration retentionCheckInterval,
        Duration subscriptionSyncInterval,
        long subscriptionCompactBytes,
        Duration checkpointInterval,
        FileLayer fileLayer,
        Clock clock,
        SecureRandom random,
        StoreListener listener,
        RecordSealer sealer) {

    /** What a sealer adds to a record at most; 0 without one. */
    public int maxSealBytes() {
        return sealer == null ? 0 : sealer.maxSealBytes();
    }

    /**
     * A builder for a store in {@code directory} that reads time from {@code clock} (retention,
     * key ages) and draws keys and nonces from {@code random}: the store has no source of its own.
     */
    public static Builder builder(Path directory, Clock clock, SecureRandom random) {
        return new Builder(directory).clock(clock).random(random);
    }

    /** Collects settings; {@link #build()} validates them all at once. */
    public static final class Builder {
        private final Path directory;
        private int segmentBytes = 64 * 1024 * 1024;
        private int maxRecordBytes = 4 * 1024 * 1024;
        private int maxBatchBytes = 8 * 1024 * 1024;
        private long maxPendingBytes = 256L * 1024 * 1024;
        private int indexInterval = 32;
        private RetentionPolicy retention = RetentionPolicy.UNLIMITED;
        private Duration retentionCheckInterval = Duration.ofSeconds(30);
        private Duration subscriptionSyncInterval = Duration.ofMillis(10);
        private long subscriptionCompactBytes = 16L * 1024 * 1024;
        private Duration checkpointInterval = Duration.ofSeconds(1);
        private FileLayer fileLayer = DefaultFileLayer.INSTANCE;
        private Clock clock;
        private SecureRandom random;
        private StoreListener listener = StoreListener.NONE;
        private RecordSealer sealer;

        private Builder(Path directory) {
            this.directory = directory;
        }

        public Builder segmentBytes(int v) {
            segmentBytes = v;
            return this;
        }

        public Builder maxRecordBytes(int v) {
            maxRecordBytes = v;
            return this;
        }

        public Builder maxBatchBytes(int v) {
            maxBatchBytes = v;
            return this;
        }

        public Builder maxPendingBytes(long v) {
            maxPendingBytes = v;
            return this;
        }

        public Builder indexInterval(int v) {
            indexInterval = v;
            return this;
        }

        public Builder retention(RetentionPolicy v) {
            retention = v;
            return this;
        }

        public Builder retentionCheckInterval(Duration v) {
            retentionCheckInterval = v;
            return this;
        }

        public Builder subscriptionSyncInterval(Duration v) {
            subscriptionSyncInterval = v;
            return this;
        }

        public Builder checkpointInterval(Duration v) {
            checkpointInterval = v;
            return this;
        }

        public Builder subscriptionCompactBytes(long v) {
            subscriptionCompactBytes = v;
            return this;
        }

        public Builder fileLayer(FileLayer v) {
            fileLayer = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public Builder random(SecureRandom v) {
            random = v;
            return this;
        }

        public Builder listener(StoreListener v) {
            listener = v;
            return this;
        }

        /** Seals records before they are encrypted; null (the default) = no seal. */
        public Builder sealer(RecordSealer v) {
            sealer = v;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming every invalid setting and what is allowed
         */
        public StoreConfig build() {
            List<String> problems = new ArrayList<>();
            if (directory == null) {
                problems.add("directory: required");
            }
            if (segmentBytes < 4096) {
                problems.add("segmentBytes: must be at least 4096, not " + segmentBytes);
            }
            if (maxRecordBytes < 1 || maxRecordBytes > 64 * 1024 * 1024) {
                problems.add("maxRecordBytes: must be between 1 and 67108864, not " + maxRecordBytes);
            }
            int sealBytes = sealer == null ? 0 : sealer.maxSealBytes();
            if (sealBytes < 0 || sealBytes > RecordSealer.MAX_SEAL_BYTES) {
                problems.add("sealer: adds " + sealBytes + " bytes per record; allowed are 0 to "
                        + RecordSealer.MAX_SEAL_BYTES);
            }
            if ((long) maxBatchBytes < (long) maxRecordBytes + RecordFormat.OVERHEAD + sealBytes) {
                problems.add("maxBatchBytes: must hold at least one record of maxRecordBytes plus "
                        + (RecordFormat.OVERHEAD + sealBytes) + " bytes of overhead, not " + maxBatchBytes);
            }
            if (maxPendingBytes < maxBatchBytes) {
                problems.add("maxPendingBytes: must be at least maxBatchBytes (" + maxBatchBytes + "), not " + maxPendingBytes);
            }
            if (indexInterval < 1) {
                problems.add("indexInterval: must be at least 1, not " + indexInterval);
            }
            if (retention == null) {
                problems.add("retention: required (use RetentionPolicy.UNLIMITED)");
            }
            if (retentionCheckInterval == null || retentionCheckInterval.isNegative() || retentionCheckInterval.isZero()) {
                problems.add("retentionCheckInterval: must be positive");
            }
            if (subscriptionSyncInterval == null || subscriptionSyncInterval.isNegative()
                    || subscriptionSyncInterval.compareTo(Duration.ofSeconds(10)) > 0) {
                problems.add("subscriptionSyncInterval: must be between 0 and 10s");
            }
            if (subscriptionCompactBytes < 4096) {
                problems.add("subscriptionCompactBytes: must be at least 4096, not " + subscriptionCompactBytes);
            }
            if (checkpointInterval == null || checkpointInterval.toMillis() < 1
                    || checkpointInterval.compareTo(Duration.ofMinutes(1)) > 0) {
                problems.add("checkpointInterval: must be between 1ms and 1m");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid store configuration:\n  " + String.join("\n  ", problems));
            }
            return new StoreConfig(directory, segmentBytes, maxRecordBytes, maxBatchBytes, maxPendingBytes, indexInterval,
                    retention, retentionCheckInterval, subscriptionSyncInterval, subscriptionCompactBytes,
                    checkpointInterval, Objects.requireNonNull(fileLayer, "fileLayer"), Objects.requireNonNull(clock, "clock"),
                    Objects.requireNonNull(random, "random"), Objects.requireNonNull(listener, "listener"), sealer);
        }
    }
}
