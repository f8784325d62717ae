package org.securebroker.server.queue;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.server.config.QueueDefinition;

/**
 * A queue the engine knows but cannot serve: its log in the store does not add up (the store
 * refused to open it), or it has a log but no definition in the queue catalog. It stays known,
 * so every request on it is refused with {@code QUEUE_UNAVAILABLE} rather than treated as a
 * missing queue, until an operator repairs it (restores the data from a backup, accepts the loss
 * with {@code broker store repair}, defines it, or deletes it).
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the queue
 * @param definition its definition, if the catalog has one
 * @param problem for operators: what is wrong, as the store or the catalog says it (it may name
 *     files and offsets, so it goes to logs, the audit log and the CLI, never to clients)
 */
public record UnavailableQueue(String name, Optional<QueueDefinition> definition, String problem) {

    public UnavailableQueue {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(problem, "problem");
    }

    /** Whether the catalog defines it (if not, it is a log without a definition). */
    public boolean defined() {
        return definition.isPresent();
    }
}
