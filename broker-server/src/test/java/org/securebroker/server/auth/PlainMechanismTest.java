package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlainMechanismTest {

    @Test
    void shouldRefuseMalformedPlainResponses() {
        for (String response : new String[] {"alice\0alice-password", "\0alice\0", "bob\0alice\0alice-password",
            "\0\0pw", "\0alice\0pw\0extra"}) {
            assertThat(PlainMechanism.Credentials.parse(response.getBytes(StandardCharsets.UTF_8))).as(response).isNull();
        }
        PlainMechanism.Credentials plain = PlainMechanism.Credentials.parse("alice\0alice\0pässword".getBytes(StandardCharsets.UTF_8));
        assertThat(plain.user()).isEqualTo("alice");
        assertThat(new String(plain.password())).isEqualTo("pässword");
        assertThat(plain.toString()).doesNotContain("pässword");
    }

    @Test
    void shouldWipeTheResponseBytes() {
        byte[] response = "\0alice\0secret".getBytes(StandardCharsets.UTF_8);
        PlainMechanism.Credentials.parse(response);
        assertThat(response).containsOnly(0);
    }
}
