package org.securebroker.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to the broker for publishing, consuming and managing queues.
 *
 * <pre>{@code
 * try (BrokerClient client = BrokerClient.builder()
 *         .address("broker.example.com", 7443)
 *         .trustedCertificates(Path.of("ca.pem"))
 *         .credentials("alice", password)
 *         .connect()) {
 *     SendReceipt receipt = client.send("orders", Message.of("hello"));
 *     Subscription s = client.subscribe("orders", "billing", SubscribeOptions.defaults(), m -> {
 *         process(m.payloadUtf8());
 *         m.ack();
 *     });
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> The client owns one I/O thread for its connection, one thread that completes
 * the futures returned by {@link #sendAsync}, a thread for host name lookups and one for
 * authentication work (the token supplier, SCRAM's key derivation), both started when needed,
 * and by default one callback thread per subscription. All are daemon threads named
 * {@code broker-client-N-...}. Application code never runs on the I/O thread. Stages chained on a send future
 * with the non-async methods ({@code thenApply}, ...) run on the completion thread, so they must
 * not block for long; use the {@code ...Async} variants with an executor of your own for slow
 * work.
 *
 * <p><b>Connection loss.</b> The client reconnects on its own (see {@link ReconnectPolicy}),
 * re-attaches every open subscription and resends every publish not yet acknowledged, with the
 * same producer id and sequence so that the broker discards duplicates. Every reconnect
 * authenticates again with the configured mechanism (with a fresh token from the token supplier). Other requests that were
 * waiting for an answer fail with {@code CONNECTION_LOST} (retriable); requests made while
 * disconnected fail at once with the same code.
 *
 * <p>Thread-safety: thread-safe; one client can be shared by all threads of an application.
 */
public interface BrokerClient extends AutoCloseable {

    /** A builder for a client; see {@link BrokerClientBuilder} for the settings and defaults. */
    static BrokerClientBuilder builder() {
        return new BrokerClientBuilder();
    }

    /** This client's random producer id, sent with every message for de-duplication. */
    String producerId();

    /** The principal the broker authenticated this client as. */
    String principal();

    /**
     * When the broker ends the current session unless it is re-authenticated, as the broker
     * announced it (its clock); empty if the session does not expire or the client is not
     * connected. With a token supplier the client re-authenticates before this time on its own,
     * and the value moves forward.
     */
    Optional<Instant> sessionExpiresAt();

    /**
     * Publishes a message without waiting.
     *
     * <p>The message is queued for the I/O thread, which groups queued messages by queue into
     * PUBLISH frames. The future completes, on the client's completion thread, when the broker
     * has durably stored the message, or fails with a {@link BrokerException}:
     * <ul>
     *   <li>{@code OVERLOADED} (retriable) at once, when {@code maxInFlightSends} messages are
     *       already unacknowledged and the policy is {@link SendBufferPolicy#FAIL}; with
     *       {@link SendBufferPolicy#block} this call first blocks for up to the policy's time;
     *   <li>{@code MESSAGE_TOO_LARGE} at once, when the message cannot fit in one frame of the
     *       negotiated maximum size;
     *   <li>{@code TIMEOUT} when the broker has not acknowledged the message within the request
     *       timeout, counted from this call and across reconnects. The message may still have
     *       been stored, and may still be delivered to consumers later;
     *   <li>the broker's error code when it refused the message;
     *   <li>{@code CLIENT_CLOSED} when the client is closed first, or the error that made the
     *       client give up reconnecting.
     * </ul>
     * Messages sent from one thread to one queue are stored in the order of the calls, also when
     * they are resent after a reconnect.
     *
     * @throws IllegalArgumentException if the queue name is empty or too long
     */
    CompletableFuture<SendReceipt> sendAsync(String queue, Message message);

    /**
     * Publishes a message and waits for the broker's acknowledgement, up to the request timeout.
     * Fails as {@link #sendAsync} does, by throwing.
     *
     * @throws BrokerException if the message was not acknowledged; with {@code TIMEOUT} the
     *     message may still have been stored
     */
    SendReceipt send(String queue, Message message);

    /**
     * Attaches {@code handler} to the subscription {@code subscription} of {@code queue} and waits
     * for the broker to confirm, up to the request timeout.
     *
     * @throws BrokerException if the broker refused (for example {@code QUEUE_NOT_FOUND},
     *     {@code NOT_AUTHORIZED}), did not answer in time, or the client is not connected
     */
    Subscription subscribe(String queue, String subscription, SubscribeOptions options,
                           MessageHandler handler);

    /** {@link #subscribe(String, String, SubscribeOptions, MessageHandler)} with default options. */
    default Subscription subscribe(String queue, String subscription, MessageHandler handler) {
        return subscribe(queue, subscription, SubscribeOptions.defaults(), handler);
    }

    /**
     * Creates a queue and waits for the broker's answer, up to the request timeout.
     *
     * @throws BrokerException e.g. {@code QUEUE_EXISTS}, {@code NOT_AUTHORIZED}, {@code INVALID_REQUEST}
     */
    void createQueue(QueueSpec spec);

    /**
     * Deletes a queue and waits for the broker's answer, up to the request timeout.
     *
     * @throws BrokerException e.g. {@code QUEUE_NOT_FOUND}, {@code NOT_AUTHORIZED}
     */
    void deleteQueue(String queue);

    /**
     * Lists the queues this principal may see, waiting up to the request timeout.
     *
     * @throws BrokerException if the broker refused or did not answer in time
     */
    List<QueueInfo> listQueues();

    /**
     * The protocol version negotiated with the broker on the current connection (or the last
     * one, while reconnecting): 2 with a broker that speaks it, else 1. The subscription
     * lifecycle methods below and {@link ReceivedMessage#reject} need 2.
     */
    int protocolVersion();

    /**
     * Lists the subscriptions of a queue, waiting up to the request timeout. Needs {@code consume}
     * on the queue.
     *
     * @throws BrokerException e.g. {@code QUEUE_NOT_FOUND}, {@code NOT_AUTHORIZED};
     *     {@code UNSUPPORTED_VERSION} if the broker speaks protocol version 1
     */
    List<SubscriptionInfo> listSubscriptions(String queue);

    /**
     * Deletes a subscription of a queue and waits for the broker's answer, up to the request
     * timeout. Consumers attached to it, on any connection, are cancelled with
     * {@code SUBSCRIPTION_NOT_FOUND}; messages only it still held are released. Needs
     * {@code consume} on the queue.
     *
     * @throws BrokerException e.g. {@code SUBSCRIPTION_NOT_FOUND}, {@code QUEUE_NOT_FOUND},
     *     {@code NOT_AUTHORIZED}; {@code UNSUPPORTED_VERSION} if the broker speaks protocol version 1
     */
    void deleteSubscription(String queue, String subscription);

    /**
     * Removes every message the queue holds now, for every subscription (messages published
     * after the purge are kept), and waits for the broker's answer, up to the request timeout.
     * Needs {@code purge} on the queue.
     *
     * @return how many messages were removed
     * @throws BrokerException e.g. {@code QUEUE_NOT_FOUND}, {@code NOT_AUTHORIZED};
     *     {@code UNSUPPORTED_VERSION} if the broker speaks protocol version 1
     */
    long purgeQueue(String queue);

    /**
     * Reads up to {@code maxMessages} messages of a queue from {@code fromOffset} on, without
     * consuming them: no subscription, cursor or delivery count changes. Below the oldest message
     * the queue retains, reading starts at the oldest; continue with the result's
     * {@link BrowseResult#nextOffset()}. Every message is verified against the pinned broker keys
     * before it is returned, as deliveries are. Waits up to the request timeout. Needs
     * {@code consume} on the queue.
     *
     * @throws IllegalArgumentException if {@code fromOffset} is negative or {@code maxMessages}
     *     is outside [1, 1000]
     * @throws IllegalStateException if no broker keys are pinned and verification was not
     *     turned off explicitly
     * @throws BrokerException {@code VERIFICATION_FAILED} if a message does not verify (none is
     *     returned then), e.g. {@code QUEUE_NOT_FOUND}, {@code NOT_AUTHORIZED};
     *     {@code UNSUPPORTED_VERSION} if the broker speaks protocol version 1
     */
    BrowseResult browse(String queue, long fromOffset, int maxMessages);

    /**
     * Moves a subscription that has no consumer attached to {@code offset}: every message from
     * there on is delivered again, every message before it counts as acknowledged. Waits up to
     * the request timeout. Needs {@code consume} on the queue.
     *
     * @return the position the subscription now starts at
     * @throws IllegalArgumentException if {@code offset} is negative
     * @throws BrokerException {@code INVALID_REQUEST} while consumers are attached or when the
     *     offset is outside what the queue retains (the message names the range),
     *     {@code SUBSCRIPTION_NOT_FOUND}, {@code QUEUE_NOT_FOUND}, {@code NOT_AUTHORIZED};
     *     {@code UNSUPPORTED_VERSION} if the broker speaks protocol version 1
     */
    long seek(String queue, String subscription, long offset);

    /**
     * Moves a subscription that has no consumer attached to the first message the broker stored
     * at or after {@code time} (the end of the queue if there is none), as {@link #seek} does.
     *
     * @return the position the subscription now starts at
     * @throws IllegalArgumentException if {@code time} does not fit in epoch milliseconds
     * @throws BrokerException as {@link #seek}
     */
    long seekToTime(String queue, String subscription, Instant time);

    /**
     * Asks the broker to reload its TLS material (certificate chain and key, client CA, CRL) from
     * its files, and waits for the answer, up to the request timeout. New connections use the
     * new material; existing ones, including this one, continue.
     *
     * @throws BrokerException e.g. {@code NOT_AUTHORIZED}, or {@code INVALID_REQUEST} naming the
     *     file the broker could not load (it then keeps the old material)
     */
    void reload();

    /**
     * Closes the client: tells the broker (CLOSE), fails everything pending with
     * {@code CLIENT_CLOSED}, stops the subscriptions and shuts down the client's threads. Forgets
     * the password. Waits briefly (about a second at most) for the connection to close. Idempotent.
     */
    @Override
    void close();
}
