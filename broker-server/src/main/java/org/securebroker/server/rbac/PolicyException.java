package org.securebroker.server.rbac;

import java.util.List;

/**
 * A policy file was refused as a whole; {@link #problems()} lists every problem found, each
 * starting with its line. Whoever held a policy before keeps it.
 *
 * <p>Thread-safety: immutable.
 */
public final class PolicyException extends RuntimeException {

    private final String source;
    private final List<String> problems;

    public PolicyException(String source, List<String> problems) {
        super("invalid policy " + source + ":\n  " + String.join("\n  ", problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    /** The file (or other source) that was refused. */
    public String source() {
        return source;
    }

    public List<String> problems() {
        return problems;
    }
}
