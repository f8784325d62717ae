package org.securebroker.protocol;

/**
 * Text a peer sent (a queue, subscription or user name, a mechanism, a client id), made safe to
 * quote in an ERROR message or a log line: at most {@value #MAX_CHARS} characters of it are kept,
 * followed by "..." and the original length, and every character that could change how a
 * terminal or a log viewer shows the text is written as a backslash, "u" and four hex digits:
 * C0 and C1 controls (NUL, BEL, ESC, CR, LF, ...), DEL, the line and paragraph separators U+2028/U+2029, the
 * bidirectional marks, embeddings, overrides and isolates, and unpaired surrogates. A backslash
 * is doubled, so an escape in the output always stands for an escaped character.
 *
 * <p>A quoted string is at most {@code MAX_CHARS * 6} plus a few dozen characters long, so an
 * ERROR quoting a few of them stays far inside the smallest frame size a client may negotiate.
 *
 * <p>Thread-safety: stateless.
 */
public final class PeerText {

    /** The most characters of a peer's string that are shown. */
    public static final int MAX_CHARS = 200;

    private PeerText() {
    }

    /** {@code text} escaped and bounded, in single quotes; "(none)" for null. */
    public static String quote(String text) {
        return text == null ? "(none)" : "'" + escape(text) + "'";
    }

    /** {@code text} escaped and bounded, without quotes; "(none)" for null. */
    public static String escape(String text) {
        return escape(text, MAX_CHARS, true);
    }

    /**
     * Text the broker composed around peer strings (each already {@linkplain #quote quoted}),
     * such as an authentication failure's reason, made safe for a log line: every character that
     * {@link #escape} escapes is escaped the same way, except that a backslash is kept as it is
     * (so the quoted parts read as they were written), and nothing is cut. "(none)" for null.
     */
    public static String escapeComposed(String text) {
        return escape(text, Integer.MAX_VALUE, false);
    }

    /**
     * Whether a code point is shown as itself by {@link #escape}: false for the C0 and C1
     * controls, DEL, the backslash, U+2028/U+2029, the bidirectional marks, embeddings,
     * overrides and isolates, and a surrogate code unit on its own; true for any other code
     * point, including those beyond the BMP.
     */
    public static boolean isShownAsIs(int codePoint) {
        return codePoint > Character.MAX_VALUE || shownAsIs((char) codePoint);
    }

    private static String escape(String text, int maxChars, boolean escapeBackslash) {
        if (text == null) {
            return "(none)";
        }
        int end = Math.min(text.length(), maxChars);
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))
                && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        StringBuilder out = null;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1));
            boolean plain = pair || shownAsIs(c) || (c == '\\' && !escapeBackslash);
            if (plain && out == null) {
                if (pair) {
                    i++;
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(end + 32).append(text, 0, i);
            }
            if (pair) {
                out.append(c).append(text.charAt(++i));
            } else if (plain) {
                out.append(c);
            } else if (c == '\\') {
                out.append("\\\\");
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        String kept = out == null ? text.substring(0, end) : out.toString();
        return end < text.length() ? kept + "... (" + text.length() + " characters)" : kept;
    }

    private static boolean shownAsIs(char c) {
        if (c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f)) {
            return false;
        }
        if (c < 0x7f) {
            return true;
        }
        return !(Character.isSurrogate(c)
                || c == '\u2028' || c == '\u2029'
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069'));
    }
}
