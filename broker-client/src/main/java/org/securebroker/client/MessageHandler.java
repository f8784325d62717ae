package org.securebroker.client;

/**
 * Receives the messages of a subscription.
 *
 * <p>Called on the subscription's callback executor (never on the client's I/O thread), one
 * message at a time and in delivery order. Settle each message with {@link ReceivedMessage#ack()}
 * or {@link ReceivedMessage#nack(java.time.Duration)}, now or later from any thread: until it is
 * settled it counts against the subscription's prefetch. If the handler throws, the client logs
 * the failure (without the payload) and nacks the message without delay, unless it was already
 * settled.
 *
 * <p>Thread-safety: for one subscription the client never calls the handler concurrently; a
 * handler shared between subscriptions must be thread-safe.
 */
@FunctionalInterface
public interface MessageHandler {

    /** Handles one delivered message. */
    void onMessage(ReceivedMessage message);
}
