package org.securebroker.it;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.securebroker.cli.BrokerCli;

/**
 * One run of the {@code broker} command line in this JVM: its exit code and what it printed.
 *
 * @param exit the exit code
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exit, String out, String err) {

    /** Runs {@code args} with {@code stdin} as standard input. */
    static CliRun of(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream previous = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new CliRun(exit, out.toString(), err.toString());
        } finally {
            System.setIn(previous);
        }
    }
}
