package org.securebroker.client.internal.auth;

import java.util.List;
import java.util.Objects;
import org.securebroker.client.PasswordMechanism;
import org.securebroker.protocol.auth.Scram;

/**
 * Authentication with a username and password, by SCRAM-SHA-256 or PLAIN as the
 * {@link PasswordMechanism} and the broker's offer decide.
 *
 * <p>Thread-safety: thread-safe (the credentials guard the password).
 *
 * @param credentials the username and password, owned by the client
 * @param preference which mechanism may carry them
 */
public record PasswordAuthentication(PasswordCredentials credentials, PasswordMechanism preference)
        implements Authentication {

    public PasswordAuthentication {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(preference, "preference");
    }

    @Override
    public AuthExchange start(List<String> offered) {
        boolean scram = offered.contains(Scram.MECHANISM);
        boolean plain = offered.contains(PlainExchange.MECHANISM);
        return switch (preference) {
            case AUTO -> {
                if (scram) {
                    yield new ScramExchange(credentials);
                }
                if (plain) {
                    yield new PlainExchange(credentials);
                }
                throw Authentication.unsupported(offered, Scram.MECHANISM + " or " + PlainExchange.MECHANISM);
            }
            case SCRAM_SHA_256 -> {
                if (!scram) {
                    throw Authentication.unsupported(offered, Scram.MECHANISM + " only");
                }
                yield new ScramExchange(credentials);
            }
            case PLAIN -> {
                if (!plain) {
                    throw Authentication.unsupported(offered, PlainExchange.MECHANISM + " only");
                }
                yield new PlainExchange(credentials);
            }
        };
    }

    @Override
    public String describe() {
        return "as '" + credentials.username() + "'";
    }

    @Override
    public void forget() {
        credentials.wipe();
    }
}
