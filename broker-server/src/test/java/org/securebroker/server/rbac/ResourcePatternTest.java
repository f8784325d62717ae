package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Only '*' is special, it may match dots and nothing, and the whole name must match. */
class ResourcePatternTest {

    private static void matches(String pattern, String... resources) {
        for (String r : resources) {
            assertThat(ResourcePattern.matches(pattern, r)).as(pattern + " ~ " + r).isTrue();
        }
    }

    private static void misses(String pattern, String... resources) {
        for (String r : resources) {
            assertThat(ResourcePattern.matches(pattern, r)).as(pattern + " !~ " + r).isFalse();
        }
    }

    @Test
    void shouldMatchAnExactNameOnly() {
        matches("orders", "orders");
        misses("orders", "orders.eu", "order", "Orders", "xorders", "");
        assertThat(ResourcePattern.parse("orders").isExact()).isTrue();
    }

    @Test
    void shouldMatchEverythingUnderAPrefixButNotThePrefixItself() {
        matches("orders.*", "orders.eu", "orders.eu.dlq", "orders.");
        misses("orders.*", "orders", "ordersx", "x.orders.eu");
        assertThat(ResourcePattern.parse("orders.*").isExact()).isFalse();
    }

    @Test
    void shouldMatchAStarAnywhere() {
        matches("*", "orders", "a.b.c", "audit", "broker");
        matches("*.dlq", "orders.dlq", "orders.eu.dlq", ".dlq");
        misses("*.dlq", "orders.dlq.x", "dlq", "ordersdlq");
        matches("orders.*.dlq", "orders.eu.dlq", "orders.eu.west.dlq", "orders..dlq");
        misses("orders.*.dlq", "orders.dlq", "orders.eu", "payments.eu.dlq");
        matches("*orders*", "orders", "my-orders-eu", "xordersx");
        misses("*orders*", "order", "ordeRs");
        matches("a*b*c", "abc", "aXbYc", "abbc", "acbc");
        misses("a*b*c", "ab", "acb", "abcx", "xabc");
        matches("team:*/q@*", "team:x/q@1");
    }

    @Test
    void shouldNotLetPrefixAndSuffixOverlap() {
        misses("ab*ba", "aba", "ab");
        matches("ab*ba", "abba", "abxba");
        misses("a*a", "a");
        matches("a*a", "aa");
    }

    @Test
    void shouldRefuseWhatIsNotAPattern() {
        assertThatThrownBy(() -> ResourcePattern.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ResourcePattern.parse(null)).hasMessageContaining("empty");
        assertThatThrownBy(() -> ResourcePattern.parse("a b")).hasMessageContaining("contains ' '");
        assertThatThrownBy(() -> ResourcePattern.parse("a?")).hasMessageContaining("contains '?'");
        assertThatThrownBy(() -> ResourcePattern.parse("**")).hasMessageContaining("'**'");
        assertThatThrownBy(() -> ResourcePattern.parse("x".repeat(256))).hasMessageContaining("at most 255");
    }
}
