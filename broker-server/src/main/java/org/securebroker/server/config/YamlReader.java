package org.securebroker.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML into a {@link ConfigNode} tree that keeps line numbers, so every validation error
 * can point at its line. Duplicate keys are errors. Used for {@code broker.yaml} (with
 * {@link Substitutions}: {@code ${env:NAME}}, {@code ${file:PATH}} in any value) and for other
 * operator-written YAML files (the authorization policy, read as written).
 *
 * <p>Thread-safety: stateless.
 */
public final class YamlReader {

    private static final YAMLFactory YAML = YAMLFactory.builder().build();

    private YamlReader() {
    }

    /**
     * Reads YAML as written, without substitutions.
     *
     * @throws ConfigException if the text is not valid YAML or repeats a key
     */
    public static ConfigNode read(String text, String source) {
        return read(text, source, null);
    }

    /**
     * Reads YAML and replaces references in its values ({@link Substitutions}) before anything
     * types them.
     *
     * @param substitutions the references to resolve; null reads values as written
     * @throws ConfigException if the text is not valid YAML, repeats a key, or a reference cannot
     *     be resolved (every such reference is listed)
     */
    public static ConfigNode read(String text, String source, Substitutions substitutions) {
        try (JsonParser parser = YAML.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return new ConfigNode.MapNode(1, Map.of(), Map.of());
            }
            List<String> problems = new ArrayList<>();
            ConfigNode root = node(parser, source, "", substitutions, problems);
            if (parser.nextToken() != null) {
                throw new ConfigException(source, List.of("line " + parser.currentLocation().getLineNr()
                        + ": more than one YAML document; use one"));
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(source, problems);
            }
            return root;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(source, List.of("line " + line + ": not valid YAML: " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ConfigException(source, List.of("cannot read: " + e.getMessage()));
        }
    }

    private static ConfigNode node(JsonParser parser, String source, String path, Substitutions substitutions,
                                   List<String> problems) throws IOException {
        int line = parser.currentTokenLocation().getLineNr();
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT) {
            Map<String, ConfigNode> entries = new LinkedHashMap<>();
            Map<String, Integer> lines = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                int keyLine = parser.currentTokenLocation().getLineNr();
                parser.nextToken();
                ConfigNode value = node(parser, source, path.isEmpty() ? key : path + "." + key, substitutions,
                        problems);
                if (entries.put(key, value) != null) {
                    throw new ConfigException(source, List.of("line " + keyLine + ": key '" + key
                            + "' appears twice (first on line " + lines.get(key) + ")"));
                }
                lines.put(key, keyLine);
            }
            return new ConfigNode.MapNode(line, entries, lines);
        }
        if (token == JsonToken.START_ARRAY) {
            List<ConfigNode> items = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                items.add(node(parser, source, path + "[" + items.size() + "]", substitutions, problems));
            }
            return new ConfigNode.ListNode(line, items);
        }
        if (token == JsonToken.VALUE_NULL) {
            return new ConfigNode.ScalarNode(line, null);
        }
        String written = parser.getText();
        if (substitutions == null) {
            return new ConfigNode.ScalarNode(line, written);
        }
        String value = substitutions.apply(written, "line " + line + ": " + path, problems);
        return new ConfigNode.ScalarNode(line, value, written.equals(value) ? null : written);
    }
}
