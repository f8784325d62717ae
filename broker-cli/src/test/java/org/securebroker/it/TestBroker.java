package org.securebroker.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.function.UnaryOperator;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.Broker;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;

/**
 * A bootstrapped data directory and a broker on an ephemeral loopback port. The broker reads the
 * system clock, or a clock the test holds (a {@link org.securebroker.testing.MutableClock}) when
 * the test needs broker time to pass: it advances that clock instead of sleeping. The data
 * directory (certificates, keys) is always made with the system clock, since TLS clients check
 * certificates against real time.
 */
public final class TestBroker implements AutoCloseable {

    private final Path dataDir;
    private final UnaryOperator<BrokerConfig> tweak;
    private final Clock clock;
    private Broker broker;

    /** A broker that reads {@code clock} for all its time, also after {@link #restart()}. */
    public TestBroker(Path dataDir, UnaryOperator<BrokerConfig> tweak, Clock clock) throws Exception {
        this.dataDir = dataDir;
        this.tweak = tweak;
        this.clock = clock;
        if (!Bootstrap.isInitialized(dataDir)) {
            Bootstrap.init(dataDir, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        }
        start();
    }

    public TestBroker(Path dataDir, UnaryOperator<BrokerConfig> tweak) throws Exception {
        this(dataDir, tweak, Clock.systemUTC());
    }

    public TestBroker(Path dataDir) throws Exception {
        this(dataDir, c -> c);
    }

    /** The default configuration with an ephemeral port. */
    public static BrokerConfig config(Path dataDir) {
        BrokerConfig c = ConfigLoader.defaults(dataDir);
        BrokerConfig.Listener l = c.listener();
        return c.withListener(l.withAddress("127.0.0.1", 0))
                .withAdmin(new BrokerConfig.Admin(true, "127.0.0.1", 0, false));
    }

    public void start() {
        broker = Broker.start(tweak.apply(config(dataDir)), BrokerContext.system().withClock(clock));
    }

    public void stop() {
        broker.close();
    }

    public void restart() {
        stop();
        start();
    }

    public Broker broker() {
        return broker;
    }

    public int port() {
        return broker.port();
    }

    public Path caCert() {
        return dataDir.resolve(BrokerConfig.Layout.CA_CERT);
    }

    /** The broker's message-signing public keys, for clients to pin. */
    public Path signingKeys() {
        return dataDir.resolve(BrokerConfig.Layout.SIGNING_PUBLIC_KEYS);
    }

    public String adminPassword() throws Exception {
        return Files.readString(dataDir.resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE));
    }

    public RawConnection raw() throws Exception {
        return RawConnection.tls(port(), caCert());
    }

    public RawConnection admin() throws Exception {
        RawConnection c = raw();
        c.login("admin", adminPassword());
        return c;
    }

    @Override
    public void close() {
        if (broker != null) {
            broker.close();
        }
    }
}
