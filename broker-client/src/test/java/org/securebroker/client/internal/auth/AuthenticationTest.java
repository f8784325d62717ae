package org.securebroker.client.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.securebroker.client.BrokerException;
import org.securebroker.client.PasswordMechanism;
import org.securebroker.protocol.ErrorCode;

class AuthenticationTest {

    private static PasswordAuthentication password(PasswordMechanism preference) {
        return new PasswordAuthentication(new PasswordCredentials("alice", "s3cret".toCharArray()), preference);
    }

    private static List<String> offered(String list) {
        return list.isEmpty() ? List.of() : List.of(list.split(" "));
    }

    @ParameterizedTest
    @CsvSource({
        "AUTO,          PLAIN SCRAM-SHA-256,  SCRAM-SHA-256",
        "AUTO,          PLAIN,                PLAIN",
        "AUTO,          SCRAM-SHA-256 JWT,    SCRAM-SHA-256",
        "SCRAM_SHA_256, PLAIN SCRAM-SHA-256,  SCRAM-SHA-256",
        "PLAIN,         PLAIN SCRAM-SHA-256,  PLAIN",
    })
    void shouldPickThePasswordMechanism(PasswordMechanism preference, String offered, String expected) {
        assertThat(password(preference).start(offered(offered)).mechanism()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
        "AUTO,          JWT EXTERNAL",
        "AUTO,          ''",
        "SCRAM_SHA_256, PLAIN",
        "PLAIN,         SCRAM-SHA-256",
    })
    void shouldRefuseWhenTheBrokerOffersNoFittingPasswordMechanism(PasswordMechanism preference, String offered) {
        assertThatThrownBy(() -> password(preference).start(offered(offered)))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_MECHANISM);
                    assertThat(e.retriable()).isFalse();
                });
    }

    @Test
    void shouldUseJwtForTokensAndExternalForTheCertificateAlone() {
        TokenAuthentication tokens = new TokenAuthentication(new TokenSource(() -> "t"));

        assertThat(tokens.start(List.of("PLAIN", "JWT")).mechanism()).isEqualTo("JWT");
        assertThat(tokens.tokenSource()).isPresent();
        assertThat(new CertificateAuthentication().start(List.of("EXTERNAL")).initialResponse()).isEmpty();
        assertThatThrownBy(() -> tokens.start(List.of("PLAIN"))).isInstanceOf(BrokerException.class);
        assertThatThrownBy(() -> new CertificateAuthentication().start(List.of("PLAIN"))).isInstanceOf(BrokerException.class);
    }

    @Test
    void shouldRefuseATokenTooLongForAnAuthFrameWithoutShowingIt() {
        TokenSource source = new TokenSource(() -> "x".repeat(TokenSource.MAX_INITIAL_TOKEN_BYTES + 1));

        assertThatThrownBy(() -> source.fetch(TokenSource.MAX_INITIAL_TOKEN_BYTES))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.getMessage()).doesNotContain("xxxx");
                });
    }

    @Test
    void shouldTreatAMissingTokenAsARetriableFailure() {
        assertThatThrownBy(() -> new TokenSource(() -> null).fetch(100))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.retriable()).isTrue());
        assertThatThrownBy(() -> new TokenSource(() -> "").fetch(100))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.retriable()).isTrue());
    }
}
