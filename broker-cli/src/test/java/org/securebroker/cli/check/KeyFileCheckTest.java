package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;

/** The key file check: owner-only secret files, required ones present, a private secrets directory. */
class KeyFileCheckTest {

    @TempDir
    Path tmp;
    Path data;
    BrokerConfig config;
    final KeyFileCheck check = new KeyFileCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        config = CheckFixture.config(data);
    }

    private static void chmod(Path file, String permissions) throws Exception {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }

    @Test
    void shouldFindNothingOnAFreshDataDirectory() throws Exception {
        assertThat(check.run(CheckFixture.context(config))).isEmpty();
    }

    @Test
    void shouldRateAWorldReadableKeyFileHighAndNameTheChmod() throws Exception {
        Path kek = data.resolve(Layout.KEK_FILE);
        chmod(kek, "rw-r--r--");

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("key-file-permissions");
            assertThat(f.subject()).isEqualTo(kek.toString());
            assertThat(f.finding()).contains("key-encryption key").contains("rw-r--r--");
            assertThat(f.fix()).isEqualTo("chmod 600 " + kek);
        });
    }

    @Test
    void shouldCheckEverySecretFileTheBrokerUses() throws Exception {
        Files.writeString(data.resolve(Layout.AUTH_SECRET), "c2VjcmV0");
        List<Path> secrets = List.of(data.resolve(Layout.AUDIT_PRIVATE_KEY), data.resolve(Layout.SERVER_KEY),
                data.resolve(Layout.JWT_DEV_PRIVATE_KEY), data.resolve(Layout.AUTH_SECRET),
                data.resolve(Layout.ADMIN_PASSWORD_FILE), data.resolve(Layout.USERS_FILE));
        for (Path p : secrets) {
            chmod(p, "rw-r-----");
        }

        List<Finding> findings = check.run(CheckFixture.context(config));

        assertThat(findings).extracting(Finding::subject)
                .containsExactlyInAnyOrderElementsOf(secrets.stream().map(Path::toString).toList());
        assertThat(findings).allSatisfy(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
    }

    @Test
    void shouldRateAMissingRequiredKeyHighButNotAnOptionalOne() throws Exception {
        Files.delete(data.resolve(Layout.AUDIT_PRIVATE_KEY));
        Files.delete(data.resolve(Layout.ADMIN_PASSWORD_FILE));

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("key-file-missing");
            assertThat(f.subject()).isEqualTo(data.resolve(Layout.AUDIT_PRIVATE_KEY).toString());
            assertThat(f.fix()).contains("broker audit keygen");
        });
    }

    @Test
    void shouldNotLookForAKekFileWhenTheKekComesFromTheEnvironment() throws Exception {
        Files.delete(data.resolve(Layout.KEK_FILE));
        BrokerConfig fromEnvironment = config.withKeys(new BrokerConfig.Keys(null, "BROKER_KEK"));

        assertThat(check.run(CheckFixture.context(fromEnvironment))).isEmpty();
        assertThat(check.run(CheckFixture.context(config))).extracting(Finding::id).containsExactly("key-file-missing");
    }

    @Test
    void shouldCheckTheConfiguredJwtHmacSecrets() throws Exception {
        Path secret = Files.writeString(tmp.resolve("hmac.secret"), "0123456789abcdef0123456789abcdef");
        chmod(secret, "rw-rw-rw-");
        BrokerConfig.Jwt jwt = new BrokerConfig.Jwt("issuer", "securebroker", List.of(
                new BrokerConfig.JwtKey("k1", null, secret), new BrokerConfig.JwtKey("k2", null, tmp.resolve("gone"))),
                null, List.of("JWT"), Duration.ofHours(1), Duration.ofSeconds(30), "sub", null);
        BrokerConfig withJwt = config.withAuth(config.auth().withJwt(jwt));

        List<Finding> findings = check.run(CheckFixture.context(withJwt));

        assertThat(findings).extracting(Finding::id, Finding::subject).containsExactly(
                tuple("key-file-permissions", secret.toString()),
                tuple("key-file-missing", tmp.resolve("gone").toString()));
        assertThat(findings.get(0).finding()).contains("'k1'");
    }

    @Test
    void shouldRateAnOpenSecretsDirectoryMedium() throws Exception {
        Path secrets = data.resolve(Layout.SECRETS_DIR);
        chmod(secrets, "rwxr-xr-x");

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.id()).isEqualTo("secrets-dir-permissions");
            assertThat(f.fix()).isEqualTo("chmod 700 " + secrets);
        });
    }
}
