package org.securebroker.server.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as an operator writes them in {@code broker.yaml} and on the command line: whole
 * numbers with a unit, largest unit first, e.g. {@code 500ms}, {@code 30s}, {@code 1h30m},
 * {@code 7d}. {@link #format} writes what {@link #parse} reads, so what the CLI and the logs
 * print can be pasted back into the configuration.
 *
 * <p>Thread-safety: stateless.
 */
public final class Durations {

    /** The units, largest first: a written duration names each at most once, in this order. */
    private enum Unit {
        D("d", Duration.ofDays(1)),
        H("h", Duration.ofHours(1)),
        M("m", Duration.ofMinutes(1)),
        S("s", Duration.ofSeconds(1)),
        MS("ms", Duration.ofMillis(1));

        final String suffix;
        final Duration length;

        Unit(String suffix, Duration length) {
            this.suffix = suffix;
            this.length = length;
        }

        static Unit of(String suffix) {
            return valueOf(suffix.toUpperCase(Locale.ROOT));
        }
    }

    private static final Pattern PART = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)\\s*");

    private Durations() {
    }

    /**
     * Parses a duration: one or more whole numbers each with a unit (d, h, m, s, ms), largest
     * unit first, each unit once: {@code 10s}, {@code 1h30m}, {@code 2m500ms}; or a bare {@code 0}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.strip();
        if (s.equals("0")) {
            return Duration.ZERO; // "0 = never/off" reads as written, without a unit
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        Unit previous = null;
        int at = 0;
        try {
            while (at < s.length() && m.find(at) && m.start() == at) {
                Unit unit = Unit.of(m.group(2));
                if (previous != null && unit.length.compareTo(previous.length) >= 0) {
                    throw notADuration(text);
                }
                total = total.plus(unit.length.multipliedBy(Long.parseLong(m.group(1))));
                previous = unit;
                at = m.end();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
        }
        if (previous == null || at != s.length()) {
            throw notADuration(text);
        }
        return total;
    }

    /**
     * Writes a duration as {@link #parse} reads it, in whole units from days to milliseconds
     * ({@code 1h30m}, {@code 500ms}, {@code 0s}); anything below a millisecond is dropped, and a
     * negative duration gets a leading minus.
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        for (Unit unit : Unit.values()) {
            long size = unit.length.toMillis();
            long n = millis / size;
            if (n > 0) {
                out.append(n).append(unit.suffix);
                millis -= n * size;
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException notADuration(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 500ms, 10s, 5m, 1h30m, 7d");
    }
}
