package org.securebroker.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.DefaultFileLayer;

class KeyringFileTest {

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @Test
    void shouldCreateAnOwnerOnlyFileAndLoadIt() throws Exception {
        Path file = dir.resolve("kek.keys");
        Keyring created = KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Keyring loaded = KeyringFile.load(file);
        assertThat(loaded.current()).isEqualTo(created.current());
    }

    @Test
    void shouldRefuseAFileReadableByGroupOrOthersAndNameTheFix() throws Exception {
        Path file = dir.resolve("kek.keys");
        KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> KeyringFile.load(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> KeyringFile.load(file)).hasMessageContaining("accessible by group or others");
    }

    @Test
    void shouldReportLoosePermissionsOfFilesAndDirectoriesWithoutRefusing() throws Exception {
        Path file = dir.resolve("kek.keys");
        KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        assertThat(KeyringFile.permissionsIfLoose(file)).isEmpty();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(PosixFilePermissions.toString(KeyringFile.permissionsIfLoose(file))).isEqualTo("rw-r--r--");

        Path secrets = Files.createDirectory(dir.resolve("secrets"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        assertThat(KeyringFile.permissionsIfLoose(secrets)).isEmpty();
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(KeyringFile.permissionsIfLoose(secrets)).isNotEmpty();
    }

    @Test
    void shouldTellTheDayAGeneratedKeyWasCreatedOn() {
        Clock clock = Clock.fixed(Instant.parse("2026-11-27T23:59:00Z"), ZoneOffset.UTC);
        Keyring ring = KeyringFile.create(DefaultFileLayer.INSTANCE, dir.resolve("kek.keys"), random, clock);

        assertThat(KeyringFile.createdOn(ring.current().id())).contains(LocalDate.of(2026, 11, 27));
        assertThat(KeyringFile.createdOn("k1")).isEmpty();
        assertThat(KeyringFile.createdOn("kek-20261399-a1b2c3")).as("no such day").isEmpty();
    }

    @Test
    void shouldRotateKeepingOldKeys() {
        Path file = dir.resolve("kek.keys");
        Keyring first = KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        Keyring second = KeyringFile.rotate(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        assertThat(second.current().id()).isNotEqualTo(first.current().id());
        assertThat(second.get(first.current().id())).contains(first.current());
        assertThat(KeyringFile.load(file).current()).isEqualTo(second.current());
    }

    @Test
    void shouldReadTheEnvironmentVariableForm() {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        Keyring ring = KeyringFile.fromEnvironment("BROKER_KEK", Map.of("BROKER_KEK", "current = k1; k1 = " + key));
        assertThat(ring.current().id()).isEqualTo("k1");
        assertThatThrownBy(() -> KeyringFile.fromEnvironment("BROKER_KEK", Map.of()))
                .hasMessageContaining("BROKER_KEK is not set");
    }

    @Test
    void shouldReportMalformedContentWithTheLineButNeverTheKey() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> KeyringFile.parse("current = k1\nk1 = " + shortKey, "key file x"))
                .hasMessageContaining("line 2").hasMessageContaining("32 bytes").hasMessageNotContaining(shortKey);
        assertThatThrownBy(() -> KeyringFile.parse("k1 = " + Base64.getEncoder().encodeToString(new byte[32]), "key file x"))
                .hasMessageContaining("current");
        assertThatThrownBy(() -> KeyringFile.parse("current = k2\nk1 = " + Base64.getEncoder().encodeToString(new byte[32]),
                "key file x")).hasMessageContaining("'k2'");
        assertThatThrownBy(() -> KeyringFile.parse("current = k1\nk1 = !!!", "key file x"))
                .hasMessageContaining("not valid base64");
    }

    @Test
    void shouldRefuseToOverwriteAnExistingKeyFile() {
        Path file = dir.resolve("kek.keys");
        KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC());
        assertThatThrownBy(() -> KeyringFile.create(DefaultFileLayer.INSTANCE, file, random, Clock.systemUTC()))
                .hasMessageContaining("exists already");
    }
}
