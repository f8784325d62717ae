package org.securebroker.cli;

import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.auth.jwt.JwtForge;
import org.securebroker.server.auth.jwt.JwtVerifier;
import org.securebroker.server.auth.jwt.VerifiedToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig.Layout;

/** {@code broker init} creates the development key; {@code broker token mint} signs tokens the verifier accepts. */
class JwtDevTokenTest {

    @TempDir
    Path dir;
    Path data;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void init() {
        data = dir.resolve("data");
        Run init = run("init", "--data", data.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(init.out()).contains("jwt-dev.pub").contains("development token-signing");
    }

    private JwtVerifier devVerifier() {
        return JwtVerifier.load(DevTokens.config(data.resolve(Layout.JWT_DEV_PUBLIC_KEY)), Clock.systemUTC());
    }

    @Test
    void shouldCreateTheDevelopmentKeyPairWithAPrivateKeyOnlyItsOwnerCanRead() throws Exception {
        assertThat(Files.readString(data.resolve(Layout.JWT_DEV_PUBLIC_KEY))).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(Files.readString(data.resolve(Layout.JWT_DEV_PRIVATE_KEY))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(Layout.JWT_DEV_PRIVATE_KEY))))
                .isEqualTo("rw-------");
    }

    @Test
    void shouldMintATokenTheDevelopmentConfigurationAccepts() throws Exception {
        Run mint = run("token", "mint", "--subject", "alice", "--role", "admin", "--role", "ops", "--ttl", "10m",
                "--data", data.toString());
        assertThat(mint.exit()).as(mint.err()).isZero();
        assertThat(mint.err()).contains("development aid, not an identity provider");
        String token = mint.out().strip();

        VerifiedToken verified = devVerifier().verify(token);
        assertThat(verified.principal()).isEqualTo("alice");
        assertThat(verified.roles()).containsExactly("admin", "ops");
        assertThat(verified.keyId()).isEqualTo(DevTokens.KEY_ID);
        assertThat(verified.expiresAtMillis() - System.currentTimeMillis())
                .isBetween(Duration.ofMinutes(9).toMillis(), Duration.ofMinutes(10).toMillis());
    }

    @Test
    void shouldRefuseATtlOverOneHour() {
        Run mint = run("token", "mint", "--subject", "alice", "--ttl", "2h", "--data", data.toString());
        assertThat(mint.exit()).isEqualTo(2);
        assertThat(mint.err()).contains("--ttl").contains("1h");
    }

    @Test
    void shouldMintWithAnotherIssuerThatTheDevelopmentConfigurationRefuses() {
        Run mint = run("token", "mint", "--subject", "alice", "--issuer", "someone-else", "--data", data.toString());
        assertThat(mint.exit()).as(mint.err()).isZero();
        assertThatThrownBy(() -> devVerifier().verify(mint.out().strip())).hasMessageStartingWith("wrong issuer");
    }

    @Test
    void shouldSignWithEcAndRsaKeysToo() throws Exception {
        var ec = JwtForge.ecP256();
        org.securebroker.server.tls.LocalCa.writePrivateKey(dir.resolve("ec.key"), ec.getPrivate());
        Path ecPub = JwtForge.writePem(dir, "ec.pub", ec.getPublic());
        Run mint = run("token", "mint", "--subject", "bob", "--key", dir.resolve("ec.key").toString(), "--kid", "ec",
                "--data", data.toString());
        assertThat(mint.exit()).as(mint.err()).isZero();
        JwtVerifier verifier = JwtVerifier.load(new org.securebroker.server.config.BrokerConfig.Jwt(DevTokens.ISSUER,
                DevTokens.AUDIENCE, List.of(new org.securebroker.server.config.BrokerConfig.JwtKey("ec", ecPub, null)),
                null, List.of("JWT"), Duration.ofHours(1), Duration.ofSeconds(30), "sub", "roles"), Clock.systemUTC());
        assertThat(verifier.verify(mint.out().strip()).principal()).isEqualTo("bob");

        var rsa = JwtForge.rsa(2048);
        String token = DevTokens.mint(rsa.getPrivate(), new DevTokens.Request(DevTokens.ISSUER, DevTokens.AUDIENCE,
                "rsa", "carol", List.of(), Duration.ofMinutes(5)), Clock.systemUTC());
        assertThat(token.substring(0, token.indexOf('.'))).isEqualTo(JwtForge.base64url(
                "{\"typ\":\"JWT\",\"kid\":\"rsa\",\"alg\":\"RS256\"}"));
    }
}
