package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a producer sends is printed as text only when no character of it can drive the terminal. */
class MessageLinesTest {

    private static String printable(String text) {
        return MessageLines.printable(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldShowPlainTextAsItIs() {
        assertThat(printable("order 42\tzürich 🚀 C:\\tmp")).isEqualTo("order 42\tzürich 🚀 C:\\tmp");
    }

    @Test
    void shouldRefuseEveryCharacterThatCanDriveATerminalOrReorderALine() {
        for (String bad : new String[] {"\u001b[2J", "a\rb", "a\nb", "\u0007", "del\u007f", "csi\u009b31m", "nel\u0085",
                "line\u2028sep", "para\u2029sep", "\u202egnp.exe", "\u2066isolate\u2069", "lrm\u200e", "alm\u061c"}) {
            assertThat(printable(bad)).as("%s", bad.codePoints().mapToObj(c -> String.format("U+%04X", c)).toList())
                    .isNull();
        }
    }

    @Test
    void shouldRefuseBytesThatAreNotUtf8() {
        assertThat(MessageLines.printable(new byte[] {(byte) 0xc3, (byte) 0x28})).isNull();
        assertThat(MessageLines.printable(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})).as("an encoded surrogate")
                .isNull();
    }
}
