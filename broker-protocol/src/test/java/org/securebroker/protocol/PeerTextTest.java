package org.securebroker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PeerTextTest {

    @Test
    void shouldLeavePlainTextAlone() {
        assertThat(PeerText.escape("orders.eu-1_x")).isEqualTo("orders.eu-1_x");
        assertThat(PeerText.quote("zürich 🚀")).isEqualTo("'zürich 🚀'");
        assertThat(PeerText.quote(null)).isEqualTo("(none)");
    }

    @Test
    void shouldEscapeControlSeparatorAndBidiCharacters() {
        assertThat(PeerText.escape("a\u0000b\u0007c\u001b[31md\r\n\u007f\u0085\u009b"))
                .isEqualTo("a\\u0000b\\u0007c\\u001b[31md\\u000d\\u000a\\u007f\\u0085\\u009b");
        assertThat(PeerText.escape("x\u2028y\u2029z\u202ee\u2066f\u200fg\u061c"))
                .isEqualTo("x\\u2028y\\u2029z\\u202ee\\u2066f\\u200fg\\u061c");
        assertThat(PeerText.escape("lone\ud800 \udc00")).isEqualTo("lone\\ud800 \\udc00");
    }

    @Test
    void shouldDoubleABackslashSoAnEscapeCannotBeForged() {
        assertThat(PeerText.escape("\\u001b")).isEqualTo("\\\\u001b");
    }

    @Test
    void shouldBoundLongTextAndNameItsLength() {
        String out = PeerText.escape("q".repeat(65_000));
        assertThat(out).isEqualTo("q".repeat(PeerText.MAX_CHARS) + "... (65000 characters)");
        // never cut inside a surrogate pair
        String pairs = "a" + "🚀".repeat(300);
        assertThat(PeerText.escape(pairs)).startsWith("a" + "🚀".repeat(99) + "...");
        // the worst case stays bounded: every kept character escaped
        assertThat(PeerText.quote("\u0000".repeat(70_000)).length()).isLessThan(PeerText.MAX_CHARS * 6 + 40);
    }

    @Test
    void shouldEscapeComposedTextWholeKeepingTheEscapesOfItsQuotedParts() {
        String reason = "asked for " + PeerText.quote("x\u001b[2J") + " but got\r\n\u2028forged " + "q".repeat(300);
        assertThat(PeerText.escapeComposed(reason))
                .isEqualTo("asked for 'x\\u001b[2J' but got\\u000d\\u000a\\u2028forged " + "q".repeat(300));
        assertThat(PeerText.escapeComposed(null)).isEqualTo("(none)");
    }

    @Test
    void shouldTellWhichCodePointsAreShownAsThemselves() {
        assertThat(PeerText.isShownAsIs('a')).isTrue();
        assertThat(PeerText.isShownAsIs('\u00e9')).isTrue();
        assertThat(PeerText.isShownAsIs("🚀".codePointAt(0))).isTrue();
        for (int c : new int[] {0x1b, '\r', '\n', 0x7f, 0x9b, 0x2028, 0x202e, 0x2067, 0xd800, '\\'}) {
            assertThat(PeerText.isShownAsIs(c)).as("U+%04X", c).isFalse();
        }
    }
}
