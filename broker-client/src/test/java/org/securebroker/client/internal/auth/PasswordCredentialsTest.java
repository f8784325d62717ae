package org.securebroker.client.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.auth.Scram;

class PasswordCredentialsTest {

    @Test
    void shouldEncodeTheRfc4616InitialResponseWithAnEmptyAuthzidInUtf8() {
        PasswordCredentials credentials = new PasswordCredentials("zoë", "pässwörd".toCharArray());

        assertThat(credentials.plainInitialResponse())
                .isEqualTo("\0zoë\0pässwörd".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldDeriveTheScramSaltedPasswordOfTheSharedPrimitives() {
        PasswordCredentials credentials = new PasswordCredentials("user", "pencil".toCharArray());
        byte[] salt = {1, 2, 3, 4};

        assertThat(credentials.scramSaltedPassword(salt, 4096))
                .isEqualTo(Scram.saltedPassword("pencil".toCharArray(), salt, 4096));
    }

    @Test
    void shouldOverwriteThePasswordWhenWiped() {
        char[] password = "s3cret".toCharArray();
        PasswordCredentials credentials = new PasswordCredentials("alice", password);

        credentials.wipe();

        assertThat(password).containsOnly('\0');
        assertThat(credentials.isWiped()).isTrue();
        assertThatThrownBy(credentials::plainInitialResponse).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> credentials.scramSaltedPassword(new byte[16], 4096))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldNeverShowThePassword() {
        assertThat(new PasswordCredentials("alice", "s3cret".toCharArray()).toString()).doesNotContain("s3cret");
        assertThatThrownBy(() -> PasswordCredentials.check("alice", "bad\0pass".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("bad");
    }

    @Test
    void shouldRejectNulAndEmptyParts() {
        assertThatThrownBy(() -> PasswordCredentials.check("", "x".toCharArray())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PasswordCredentials.check("a\0b", "x".toCharArray())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PasswordCredentials.check("alice", new char[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
