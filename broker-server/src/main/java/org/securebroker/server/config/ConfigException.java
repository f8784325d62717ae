package org.securebroker.server.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration is unusable; {@link #problems()} lists every problem found, each naming the
 * key, its line and what is allowed, in the order of the lines they are about (problems that
 * name no line come last, in the order they were found).
 *
 * <p>Thread-safety: immutable.
 */
public final class ConfigException extends RuntimeException {

    private static final Pattern LINE = Pattern.compile("line (\\d{1,9}):.*", Pattern.DOTALL);

    private final List<String> problems;

    public ConfigException(String source, List<String> problems) {
        super("invalid configuration " + source + ":\n  " + String.join("\n  ", byLine(problems)));
        this.problems = List.copyOf(byLine(problems));
    }

    public List<String> problems() {
        return problems;
    }

    /** The problems ordered by the line each names (a stable sort: one line's problems keep their order). */
    private static List<String> byLine(List<String> problems) {
        List<String> out = new ArrayList<>(problems);
        out.sort(Comparator.comparingLong(ConfigException::line));
        return out;
    }

    private static long line(String problem) {
        Matcher m = LINE.matcher(problem);
        return m.matches() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }
}
