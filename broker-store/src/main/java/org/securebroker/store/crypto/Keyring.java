package org.securebroker.store.crypto;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The key-encryption keys the store may use: the current one wraps data keys of new segments and
 * every key in the ring can unwrap. Keeping retired KEKs in the ring until
 * {@code Store#rewrapDataKeys} has moved every data key to the current one makes KEK rotation
 * possible without rewriting data.
 *
 * <p>Thread-safety: immutable.
 */
public final class Keyring {

    private final Map<String, Kek> keys;
    private final Kek current;

    private Keyring(Map<String, Kek> keys, Kek current) {
        this.keys = keys;
        this.current = current;
    }

    /**
     * @throws IllegalArgumentException if {@code keys} is empty, ids repeat or the current id is
     *     not among them
     */
    public static Keyring of(List<Kek> keys, String currentId) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a keyring needs at least one key");
        }
        Map<String, Kek> byId = new LinkedHashMap<>();
        for (Kek kek : keys) {
            if (byId.putIfAbsent(kek.id(), kek) != null) {
                throw new IllegalArgumentException("key id '" + kek.id() + "' appears twice");
            }
        }
        Kek current = byId.get(currentId);
        if (current == null) {
            throw new IllegalArgumentException("current key '" + currentId + "' is not in the keyring " + byId.keySet());
        }
        return new Keyring(Collections.unmodifiableMap(byId), current);
    }

    /** A keyring of one key, which is current. */
    public static Keyring of(Kek kek) {
        return of(List.of(kek), kek.id());
    }

    public Kek current() {
        return current;
    }

    public Optional<Kek> get(String id) {
        return Optional.ofNullable(keys.get(id));
    }

    /** The key ids, in the order they were given. */
    public List<String> ids() {
        return List.copyOf(keys.keySet());
    }

    public List<Kek> keys() {
        return List.copyOf(keys.values());
    }

    @Override
    public String toString() {
        return "Keyring[current=" + current.id() + ", ids=" + keys.keySet() + "]";
    }
}
