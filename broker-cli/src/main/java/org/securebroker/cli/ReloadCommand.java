package org.securebroker.cli;

import java.util.concurrent.Callable;
import org.securebroker.client.BrokerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code broker reload}: asks a running broker to reload its TLS material (server certificate and
 * key, client CA, CRL) and JWT keys, like SIGHUP. New connections use the new material, existing
 * ones continue; a bad file is refused with its name and the previous material stays in force.
 * Needs the admin role.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Reload the TLS certificate, key, client CA, CRL and JWT keys of a running broker.")
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
