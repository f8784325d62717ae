package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;

/** The audit signing key files. */
class AuditKeysTest {

    @TempDir
    Path dir;
    Path publicKey;
    Path privateKey;

    @BeforeEach
    void paths() {
        publicKey = dir.resolve("tls/audit.pub");
        privateKey = dir.resolve("secrets/audit.key");
    }

    @Test
    void shouldCreateAKeyPairWithAnOwnerOnlyPrivateKeyAndMatchingHalves() throws Exception {
        String id = AuditKeys.create(publicKey, privateKey, new SecureRandom());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey))).isEqualTo("rw-------");
        assertThat(Files.readString(privateKey)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(publicKey)).startsWith("-----BEGIN PUBLIC KEY-----");
        SigningKey loaded = AuditKeys.loadPrivate(privateKey);
        VerifyingKey pub = AuditKeys.loadPublic(publicKey);
        assertThat(loaded.publicKey()).isEqualTo(pub);
        assertThat(id).hasSize(16).isEqualTo(pub.id()).isEqualTo(loaded.id());
        byte[] digest = AuditFormat.sha256().digest(pub.rawBytes());
        assertThat(id).isEqualTo(HexFormat.of().formatHex(digest).substring(0, 16));
    }

    @Test
    void shouldRefuseToOverwriteAnExistingKey() throws Exception {
        AuditKeys.create(publicKey, privateKey, new SecureRandom());
        String before = Files.readString(privateKey);

        assertThatThrownBy(() -> AuditKeys.create(publicKey, privateKey, new SecureRandom()))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(privateKey)).isEqualTo(before);
    }

    @Test
    void shouldRefuseAPrivateKeyReadableByGroupOrOthers() throws Exception {
        AuditKeys.create(publicKey, privateKey, new SecureRandom());
        Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> AuditKeys.loadPrivate(privateKey)).hasMessageContaining("accessible by group or others")
                .hasMessageContaining("chmod 600 " + privateKey);
    }

    @Test
    void shouldRefuseAFileThatIsNotAnEd25519Key() throws Exception {
        AuditKeys.create(publicKey, privateKey, new SecureRandom());
        assertThatThrownBy(() -> AuditKeys.loadPublic(privateKey)).hasMessageContaining("holds no public key");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> AuditKeys.loadPublic(garbage)).hasMessageContaining("holds no public key");
    }

    @Test
    void shouldWriteKeysThatOpensslReads() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        AuditKeys.create(publicKey, privateKey, new SecureRandom());

        Process p = new ProcessBuilder("/usr/bin/openssl", "pkey", "-in", privateKey.toString(), "-pubout")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).isEqualTo(Files.readString(publicKey));
    }

    @Test
    void shouldLoadAKeyThatOpensslGenerated() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        Path key = dir.resolve("openssl.key");
        Process p = new ProcessBuilder("/usr/bin/openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

        assertThat(AuditKeys.loadPrivate(key).id()).hasSize(16);
    }

    @Test
    void shouldSignExactlyAsBouncyCastlesEd25519SignerWithTheSameKeyFile() throws Exception {
        // checkpoints signed before the switch to SigningKey verify, and new ones are the same bytes
        AuditKeys.create(publicKey, privateKey, new SecureRandom());
        SigningKey key = AuditKeys.loadPrivate(privateKey);
        byte[] message = "{\"seq\":6,\"type\":\"checkpoint\"}".getBytes(StandardCharsets.US_ASCII);

        Ed25519Signer bouncyCastle = new Ed25519Signer();
        bouncyCastle.init(true, new Ed25519PrivateKeyParameters(key.insecureExportSecretBytes(), 0));
        bouncyCastle.update(message, 0, message.length);
        byte[] expected = bouncyCastle.generateSignature();

        assertThat(key.sign(message)).isEqualTo(expected);
        assertThat(AuditKeys.loadPublic(publicKey).verify(expected, message)).isTrue();
    }
}
