package org.securebroker.server.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * The durable list of queue definitions, {@code queues.json} in the data directory, replaced
 * atomically on every change:
 *
 * <pre>
 * {"version": 1, "queues": [{"name": "orders", "maxDeliveries": 5, "deadLetterQueue": "orders.dlq",
 *                            "defaultTtlMillis": 0}]}
 * </pre>
 *
 * <p>Thread-safety: not thread-safe; the engine serializes changes.
 */
final class QueueCatalog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, QueueDefinition> definitions = new LinkedHashMap<>();

    QueueCatalog(Path file) {
        this.file = file;
    }

    void load() throws IOException {
        definitions.clear();
        if (!Files.exists(file)) {
            return;
        }
        JsonNode root = JSON.readTree(AtomicFiles.read(file, 64 * 1024 * 1024));
        if (root == null || root.path("version").asInt() != 1 || !root.path("queues").isArray()) {
            throw new IOException(file + " is not a version-1 queue catalog");
        }
        for (JsonNode q : root.get("queues")) {
            try {
                QueueDefinition d = new QueueDefinition(q.path("name").asText(), q.path("maxDeliveries").asInt(),
                        q.path("deadLetterQueue").asText(""), Duration.ofMillis(q.path("defaultTtlMillis").asLong()),
                        q.path("requireProducerSignatures").asBoolean(false));
                definitions.put(d.name(), d);
            } catch (RuntimeException e) {
                throw new IOException(file + ": invalid queue " + q + ": " + e.getMessage(), e);
            }
        }
    }

    Collection<QueueDefinition> all() {
        return definitions.values();
    }

    QueueDefinition get(String name) {
        return definitions.get(name);
    }

    void put(QueueDefinition definition) throws IOException {
        definitions.put(definition.name(), definition);
        save();
    }

    void remove(String name) throws IOException {
        if (definitions.remove(name) != null) {
            save();
        }
    }

    private void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode list = root.putArray("queues");
        for (QueueDefinition d : definitions.values()) {
            ObjectNode n = list.addObject();
            n.put("name", d.name());
            n.put("maxDeliveries", d.maxDeliveries());
            n.put("deadLetterQueue", d.deadLetterQueue());
            n.put("defaultTtlMillis", d.defaultTtl().toMillis());
            n.put("requireProducerSignatures", d.requireProducerSignatures());
        }
        AtomicFiles.write(DefaultFileLayer.INSTANCE, file,
                ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
    }
}
