package org.securebroker.server.session;

import io.netty.channel.Channel;
import org.securebroker.server.identity.Identity;

/**
 * What the front end reports about connections (the broker logs, counts and later audits it).
 *
 * <p>Thread-safety: implementations must be thread-safe; callbacks run on event loops and must
 * not block.
 */
public interface ConnectionListener {

    ConnectionListener NONE = new ConnectionListener() {
    };

    /** Tells both listeners, {@code first} first. */
    static ConnectionListener both(ConnectionListener first, ConnectionListener second) {
        return new ConnectionListener() {
            @Override
            public void handshakeFailed(Channel channel, String reason) {
                first.handshakeFailed(channel, reason);
                second.handshakeFailed(channel, reason);
            }

            @Override
            public void authenticated(Channel channel, String principal, String mechanism) {
                first.authenticated(channel, principal, mechanism);
                second.authenticated(channel, principal, mechanism);
            }

            @Override
            public void authenticated(Channel channel, Identity identity) {
                first.authenticated(channel, identity);
                second.authenticated(channel, identity);
            }

            @Override
            public void reauthenticated(Channel channel, Identity identity) {
                first.reauthenticated(channel, identity);
                second.reauthenticated(channel, identity);
            }

            @Override
            public void authenticationFailed(Channel channel, String user, String mechanism, String reason) {
                first.authenticationFailed(channel, user, mechanism, reason);
                second.authenticationFailed(channel, user, mechanism, reason);
            }

            @Override
            public void reauthenticated(Channel channel, String principal, String mechanism) {
                first.reauthenticated(channel, principal, mechanism);
                second.reauthenticated(channel, principal, mechanism);
            }

            @Override
            public void sessionExpired(Channel channel, String principal, String mechanism) {
                first.sessionExpired(channel, principal, mechanism);
                second.sessionExpired(channel, principal, mechanism);
            }

            @Override
            public void protocolError(Channel channel, String reason) {
                first.protocolError(channel, reason);
                second.protocolError(channel, reason);
            }
        };
    }

    default void handshakeFailed(Channel channel, String reason) {
    }

    default void authenticated(Channel channel, String principal, String mechanism) {
    }

    /** A session opened, with everything its authentication established (the roles a token asserted). */
    default void authenticated(Channel channel, Identity identity) {
        authenticated(channel, identity.principal(), identity.mechanism());
    }

    default void authenticationFailed(Channel channel, String user, String mechanism, String reason) {
    }

    /** An open session renewed its authentication (a fresh token). */
    default void reauthenticated(Channel channel, String principal, String mechanism) {
    }

    /** An open session renewed its authentication, with the identity the renewal established. */
    default void reauthenticated(Channel channel, Identity identity) {
        reauthenticated(channel, identity.principal(), identity.mechanism());
    }

    /** An open session reached its deadline without re-authenticating and is closed. */
    default void sessionExpired(Channel channel, String principal, String mechanism) {
    }

    default void protocolError(Channel channel, String reason) {
    }
}
