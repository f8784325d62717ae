package org.securebroker.cli;

import java.util.concurrent.Callable;
import org.securebroker.client.BrokerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code broker reload}: asks a running broker to re-read what it can change while running, as
 * SIGHUP does (the broker's {@code LiveReload}): the configuration file's live settings, the TLS
 * material, the JWT keys, the audit and message signing keys, the producer keys, the key file and
 * the policy. Each part is validated before it replaces the old one; a refused part keeps its
 * old state and is named in the error (exit 1). Needs the admin role.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Make a running broker re-read, like SIGHUP:",
            "  - the configuration file it was started with (--config), validated as a whole first: if anything "
                + "in it is wrong, nothing at all changes. Applied at once: alerts.*, quotas.*, "
                + "audit.allowAggregation.",
            "  - the TLS files: server certificate and key, client CA, CRL (new connections use them; open ones "
                + "continue, except those whose client certificate the new CRL revokes: they are closed)",
            "  - the JWT verification keys (auth.jwt keys, jwks)",
            "  - the audit signing key (audit.privateKey) and the message signing key (integrity.privateKey)",
            "  - the producer keys (integrity.producerKeys)",
            "  - the key file (keys.kekFile): a new key-encryption key; data keys are rewrapped in the background",
            "  - the authorization policy (authorization.policyFile)",
            "Needs a restart (the broker logs and audits which changed, and keeps the old values): listener, tls "
                + "paths and modes, keys, store, auth (the users file itself is re-read within a second of a "
                + "change), queues, authorization, admin, memory, the other audit settings, integrity paths, "
                + "dataDir.",
            "A part that is refused keeps its previous state and is named in the error (exit 1)."})
final class ReloadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        try (BrokerClient c = client.connect()) {
            c.reload();
        }
        spec.commandLine().getOut().println("reloaded: new connections use the new material");
        return 0;
    }
}
