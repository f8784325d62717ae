package org.securebroker.server.config;

import java.util.List;

/**
 * The configuration is unusable; {@link #problems()} lists every problem found, each naming the
 * key, its line and what is allowed.
 *
 * <p>Thread-safety: immutable.
 */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(String source, List<String> problems) {
        super("invalid configuration " + source + ":\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
