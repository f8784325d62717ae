package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.Broker;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.ConfigLoader;

/**
 * Reloading the configuration file: live settings apply at once, settings that need a restart are
 * named and keep their running values, and an invalid file changes nothing and says why.
 */
class ConfigReloadIT {

    @TempDir
    Path dir;

    private static String config(int authFailures, int handshakeSeconds) {
        return "dataDir: data\nlistener:\n  port: 0\n  handshakeTimeout: " + handshakeSeconds + "s\nadmin:\n  port: 0\n"
                + "alerts:\n  authFailures: " + authFailures + "\n";
    }

    @Test
    void shouldApplyLiveSettingsNameTheOthersAndRefuseABrokenFile() throws Exception {
        Bootstrap.init(dir.resolve("data"), Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        Path file = dir.resolve("broker.yaml");
        Files.writeString(file, config(1000, 10));
        try (Broker broker = Broker.start(ConfigLoader.load(file))) {
            broker.configFile(file);
            Path auditDir = broker.config().audit().dir();

            Files.writeString(file, config(3, 20));
            broker.reload();
            assertThat(broker.config().alerts().authFailures()).isEqualTo(3);
            assertThat(broker.config().listener().handshakeTimeout()).as("needs a restart").hasSeconds(10);
            AuditEntry reload = AuditTrail.await(auditDir, "config.reload", 1).get(0);
            assertThat(reload.decision()).isEqualTo("allow");
            assertThat(reload.details()).containsEntry("applied", "alerts").containsEntry("pendingRestart", "listener");

            // the new threshold is live: three failed logins raise the alert
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> BrokerClient.builder().address("localhost", broker.port())
                        .trustedCertificates(dir.resolve("data/tls/ca.crt")).brokerSigningKeys(dir.resolve("data/tls/signing-keys.pem")).reconnect(ReconnectPolicy.never())
                        .credentials("admin", "not the password at all".toCharArray()).connect());
            }
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> !AuditTrail.entries(auditDir, "alert.auth-failures").isEmpty());

            Files.writeString(file, config(7, 10) + "listener:\n  port: 99999\n");
            assertThatThrownBy(broker::reload).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("line");
            assertThat(broker.config().alerts().authFailures()).as("nothing changed").isEqualTo(3);
            assertThat(AuditTrail.await(auditDir, "config.reload", 2)).hasSize(2).last().satisfies(e -> {
                assertThat(e.decision()).isEqualTo("deny");
                assertThat(e.reason()).contains("nothing was reloaded");
            });
        }
    }
}
