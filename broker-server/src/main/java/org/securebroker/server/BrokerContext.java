package org.securebroker.server;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;

/**
 * What the broker takes from its surroundings: the time, the randomness and the file layer the
 * store writes through. The only place that reads the system clock; everything else is handed
 * {@link #clock()}, so token expiry, back-off, redelivery, retention and audit timestamps can be
 * driven by a test's clock, and the store's disk can be one that fails on demand.
 *
 * <p>Thread-safety: immutable (the clock and random are thread-safe).
 *
 * @param clock all time the broker reads
 * @param random all randomness the broker draws (keys, salts, nonces, tokens)
 * @param files the store's file layer
 */
public record BrokerContext(Clock clock, SecureRandom random, FileLayer files) {

    public BrokerContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(files, "files");
    }

    /** The system's UTC clock, a fresh {@link SecureRandom} and the real file system. */
    public static BrokerContext system() {
        return new BrokerContext(Clock.systemUTC(), new SecureRandom(), DefaultFileLayer.INSTANCE);
    }

    /** The same, with the store's files reached through {@code layer}. */
    public BrokerContext withFiles(FileLayer layer) {
        return new BrokerContext(clock, random, layer);
    }

    /** The same, with time read from {@code time}. */
    public BrokerContext withClock(Clock time) {
        return new BrokerContext(time, random, files);
    }
}
