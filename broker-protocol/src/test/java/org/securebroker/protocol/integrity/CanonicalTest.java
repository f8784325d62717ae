package org.securebroker.protocol.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The leaf hashed in place from a stored form's bytes (the vectors are in CanonicalVectorsTest). */
class CanonicalTest {

    private static final byte[] CONTENT = Canonical.sha256(new byte[] {1, 2, 3});

    /** {@code text}'s UTF-8 bytes in the middle of a larger array, as a slice of it. */
    private static ByteBuffer inside(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] array = new byte[utf8.length + 10];
        System.arraycopy(utf8, 0, array, 7, utf8.length);
        return ByteBuffer.wrap(array, 7, utf8.length).slice();
    }

    private static ByteBuffer direct(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(utf8.length).put(utf8).flip();
    }

    private static byte[] fromStrings() {
        return Canonical.leaf("orders", 5, 1_700_000_000_000L, "alice", "p-1", 9, CONTENT);
    }

    @Test
    void leafFromSlicesOfLargerArraysEqualsTheLeafFromStrings() {
        byte[] leaf = Canonical.leaf(Canonical.newSha256(), inside("orders"), 5, 1_700_000_000_000L, inside("alice"),
                inside("p-1"), 9, ByteBuffer.wrap(CONTENT));
        assertThat(leaf).isEqualTo(fromStrings());
    }

    @Test
    void leafFromDirectAndReadOnlyBuffersEqualsTheLeafFromStrings() {
        byte[] leaf = Canonical.leaf(Canonical.newSha256(), direct("orders"), 5, 1_700_000_000_000L,
                inside("alice").asReadOnlyBuffer(), direct("p-1"), 9, ByteBuffer.wrap(CONTENT).asReadOnlyBuffer());
        assertThat(leaf).isEqualTo(fromStrings());
    }

    @Test
    void leafLeavesEveryBufferAsItWas() {
        ByteBuffer queue = inside("orders");
        ByteBuffer principal = direct("alice");
        ByteBuffer content = ByteBuffer.wrap(CONTENT);
        Canonical.leaf(Canonical.newSha256(), queue, 5, 1_700_000_000_000L, principal, inside("p-1"), 9, content);
        assertThat(queue.position()).isZero();
        assertThat(principal.position()).isZero();
        assertThat(content.position()).isZero();
        assertThat(Canonical.leaf(Canonical.newSha256(), queue, 5, 1_700_000_000_000L, principal, inside("p-1"), 9,
                content)).as("hashed twice from the same buffers").isEqualTo(fromStrings());
    }

    @Test
    void leafRefusesAContentDigestThatIsNot32Bytes() {
        assertThatThrownBy(() -> Canonical.leaf("orders", 5, 0, "alice", "", 0, new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
    }

    @Test
    void leafRefusesAStringTooLongForItsU16Length() {
        String principal = "a".repeat(0x10000);
        assertThatThrownBy(() -> Canonical.leaf("orders", 5, 0, principal, "", 0, CONTENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65536 bytes");
    }
}
