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
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        Ed25519PrivateKeyParameters loaded = AuditKeys.loadPrivate(privateKey);
        Ed25519PublicKeyParameters pub = AuditKeys.loadPublic(publicKey);
        assertThat(loaded.generatePublicKey().getEncoded()).isEqualTo(pub.getEncoded());
        assertThat(id).hasSize(16).isEqualTo(AuditKeys.keyId(pub)).isEqualTo(AuditKeys.keyId(loaded));
        byte[] digest = AuditFormat.sha256().digest(pub.getEncoded());
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

        assertThat(AuditKeys.keyId(AuditKeys.loadPrivate(key))).hasSize(16);
    }
}
