package org.securebroker.client.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.securebroker.protocol.ErrorCode;

class AuthenticationTest {

    private static PasswordAuthentication password(String mechanisms) {
        return new PasswordAuthentication(new PasswordCredentials("alice", "s3cret".toCharArray()), offered(mechanisms),
                new SecureRandom());
    }

    private static List<String> offered(String list) {
        return list.isEmpty() ? List.of() : List.of(list.split(" "));
    }

    @ParameterizedTest
    @CsvSource({
        "SCRAM-SHA-256 PLAIN, PLAIN SCRAM-SHA-256,  SCRAM-SHA-256",
        "SCRAM-SHA-256 PLAIN, PLAIN,                PLAIN",
        "SCRAM-SHA-256 PLAIN, SCRAM-SHA-256 JWT,    SCRAM-SHA-256",
        "SCRAM-SHA-256,       PLAIN SCRAM-SHA-256,  SCRAM-SHA-256",
        "PLAIN,               PLAIN SCRAM-SHA-256,  PLAIN",
        "PLAIN SCRAM-SHA-256, PLAIN SCRAM-SHA-256,  PLAIN",
    })
    void shouldPickTheFirstAllowedPasswordMechanismTheBrokerOffers(String allowed, String offered, String expected) {
        assertThat(password(allowed).start(offered(offered)).mechanism()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
        "SCRAM-SHA-256 PLAIN, JWT EXTERNAL,  SCRAM-SHA-256 or PLAIN",
        "SCRAM-SHA-256 PLAIN, '',            SCRAM-SHA-256 or PLAIN",
        "SCRAM-SHA-256,       PLAIN,         SCRAM-SHA-256 only",
        "PLAIN,               SCRAM-SHA-256, PLAIN only",
    })
    void shouldRefuseWhenTheBrokerOffersNoAllowedPasswordMechanism(String allowed, String offered, String wanted) {
        assertThatThrownBy(() -> password(allowed).start(offered(offered)))
                .isInstanceOfSatisfying(AuthException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_MECHANISM);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.detail()).endsWith("this client is configured for " + wanted);
                });
    }

    @ParameterizedTest
    @CsvSource({"''", "JWT", "PLAIN PLAIN", "SCRAM-SHA-256 EXTERNAL"})
    void shouldRefuseAllowedMechanismsThatAreNotPasswordMechanismsOnceEach(String allowed) {
        assertThatThrownBy(() -> password(allowed)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldUseJwtForTokensAndExternalForTheCertificateAlone() {
        TokenAuthentication tokens = new TokenAuthentication(new TokenSource(() -> "t"));

        assertThat(tokens.start(List.of("PLAIN", "JWT")).mechanism()).isEqualTo("JWT");
        assertThat(tokens.tokenSource()).isPresent();
        assertThat(new CertificateAuthentication().start(List.of("EXTERNAL")).initialResponse()).isEmpty();
        assertThatThrownBy(() -> tokens.start(List.of("PLAIN"))).isInstanceOf(AuthException.class);
        assertThatThrownBy(() -> new CertificateAuthentication().start(List.of("PLAIN"))).isInstanceOf(AuthException.class);
    }

    @Test
    void shouldRefuseATokenTooLongForAnAuthFrameWithoutShowingIt() {
        TokenSource source = new TokenSource(() -> "x".repeat(TokenSource.MAX_INITIAL_TOKEN_BYTES + 1));

        assertThatThrownBy(() -> source.fetch(TokenSource.MAX_INITIAL_TOKEN_BYTES))
                .isInstanceOfSatisfying(AuthException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.getMessage()).doesNotContain("xxxx");
                });
    }

    @Test
    void shouldTreatAMissingTokenAsARetriableFailure() {
        assertThatThrownBy(() -> new TokenSource(() -> null).fetch(100))
                .isInstanceOfSatisfying(AuthException.class, e -> assertThat(e.retriable()).isTrue());
        assertThatThrownBy(() -> new TokenSource(() -> "").fetch(100))
                .isInstanceOfSatisfying(AuthException.class, e -> assertThat(e.retriable()).isTrue());
    }
}
