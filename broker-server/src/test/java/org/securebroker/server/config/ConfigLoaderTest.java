package org.securebroker.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.tls.ServerTls;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private BrokerConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "test.yaml", dir.resolve("data"));
    }

    private ConfigException problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void shouldUseSecureDefaultsWithoutAFile() {
        BrokerConfig c = ConfigLoader.defaults(dir.resolve("data"));
        assertThat(c.listener().host()).isEqualTo("127.0.0.1");
        assertThat(c.listener().port()).isEqualTo(7443);
        assertThat(c.tls().provider()).isEqualTo(TlsProvider.AUTO);
        assertThat(c.keys().kekFile()).isEqualTo(dir.resolve("data/secrets/kek.keys"));
        assertThat(c.auth().passwordHashing().memoryKiB()).isEqualTo(19 * 1024);
        assertThat(c.queues().autoCreate()).isFalse();
    }

    @Test
    void shouldReadEverySection() throws Exception {
        Path file = dir.resolve("broker.yaml");
        Files.writeString(file, """
                dataDir: /srv/broker
                listener:
                  host: 0.0.0.0
                  port: 9443
                  authTimeout: 5s
                  maxFrameSize: 2MiB
                tls:
                  certificate: certs/server.pem
                  provider: jdk
                keys:
                  kekEnv: MY_KEK
                store:
                  segmentSize: 128MiB
                  retention:
                    maxAge: 7d
                auth:
                  passwordHashing:
                    memory: 64MiB
                    iterations: 3
                queues:
                  ackTimeout: 1m
                  define:
                    - name: orders
                      maxDeliveries: 5
                      deadLetterQueue: orders.dlq
                      ttl: 1h
                """);
        BrokerConfig c = ConfigLoader.load(file);
        assertThat(c.dataDir()).isEqualTo(Path.of("/srv/broker"));
        assertThat(c.listener().port()).isEqualTo(9443);
        assertThat(c.listener().authTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.listener().maxFrameSize()).isEqualTo(2 * 1024 * 1024);
        assertThat(c.tls().certificate()).isEqualTo(Path.of("/srv/broker/certs/server.pem"));
        assertThat(c.tls().provider()).isEqualTo(TlsProvider.JDK);
        assertThat(c.keys().fromEnvironment()).isTrue();
        assertThat(c.keys().kekEnv()).isEqualTo("MY_KEK");
        assertThat(c.store().segmentBytes()).isEqualTo(128 * 1024 * 1024);
        assertThat(c.store().retentionMaxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(c.auth().passwordHashing().memoryKiB()).isEqualTo(64 * 1024);
        assertThat(c.queues().ackTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.queues().define()).singleElement().satisfies(q -> {
            assertThat(q.name()).isEqualTo("orders");
            assertThat(q.deadLetterQueue()).isEqualTo("orders.dlq");
            assertThat(q.defaultTtl()).isEqualTo(Duration.ofHours(1));
        });
    }

    @Test
    void shouldReportEveryProblemAtOnceWithKeyAndLine() {
        ConfigException e = problems("""
                listener:
                  port: 70000
                  hostname: example
                tls:
                  provider: fastest
                store:
                  segmentSize: lots
                queues:
                  ackTimeout: 10 parsecs
                colour: blue
                """);
        assertThat(e.problems()).hasSize(6);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 2").contains("listener.port")
                .contains("0 to 65535"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 3").contains("listener.hostname")
                .contains("unknown key").contains("host"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 5").contains("tls.provider")
                .contains("[auto, openssl, jdk]"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 7").contains("store.segmentSize")
                .contains("MiB"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 9").contains("queues.ackTimeout"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("line 10").contains("colour"));
    }

    @Test
    void shouldRefuseInsecureSettings() {
        assertThat(problems("auth:\n  passwordHashing:\n    memory: 4MiB\n").getMessage())
                .contains("insecure password hashing").contains("19MiB");
        assertThat(problems("tls:\n  protocols: [TLSv1.1]\n").getMessage())
                .contains("cannot be configured");
        assertThat(problems("keys:\n  kekEnv: BROKER_KEK\n  kekFile: k.keys\n").getMessage())
                .contains("not both");
    }

    @Test
    void shouldRefuseInvalidQueueDefinitions() {
        ConfigException e = problems("""
                queues:
                  define:
                    - name: ../etc
                    - maxDeliveries: 3
                    - name: a
                    - name: a
                """);
        assertThat(e.getMessage()).contains("invalid log name '../etc'").contains("needs a name").contains("defined twice");
    }

    @Test
    void shouldNameAMissingFileAndBrokenYaml() {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("does not exist");
        assertThat(problems("listener: [1, 2\n").getMessage()).contains("not valid YAML");
        assertThat(problems("listener:\n  port: 1\nlistener:\n  port: 2\n").getMessage()).contains("appears twice");
    }

    @Test
    void shouldRefuseAMessageSizeThatDoesNotFitAFrame() {
        assertThat(problems("listener:\n  maxFrameSize: 1MiB\nqueues:\n  maxMessageSize: 1MiB\n").getMessage())
                .contains("does not fit in a frame");
    }

    @Test
    void shouldReadTheJwtRolesClaimAsRolesUnlessNamedOtherwise() {
        String jwt = """
                auth:
                  jwt:
                    issuer: https://idp.example/
                    audience: securebroker
                    keys:
                      - kid: idp
                        publicKey: idp.pem
                """;
        BrokerConfig.Jwt byDefault = parse(jwt).auth().jwt();
        assertThat(byDefault.rolesClaim()).isEqualTo("roles").isEqualTo(BrokerConfig.Jwt.DEFAULT_ROLES_CLAIM);
        assertThat(byDefault.principalClaim()).isEqualTo("sub");
        assertThat(parse(jwt + "    rolesClaim: groups\n").auth().jwt().rolesClaim()).isEqualTo("groups");
    }

    @Test
    void shouldBoundEverythingByDefault() {
        BrokerConfig c = ConfigLoader.defaults(dir.resolve("data"));
        assertThat(c.queues().maxMessageBytes()).isEqualTo(1 << 20);
        assertThat(c.listener().maxFrameSize()).isEqualTo((1 << 20) + ConfigLoader.FRAME_METADATA_ROOM);
        assertThat(c.listener().maxUnauthenticatedPerAddress()).isEqualTo(32);
        assertThat(c.quotas().of("anyone")).isEqualTo(ConfigLoader.DEFAULT_PRINCIPAL_QUOTA);
        assertThat(c.queues().depth()).isEqualTo(QueueDefinition.Depth.DEFAULT);
        BrokerConfig.Memory m = c.memory().resolve(256L << 20, c.listener().maxFrameSize());
        assertThat(m.inFlightBytes()).isEqualTo(32L << 20);
        assertThat(m.recentMessagesBytes()).isEqualTo(32L << 20);
    }

    @Test
    void shouldReadLimitsQuotasAndDepth() {
        BrokerConfig c = parse("""
                listener:
                  maxUnauthenticatedConnections: 100
                  maxUnauthenticatedPerAddress: 4
                  maxInFlightPublishSize: 8MiB
                memory:
                  inFlightSize: 64MiB
                quotas:
                  queues: 10
                  principals:
                    - name: ingest
                      publishRate: 5000
                queues:
                  maxMessageSize: 4MiB
                  overflow: dead-letter-oldest
                  define:
                    - name: small
                      maxDepth: 10
                    - name: plain
                """);
        assertThat(c.listener().maxFrameSize()).isEqualTo((4 << 20) + ConfigLoader.FRAME_METADATA_ROOM);
        assertThat(c.listener().maxUnauthenticatedPerAddress()).isEqualTo(4);
        assertThat(c.memory().inFlightBytes()).isEqualTo(64L << 20);
        assertThat(c.memory().deliveryBytes()).isZero();
        assertThat(c.quotas().of("someone").queues()).isEqualTo(10);
        assertThat(c.quotas().of("ingest").queues()).isEqualTo(10);
        assertThat(c.quotas().of("ingest").publishRate()).isEqualTo(5000);
        assertThat(c.queues().depth().overflow()).isEqualTo(QueueDefinition.Overflow.DEAD_LETTER_OLDEST);
        QueueDefinition small = c.queues().define().get(0);
        assertThat(small.depth()).isEqualTo(new QueueDefinition.Depth(10, 1L << 30,
                QueueDefinition.Overflow.DEAD_LETTER_OLDEST));
        assertThat(c.queues().define().get(1).depth()).isNull();
    }

    @Test
    void shouldRefuseInconsistentLimits() {
        ConfigException e = problems("""
                listener:
                  maxFrameSize: 1MiB
                  maxUnauthenticatedConnections: 10
                  maxUnauthenticatedPerAddress: 20
                  maxInFlightPublishSize: 512KiB
                memory:
                  inFlightSize: 1KiB
                quotas:
                  principals:
                    - name: a
                    - name: a
                queues:
                  overflow: drop
                  maxDepthSize: 64MiB
                """);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("listener.maxUnauthenticatedPerAddress"))
                .anySatisfy(p -> assertThat(p).contains("listener.maxInFlightPublishSize"))
                .anySatisfy(p -> assertThat(p).contains("memory.inFlightSize"))
                .anySatisfy(p -> assertThat(p).contains("principal 'a' is listed twice"))
                .anySatisfy(p -> assertThat(p).contains("'drop' is not an overflow policy"))
                .anySatisfy(p -> assertThat(p).contains("queues.maxDepthSize").contains("less than two segments"))
                .anySatisfy(p -> assertThat(p).contains("queues.maxMessageSize"));
    }

    @Test
    void shouldDeriveScramVerifiersWithOwaspIterationsAndLetScramBeTurnedOff() {
        BrokerConfig.Auth defaults = ConfigLoader.defaults(dir.resolve("data")).auth();
        assertThat(defaults.scramEnabled()).isTrue();
        assertThat(defaults.scramIterations()).isEqualTo(600_000);
        BrokerConfig.Auth off = parse("auth:\n  scram:\n    enabled: false\n    iterations: 1000000\n").auth();
        assertThat(off.scramEnabled()).isFalse();
        assertThat(off.scramIterations()).isEqualTo(1_000_000);
        assertThat(problems("auth:\n  scram:\n    iterations: 10000\n").getMessage())
                .contains("auth.scram.iterations").contains("100000");
        assertThat(problems("auth:\n  scramIterations: 600000\n").getMessage())
                .contains("auth.scramIterations").contains("moved to auth.scram.iterations");
    }
}
