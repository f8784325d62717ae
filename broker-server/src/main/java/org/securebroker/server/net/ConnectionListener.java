package org.securebroker.server.net;

import io.netty.channel.Channel;

/**
 * What the front end reports about connections (the broker logs, counts and later audits it).
 *
 * <p>Thread-safety: implementations must be thread-safe; callbacks run on event loops and must
 * not block.
 */
public interface ConnectionListener {

    ConnectionListener NONE = new ConnectionListener() {
    };

    default void handshakeFailed(Channel channel, String reason) {
    }

    default void authenticated(Channel channel, String principal, String mechanism) {
    }

    default void authenticationFailed(Channel channel, String user, String mechanism, String reason) {
    }

    /** An open session renewed its authentication (a fresh token). */
    default void reauthenticated(Channel channel, String principal, String mechanism) {
    }

    /** An open session reached its deadline without re-authenticating and is closed. */
    default void sessionExpired(Channel channel, String principal, String mechanism) {
    }

    default void protocolError(Channel channel, String reason) {
    }
}
