package org.securebroker.server.queue;

/**
 * One consumer attached to a subscription: the handle a session keeps to grant credit, settle
 * deliveries and detach. Its mutable state belongs to the queue's serial executor.
 *
 * <p>Thread-safety: the accessors are safe from any thread; the package-private state is owned
 * by the queue's executor.
 */
public final class Consumer {

    private final int id;
    private final ConsumerSink sink;
    final SubscriptionDispatcher dispatcher;
    long credit;
    int inFlight;
    /** Bytes of the deliveries in flight (unacknowledged), bounded by the sink's window. */
    long inFlightBytes;
    volatile boolean closed;

    Consumer(int id, ConsumerSink sink, SubscriptionDispatcher dispatcher, long credit) {
        this.id = id;
        this.sink = sink;
        this.dispatcher = dispatcher;
        this.credit = credit;
    }

    /** The consumer id on its connection. */
    public int id() {
        return id;
    }

    public String queue() {
        return dispatcher.queue().name();
    }

    public String subscription() {
        return dispatcher.name();
    }

    ConsumerSink sink() {
        return sink;
    }

    boolean ready() {
        return !closed && credit > 0 && !windowFull() && sink.isWritable();
    }

    /** Whether the consumer holds its window's worth of unacknowledged bytes (one delivery always fits). */
    boolean windowFull() {
        return inFlightBytes > 0 && inFlightBytes >= sink.windowBytes();
    }

    @Override
    public String toString() {
        return "Consumer[" + id + " on " + queue() + "/" + subscription() + "]";
    }
}
