package org.securebroker.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ProtocolLimits;

class HeadersTest {

    @Test
    void shouldPreserveInsertionOrder() {
        Headers headers = Headers.builder().add("z", "1").add("a", "2").add("m", "3").build();
        assertThat(headers.keys()).containsExactly("z", "a", "m");
        assertThat(headers.asMap().keySet()).containsExactly("z", "a", "m");
        assertThat(headers.keyAt(1)).isEqualTo("a");
        assertThat(headers.getUtf8("m")).contains("3");
        assertThat(headers.get("missing")).isEmpty();
    }

    @Test
    void shouldRejectDuplicateKeys() {
        Headers.Builder builder = Headers.builder().add("k", "1");
        assertThatThrownBy(() -> builder.add("k", "2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate");
    }

    @Test
    void shouldRejectMoreThanTheMaximumNumberOfHeaders() {
        Headers.Builder builder = Headers.builder();
        for (int i = 0; i < ProtocolLimits.MAX_HEADERS; i++) {
            builder.add("k" + i, "v");
        }
        assertThat(builder.build().size()).isEqualTo(64);
        assertThatThrownBy(() -> builder.add("one-too-many", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64");
    }

    @Test
    void shouldCopyValuesDefensively() {
        byte[] value = {1, 2};
        Headers headers = Headers.builder().add("k", value).build();
        value[0] = 9;
        headers.get("k").orElseThrow().toByteArray()[1] = 9;
        assertThat(headers.get("k").orElseThrow().toByteArray()).containsExactly(1, 2);
    }

    @Test
    void shouldNotBeChangedByLaterBuilderUse() {
        Headers.Builder builder = Headers.builder().add("a", "1");
        Headers first = builder.build();
        builder.add("b", "2");
        assertThat(first.size()).isEqualTo(1);
    }

    @Test
    void shouldCompareByOrderedContent() {
        Headers ab = Headers.builder().add("a", "1").add("b", "2").build();
        Headers ab2 = Headers.builder().add("a", "1").add("b", "2").build();
        Headers ba = Headers.builder().add("b", "2").add("a", "1").build();
        assertThat(ab).isEqualTo(ab2).hasSameHashCodeAs(ab2).isNotEqualTo(ba);
        assertThat(Headers.builder().build()).isEqualTo(Headers.EMPTY);
    }

    @Test
    void shouldBuildFromAMapInIterationOrder() {
        Map<String, Bytes> map = new LinkedHashMap<>();
        map.put("x", Bytes.utf8("1"));
        map.put("y", Bytes.utf8("2"));
        assertThat(Headers.of(map).keys()).containsExactly("x", "y");
    }

    @Test
    void shouldNotPrintValues() {
        Headers headers = Headers.builder().add("authorization", "Bearer secret-token").build();
        assertThat(headers.toString()).contains("authorization").doesNotContain("secret-token");
    }
}
