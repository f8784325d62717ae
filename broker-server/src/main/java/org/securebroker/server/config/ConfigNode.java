package org.securebroker.server.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a parsed configuration file, with the line it started on.
 *
 * <p>Thread-safety: immutable after parsing.
 */
public sealed interface ConfigNode permits ConfigNode.MapNode, ConfigNode.ListNode, ConfigNode.ScalarNode {

    int line();

    /** A mapping; keys keep their order and their own line numbers. */
    record MapNode(int line, Map<String, ConfigNode> entries, Map<String, Integer> keyLines) implements ConfigNode {
        public MapNode {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyLines = Collections.unmodifiableMap(new LinkedHashMap<>(keyLines));
        }
    }

    record ListNode(int line, List<ConfigNode> items) implements ConfigNode {
        public ListNode {
            items = List.copyOf(items);
        }
    }

    /**
     * A scalar; {@code value} is null for an explicit null. {@code written} is the text in the
     * file when {@link Substitutions} replaced references in it (errors show it instead of the
     * value), else null.
     */
    record ScalarNode(int line, String value, String written) implements ConfigNode {
        public ScalarNode(int line, String value) {
            this(line, value, null);
        }
    }

    static String kind(ConfigNode node) {
        if (node instanceof MapNode) {
            return "a mapping";
        }
        if (node instanceof ListNode) {
            return "a list";
        }
        return "a value";
    }
}
