package org.securebroker.cli.check;

import java.util.Locale;

/**
 * How urgent a finding is, most urgent first. A high finding makes {@code broker check} exit 1.
 *
 * <p>Thread-safety: immutable.
 */
public enum Severity {
    /** Exploitable or about to break the broker: fix it now. */
    HIGH,
    /** Weakens security or will cause trouble: fix it soon. */
    MEDIUM,
    /** Worth tidying up. */
    LOW,
    /** Worth knowing; nothing to fix. */
    INFO;

    /** The name in reports: {@code high}, {@code medium}, {@code low}, {@code info}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
