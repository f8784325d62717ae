package org.securebroker.server.admin;

import java.util.List;

/**
 * What {@code /readyz} answers: the problems that keep the broker from taking traffic (any one
 * makes it 503), and notes an operator should see although the broker is ready (queues that are
 * unavailable while every other queue works).
 *
 * <p>Thread-safety: immutable.
 *
 * @param problems why the broker is not ready; empty when it is
 * @param notes what is wrong without making the broker unready
 */
public record Readiness(List<String> problems, List<String> notes) {

    public Readiness {
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }

    public boolean ready() {
        return problems.isEmpty();
    }

    /** The body of {@code /readyz}: "ready" or "not ready:" and the problems, then the notes. */
    public String body() {
        StringBuilder out = new StringBuilder(ready() ? "ready\n" : "not ready:\n");
        problems.forEach(p -> out.append(p).append('\n'));
        if (!notes.isEmpty()) {
            out.append(ready() ? "with:\n" : "also:\n");
            notes.forEach(n -> out.append(n).append('\n'));
        }
        return out.toString();
    }
}
