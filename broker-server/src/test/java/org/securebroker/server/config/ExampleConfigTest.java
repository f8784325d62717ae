package org.securebroker.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example configuration shipped in conf/ must stay valid and match the defaults it documents. */
class ExampleConfigTest {

    @Test
    void shouldLoadTheShippedExample() {
        Path example = Path.of("..", "conf", "broker.yaml");
        assertThat(Files.exists(example)).as(example.toAbsolutePath().toString()).isTrue();
        BrokerConfig c = ConfigLoader.load(example);
        BrokerConfig defaults = ConfigLoader.defaults(c.dataDir());
        assertThat(c.listener()).isEqualTo(defaults.listener());
        assertThat(c.tls()).isEqualTo(defaults.tls());
        assertThat(c.keys()).isEqualTo(defaults.keys());
        assertThat(c.store()).isEqualTo(defaults.store());
        assertThat(c.memory()).isEqualTo(defaults.memory());
        assertThat(c.quotas()).isEqualTo(defaults.quotas());
        assertThat(c.queues().depth()).isEqualTo(defaults.queues().depth());
        assertThat(c.auth().usersFile()).isEqualTo(defaults.auth().usersFile());
        assertThat(c.queues().define()).extracting(q -> q.name()).containsExactly("orders");
    }
}
