package org.securebroker.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlainCredentialsTest {

    @Test
    void shouldEncodeTheRfc4616InitialResponseWithAnEmptyAuthzidInUtf8() {
        PlainCredentials credentials = new PlainCredentials("zoë", "pässwörd".toCharArray());

        assertThat(credentials.plainInitialResponse())
                .isEqualTo("\0zoë\0pässwörd".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldOverwriteThePasswordWhenWiped() {
        char[] password = "s3cret".toCharArray();
        PlainCredentials credentials = new PlainCredentials("alice", password);

        credentials.wipe();

        assertThat(password).containsOnly('\0');
        assertThat(credentials.isWiped()).isTrue();
        assertThatThrownBy(credentials::plainInitialResponse).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldNeverShowThePassword() {
        assertThat(new PlainCredentials("alice", "s3cret".toCharArray()).toString()).doesNotContain("s3cret");
        assertThatThrownBy(() -> PlainCredentials.check("alice", "bad\0pass".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("bad");
    }

    @Test
    void shouldRejectNulAndEmptyParts() {
        assertThatThrownBy(() -> PlainCredentials.check("", "x".toCharArray())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PlainCredentials.check("a\0b", "x".toCharArray())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PlainCredentials.check("alice", new char[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
