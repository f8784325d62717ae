package org.securebroker.client;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Options of one subscription.
 *
 * <ul>
 *   <li>{@code prefetch} (default {@value #DEFAULT_PREFETCH}): the most messages delivered to the
 *       application and not yet settled. The broker is granted this much credit at first, and
 *       the client returns credit as the application settles messages.
 *   <li>{@code executor}: where the handler runs. Default: the client's callback executor if
 *       one was configured, else a dedicated thread for this subscription. Either way the
 *       handler runs for one message at a time, in delivery order.
 * </ul>
 *
 * <p>Thread-safety: immutable. {@link Builder} is not thread-safe.
 */
public final class SubscribeOptions {

    /** Prefetch used unless set. */
    public static final int DEFAULT_PREFETCH = 100;

    private static final SubscribeOptions DEFAULTS = builder().build();

    private final int prefetch;
    private final Executor executor;

    private SubscribeOptions(int prefetch, Executor executor) {
        this.prefetch = prefetch;
        this.executor = executor;
    }

    /** Prefetch {@value #DEFAULT_PREFETCH}, default executor. */
    public static SubscribeOptions defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The prefetch (initial credit). */
    public int prefetch() {
        return prefetch;
    }

    /** The executor for this subscription's handler, if set. */
    public Optional<Executor> executor() {
        return Optional.ofNullable(executor);
    }

    @Override
    public String toString() {
        return "SubscribeOptions[prefetch=" + prefetch + (executor != null ? ", custom executor" : "") + "]";
    }

    /**
     * Builds {@link SubscribeOptions}.
     *
     * <p>Thread-safety: not thread-safe.
     */
    public static final class Builder {
        private int prefetch = DEFAULT_PREFETCH;
        private Executor executor;

        private Builder() {
        }

        /**
         * Sets the prefetch.
         *
         * @throws IllegalArgumentException if {@code prefetch} is less than 1
         */
        public Builder prefetch(int prefetch) {
            if (prefetch < 1) {
                throw new IllegalArgumentException("prefetch must be at least 1, got " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Runs the handler on {@code executor} (the client serialises the calls). The client
         * never shuts it down.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** The options. */
        public SubscribeOptions build() {
            return new SubscribeOptions(prefetch, executor);
        }
    }
}
