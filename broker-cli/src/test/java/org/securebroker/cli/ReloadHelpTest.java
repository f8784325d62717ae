package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** What 'broker reload --help' promises is what the broker's reload re-reads, and what it does not. */
class ReloadHelpTest {

    @Test
    void shouldListEverythingAReloadRereadsAndWhatNeedsARestart() {
        StringWriter out = new StringWriter();
        int exit = BrokerCli.execute(new String[] {"reload", "--help"}, new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true));
        assertThat(exit).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("SIGHUP")
                .contains("configuration file").contains("alerts.*").contains("quotas.*").contains("audit.allowAggregation")
                .contains("server certificate and key").contains("client CA").contains("CRL")
                .contains("JWT verification keys")
                .contains("audit signing key").contains("message signing key").contains("producer keys")
                .contains("keys.kekFile").contains("authorization policy")
                .contains("Needs a restart").contains("listener").contains("store").contains("memory")
                .contains("dataDir");
    }

    @Test
    void shouldSayThatAReloadedCrlClosesTheConnectionsItRevokes() {
        StringWriter out = new StringWriter();
        BrokerCli.execute(new String[] {"reload", "--help"}, new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true));
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("except those whose client certificate the new CRL revokes: they are closed")
                .doesNotContain("open ones continue)");
    }
}
