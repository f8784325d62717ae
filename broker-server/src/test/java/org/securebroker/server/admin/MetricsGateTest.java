package org.securebroker.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MetricsGateTest {

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldTurnBasicCredentialsIntoAPlainResponse() {
        assertThat(new String(MetricsGate.plainResponse(basic("alice:pass:word ü")), StandardCharsets.UTF_8))
                .isEqualTo("\0alice\0pass:word ü");
        assertThat(MetricsGate.plainResponse("basic " + Base64.getEncoder().encodeToString("a:b".getBytes(
                StandardCharsets.UTF_8)))).isNotNull();
    }

    @Test
    void shouldRefuseMalformedAuthorizationHeaders() {
        for (String header : new String[] {"Bearer abc", "Basic", "Basic !!!", basic("no-colon"), basic(":password"),
            basic("alice:"), basic("al\0ice:password"), "Basic " + Base64.getEncoder().encodeToString(new byte[] {
                (byte) 0xff, ':', 'x'})}) {
            assertThat(MetricsGate.plainResponse(header)).as(header).isNull();
        }
    }

    @Test
    void shouldLetEveryoneInOnlyWhenOpenedExplicitly() {
        MetricsGate open = MetricsGate.open();
        assertThat(open.authenticates()).isFalse();
        assertThat(open.check(null, java.util.List.of(), null).join().allowed()).isTrue();
    }
}
