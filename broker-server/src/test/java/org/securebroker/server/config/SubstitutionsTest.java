package org.securebroker.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubstitutionsTest {

    @TempDir
    Path dir;

    private ConfigNode.MapNode read(String yaml, Map<String, String> env) {
        return (ConfigNode.MapNode) YamlReader.read(yaml, "test.yaml", new Substitutions(env, dir));
    }

    private static String scalar(ConfigNode.MapNode root, String section, String key) {
        ConfigNode.MapNode m = (ConfigNode.MapNode) root.entries().get(section);
        return ((ConfigNode.ScalarNode) m.entries().get(key)).value();
    }

    @Test
    void shouldReplaceEnvironmentReferencesInAnyValue() {
        ConfigNode.MapNode root = read("""
                listener:
                  port: ${env:BROKER_PORT}
                  host: "${env:HOST_A}.${env:HOST_B}"
                """, Map.of("BROKER_PORT", "9443", "HOST_A", "broker", "HOST_B", "example"));
        assertThat(scalar(root, "listener", "port")).isEqualTo("9443");
        assertThat(scalar(root, "listener", "host")).isEqualTo("broker.example");
    }

    @Test
    void shouldReplaceFileReferencesWithoutTheTrailingLineBreak() throws Exception {
        Files.writeString(dir.resolve("port.txt"), "9443\n");
        ConfigNode.MapNode root = read("listener:\n  port: ${file:port.txt}\n", Map.of());
        assertThat(scalar(root, "listener", "port")).isEqualTo("9443");
    }

    @Test
    void shouldKeepALiteralDollarBraceWrittenTwice() {
        ConfigNode.MapNode root = read("auth:\n  principalClaim: \"$${env:X}\"\n", Map.of());
        assertThat(scalar(root, "auth", "principalClaim")).isEqualTo("${env:X}");
    }

    @Test
    void shouldNameTheKeyAndTheVariableThatIsNotSet() {
        assertThatThrownBy(() -> read("""
                listener:
                  port: ${env:BROKER_PORT}
                tls:
                  certificate: ${file:missing.pem}
                admin:
                  host: ${vault:x}
                  port: "${env:UNCLOSED"
                """, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).satisfiesExactly(
                        p -> assertThat(p).startsWith("line 2: listener.port: ${env:BROKER_PORT}")
                                .contains("BROKER_PORT is not set"),
                        p -> assertThat(p).startsWith("line 4: tls.certificate: ${file:missing.pem}")
                                .contains("does not exist"),
                        p -> assertThat(p).startsWith("line 6: admin.host: ${vault:x}").contains("$${"),
                        p -> assertThat(p).startsWith("line 7: admin.port").contains("closing")));
    }

    @Test
    void shouldLetTypedKeysTakeSubstitutedValues() throws Exception {
        Files.writeString(dir.resolve("port.txt"), "9443\n");
        BrokerConfig c = ConfigLoader.parse("listener:\n  port: ${file:port.txt}\nqueues:\n  ackTimeout: ${file:port.txt}0ms\n",
                "test.yaml", dir.resolve("data"));
        assertThat(c.listener().port()).isEqualTo(9443);
        assertThat(c.queues().ackTimeout().toMillis()).isEqualTo(94430);
    }

    @Test
    void shouldShowTheReferenceNotTheSecretWhenASubstitutedValueIsRefused() throws Exception {
        Files.writeString(dir.resolve("secret.txt"), "s3cr3t-value\n");
        assertThatThrownBy(() -> ConfigLoader.parse("listener:\n  port: ${file:secret.txt}\n", "test.yaml",
                dir.resolve("data")))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.getMessage()).doesNotContain("s3cr3t").contains("line 2: listener.port: '${file:secret.txt}'");
                    assertThat(e.problems()).noneSatisfy(p -> assertThat(p).contains("s3cr3t"));
                });
    }

    @Test
    void shouldLeaveOtherYamlFilesAsWritten() {
        ConfigNode.MapNode root = (ConfigNode.MapNode) YamlReader.read("a:\n  b: ${env:X}\n", "policy.yaml");
        assertThat(scalar(root, "a", "b")).isEqualTo("${env:X}");
    }
}
