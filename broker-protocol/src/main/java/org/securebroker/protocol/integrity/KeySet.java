package org.securebroker.protocol.integrity;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Public keys by id: the broker's signing keys a consumer pins (current and retired), or the
 * keys registered for one producer.
 *
 * <p>Thread-safety: immutable.
 */
public final class KeySet {

    public static final KeySet EMPTY = new KeySet(Map.of());

    private final Map<String, VerifyingKey> byId;

    private KeySet(Map<String, VerifyingKey> byId) {
        this.byId = byId;
    }

    /** The keys in order; a key given twice counts once. */
    public static KeySet of(Collection<VerifyingKey> keys) {
        Map<String, VerifyingKey> map = new LinkedHashMap<>();
        for (VerifyingKey k : keys) {
            map.putIfAbsent(k.id(), k);
        }
        return new KeySet(java.util.Collections.unmodifiableMap(map));
    }

    public static KeySet of(VerifyingKey... keys) {
        return of(List.of(keys));
    }

    public Optional<VerifyingKey> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    public int size() {
        return byId.size();
    }

    /** The keys in the order given. */
    public List<VerifyingKey> keys() {
        return new ArrayList<>(byId.values());
    }

    /** The ids in the order given. */
    public List<String> ids() {
        return new ArrayList<>(byId.keySet());
    }

    /** This set and {@code other}'s keys after it. */
    public KeySet with(KeySet other) {
        List<VerifyingKey> all = keys();
        all.addAll(other.keys());
        return of(all);
    }

    /** Equal when the same keys are in the same order. */
    @Override
    public boolean equals(Object o) {
        return o instanceof KeySet other && List.copyOf(byId.values()).equals(List.copyOf(other.byId.values()));
    }

    @Override
    public int hashCode() {
        return byId.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "KeySet" + byId.keySet();
    }
}
