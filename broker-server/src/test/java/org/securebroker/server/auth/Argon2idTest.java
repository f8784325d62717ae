package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class Argon2idTest {

    @Test
    void shouldMatchTheReferenceImplementationVector() {
        // phc-winner-argon2 test vector: password "password", salt "somesalt", m=65536, t=2, p=1
        String phc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        assertThat(Argon2id.verify("password".toCharArray(), phc)).isTrue();
        assertThat(Argon2id.verify("passwore".toCharArray(), phc)).isFalse();
        byte[] tag = Argon2id.derive("password".toCharArray(), "somesalt".getBytes(StandardCharsets.US_ASCII), 65536, 2, 1, 32);
        assertThat(Base64.getEncoder().withoutPadding().encodeToString(tag))
                .isEqualTo("CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc");
    }

    @Test
    void shouldHashWithAFreshSaltInPhcFormat() {
        SecureRandom random = new SecureRandom();
        String a = Argon2id.OWASP_MINIMUM.hash("correct horse".toCharArray(), random);
        String b = Argon2id.OWASP_MINIMUM.hash("correct horse".toCharArray(), random);
        assertThat(a).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").isNotEqualTo(b);
        assertThat(Argon2id.verify("correct horse".toCharArray(), a)).isTrue();
        assertThat(Argon2id.verify("correct horsf".toCharArray(), a)).isFalse();
    }

    @Test
    void shouldRefuseParametersBelowTheOwaspMinimum() {
        assertThatThrownBy(() -> new Argon2id(8192, 2, 1)).hasMessageContaining("19456");
        assertThatThrownBy(() -> new Argon2id(19456, 1, 1)).hasMessageContaining("t >= 2");
    }

    @Test
    void shouldTellWhenAStoredHashIsOutdated() {
        String old = Argon2id.OWASP_MINIMUM.hash("pw-pw-pw-pw-pw".toCharArray(), new SecureRandom());
        assertThat(new Argon2id(19456, 3, 1).isOutdated(old)).isTrue();
        assertThat(Argon2id.OWASP_MINIMUM.isOutdated(old)).isFalse();
    }

    @Test
    void shouldRefuseMalformedPhcStrings() {
        for (String bad : new String[] {"", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
            "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "plaintext"}) {
            assertThatThrownBy(() -> Argon2id.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
