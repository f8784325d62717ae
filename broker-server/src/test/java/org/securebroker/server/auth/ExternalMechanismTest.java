package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.tls.TestPki;

class ExternalMechanismTest {

    @TempDir
    Path dir;

    @Test
    void shouldQuoteThePrincipalTheClientAskedForInTheReason() {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        UserStore users = UserStore.create(dir.resolve("users.json"), List.of());
        ExternalMechanism external = new ExternalMechanism(certificate -> Optional.of("alice"), users);
        ConnectionInfo connection = new ConnectionInfo(InetAddress.getLoopbackAddress(),
                List.of(pki.good().certificate()));

        AuthStep step = external.start(connection).next("bob\u001b]0;owned\u0007\r\nforged\u2028line"
                .getBytes(StandardCharsets.UTF_8)).join();

        AuthStep.Failure failure = (AuthStep.Failure) step;
        assertThat(failure.account()).isEqualTo("alice");
        assertThat(failure.reason()).contains("asked for principal 'bob\\u001b]0;owned\\u0007\\u000d\\u000aforged\\u2028line'")
                .doesNotContain("\u001b", "\r", "\n", "\u2028", "\u0007");
    }
}
