package org.securebroker.client;

/**
 * A live subscription created by {@link BrokerClient#subscribe}. The client keeps it attached
 * across reconnects.
 *
 * <p>Thread-safety: thread-safe.
 */
public interface Subscription extends AutoCloseable {

    /** The queue consumed from. */
    String queue();

    /** The subscription (named cursor) on that queue. */
    String name();

    /** The most unsettled messages the application holds at a time. */
    int prefetch();

    /**
     * Whether the subscription still receives messages: false after {@link #close()}, after the
     * client was closed, after the broker cancelled it, or after the broker refused to re-attach
     * it on a reconnect (see {@link #failure()}).
     */
    boolean isOpen();

    /**
     * Why the broker ended this subscription, if it did: it cancelled the consumer (for example
     * NOT_AUTHORIZED when the principal lost the right to consume from the queue, or
     * QUEUE_NOT_FOUND when the queue was deleted), or refused to re-attach it after a reconnect.
     * Empty while open and after {@link #close()}.
     */
    java.util.Optional<BrokerException> failure();

    /**
     * Stops the callbacks and detaches from the broker (UNSUBSCRIBE), waiting up to the client's
     * request timeout for the broker's answer. Settlements made before this call are sent first;
     * messages not yet settled become available to other consumers again, and later settlements
     * are ignored. A callback already running completes, but no new one starts. Idempotent.
     *
     * @throws BrokerException if the broker refused or did not answer in time; the subscription
     *     is closed on the client side regardless
     */
    @Override
    void close();
}
