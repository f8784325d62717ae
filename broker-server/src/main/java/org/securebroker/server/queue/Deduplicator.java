package org.securebroker.server.queue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Recognizes producer retries by (producer id, sequence). For every producer it remembers the
 * offsets of its highest {@code window} sequences and the appends still waiting for the disk: a
 * retry of a stored message gets the original offset back, a retry of a pending one waits for
 * it. A sequence below the window cannot be told apart from a restarted producer reusing its
 * id, so it is refused rather than guessed at. The least recently active of more than
 * {@code maxProducers} producers is forgotten.
 *
 * <p>Thread-safety: thread-safe (synchronized; every call is short).
 */
final class Deduplicator {

    /** What to do with one incoming message. */
    sealed interface Verdict permits New, Stored, Pending, TooOld {
    }

    record New() implements Verdict {
    }

    record Stored(long offset) implements Verdict {
    }

    record Pending(CompletableFuture<Long> offset) implements Verdict {
    }

    record TooOld(long lowestRemembered) implements Verdict {
    }

    private static final class Producer {
        final TreeMap<Long, Long> offsets = new TreeMap<>();
        final Map<Long, CompletableFuture<Long>> pending = new HashMap<>();
    }

    private final int window;
    private final LinkedHashMap<String, Producer> producers;

    Deduplicator(int window, int maxProducers) {
        this.window = window;
        this.producers = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Producer> eldest) {
                return size() > maxProducers && eldest.getValue().pending.isEmpty();
            }
        };
    }

    /**
     * Classifies a message; a {@link New} one is registered as pending until {@link #stored} or
     * {@link #failed}.
     */
    synchronized Verdict check(String producerId, long sequence) {
        Producer p = producers.computeIfAbsent(producerId, k -> new Producer());
        Long offset = p.offsets.get(sequence);
        if (offset != null) {
            return new Stored(offset);
        }
        CompletableFuture<Long> pending = p.pending.get(sequence);
        if (pending != null) {
            return new Pending(pending);
        }
        if (p.offsets.size() >= window && sequence < p.offsets.firstKey()) {
            return new TooOld(p.offsets.firstKey());
        }
        p.pending.put(sequence, new CompletableFuture<>());
        return new New();
    }

    /** Records where a message was stored, and answers retries that waited for it. */
    synchronized void stored(String producerId, long sequence, long offset) {
        Producer p = producers.computeIfAbsent(producerId, k -> new Producer());
        remember(p, sequence, offset);
        CompletableFuture<Long> pending = p.pending.remove(sequence);
        if (pending != null) {
            pending.complete(offset);
        }
    }

    /** Forgets a pending message whose append failed, so that a retry is accepted. */
    synchronized void failed(String producerId, long sequence, Throwable cause) {
        Producer p = producers.get(producerId);
        if (p != null) {
            CompletableFuture<Long> pending = p.pending.remove(sequence);
            if (pending != null) {
                pending.completeExceptionally(cause);
            }
        }
    }

    /** Rebuilds memory from a stored message (on startup, from the tail of the log). */
    synchronized void restore(String producerId, long sequence, long offset) {
        remember(producers.computeIfAbsent(producerId, k -> new Producer()), sequence, offset);
    }

    private void remember(Producer p, long sequence, long offset) {
        p.offsets.put(sequence, offset);
        while (p.offsets.size() > window) {
            p.offsets.pollFirstEntry();
        }
    }
}
