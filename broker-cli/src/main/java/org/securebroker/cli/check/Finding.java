package org.securebroker.cli.check;

import java.util.Objects;

/**
 * One thing a check found.
 *
 * <p>Thread-safety: immutable.
 *
 * @param severity how urgent it is
 * @param id a short stable name of the kind of finding, e.g. {@code key-file-permissions}, for
 *     scripts and for looking it up in docs/operations.md
 * @param subject what it is about: a file, a user, a grant, a setting
 * @param finding what was found, in a sentence
 * @param fix how to fix it: a command or a setting; null when there is nothing to do
 */
public record Finding(Severity severity, String id, String subject, String finding, String fix) {

    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(finding, "finding");
    }

    public static Finding high(String id, String subject, String finding, String fix) {
        return new Finding(Severity.HIGH, id, subject, finding, fix);
    }

    public static Finding medium(String id, String subject, String finding, String fix) {
        return new Finding(Severity.MEDIUM, id, subject, finding, fix);
    }

    public static Finding low(String id, String subject, String finding, String fix) {
        return new Finding(Severity.LOW, id, subject, finding, fix);
    }

    public static Finding info(String id, String subject, String finding, String fix) {
        return new Finding(Severity.INFO, id, subject, finding, fix);
    }
}
