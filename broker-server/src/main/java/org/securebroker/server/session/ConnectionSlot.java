package org.securebroker.server.session;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.Optional;
import org.securebroker.server.limits.ConnectionSlots;

/**
 * Where a connection's slot travels from the listener that accepted it (which releases it when
 * the connection closes) to the session that logs it in (which trades it for an authenticated
 * one). A channel without a slot was not accepted by a client listener (a handler test's
 * {@code EmbeddedChannel}) and is counted by nothing.
 *
 * <p>Thread-safety: thread-safe (a channel attribute).
 */
public final class ConnectionSlot {

    private static final AttributeKey<ConnectionSlots.Slot> KEY = AttributeKey.valueOf("securebroker.connection-slot");

    private ConnectionSlot() {
    }

    /** Gives {@code channel} its slot; once, at accept. */
    public static void attach(Channel channel, ConnectionSlots.Slot slot) {
        if (!channel.attr(KEY).compareAndSet(null, slot)) {
            throw new IllegalStateException("the connection has a slot already");
        }
    }

    /** The slot of {@code channel}, if a client listener accepted it. */
    public static Optional<ConnectionSlots.Slot> of(Channel channel) {
        return Optional.ofNullable(channel.attr(KEY).get());
    }
}
