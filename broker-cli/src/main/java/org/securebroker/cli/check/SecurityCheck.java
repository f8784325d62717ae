package org.securebroker.cli.check;

import java.io.IOException;
import java.util.List;

/**
 * One routine security check. It reads the configuration and the files it names, never a running
 * broker, and changes nothing. What it cannot examine is a finding too, not an exception, when
 * it can say what is wrong; an exception means the check itself could not run, and
 * {@link SecurityChecks} reports that as a high finding.
 *
 * <p>Thread-safety: implementations are stateless.
 */
public interface SecurityCheck {

    /** A short name, e.g. {@code tls}, for errors about the check itself. */
    String name();

    /** Examines what the context describes; an empty list when all is well. */
    List<Finding> run(CheckContext context) throws IOException;
}
