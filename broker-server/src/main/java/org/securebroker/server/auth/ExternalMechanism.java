package org.securebroker.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;

/**
 * EXTERNAL (RFC 4422 appendix A): the identity is the client certificate the TLS layer verified
 * against the configured client CA, mapped to a principal by the configured rules. Offered only
 * on connections that presented a certificate. The initial response is empty, or the principal
 * the client expects; a different one is refused.
 *
 * <p>If the principal is also an entry of the users file, its roles apply and disabling or
 * removing that entry refuses the certificate (and ends its sessions); otherwise the principal
 * has no roles.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ExternalMechanism implements AuthMechanism {

    public static final String NAME = MechanismNames.EXTERNAL;

    private final Function<X509Certificate, Optional<String>> mapper;
    private final UserStore users;

    /** @param mapper certificate to principal; empty if no rule matches */
    public ExternalMechanism(Function<X509Certificate, Optional<String>> mapper, UserStore users) {
        this.mapper = mapper;
        this.users = users;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean offeredOn(ConnectionInfo connection) {
        return connection.hasClientCertificate();
    }

    @Override
    public Exchange start(ConnectionInfo connection) {
        return message -> CompletableFuture.completedFuture(authenticate(connection, message));
    }

    private AuthStep authenticate(ConnectionInfo connection, byte[] message) {
        if (!connection.hasClientCertificate()) {
            return AuthStep.Failure.denied("EXTERNAL without a client certificate", null);
        }
        X509Certificate leaf = connection.clientCertificates().get(0);
        String subject = leaf.getSubjectX500Principal().getName();
        String principal = mapper.apply(leaf).orElse(null);
        if (principal == null) {
            return AuthStep.Failure.denied("no principal mapping rule matches the client certificate " + subject, null);
        }
        String expected = new String(message, StandardCharsets.UTF_8);
        if (!expected.isEmpty() && !expected.equals(principal)) {
            return AuthStep.Failure.denied("the client asked for principal " + PeerText.quote(expected)
                    + " but its certificate " + subject + " maps to '" + principal + "'", principal);
        }
        Optional<User> user = users.find(principal);
        if (user.isPresent() && user.get().disabled()) {
            return AuthStep.Failure.denied("user '" + principal + "' (certificate " + subject + ") is disabled", principal);
        }
        List<String> roles = user.map(User::roles).orElse(List.of());
        return new AuthStep.Success(new Identity(principal, roles, NAME, 0, user.isPresent()), Bytes.EMPTY);
    }
}
