package org.securebroker.server.queue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.Store;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable list of queue definitions, {@code queues.json} in the data directory: authenticated
 * with a key derived from the store's KEK, versioned by a generation the store keeps as an anchor,
 * and replaced atomically on every change.
 *
 * <h2>Format (version 2)</h2>
 *
 * <pre>
 * securebroker-queue-catalog 2 KEKID TAG\n      one line of ASCII, single spaces
 * BODY                                         the rest of the file: UTF-8 JSON
 *
 * TAG  = 64 lower-case hex digits: HMAC-SHA256(K, "securebroker-queue-catalog 2 " KEKID "\n" BODY),
 *        that is every byte of the file except " " TAG itself
 * K    = Store.metadataMac("queue-catalog") under the KEK named KEKID (HKDF-SHA256 from the KEK)
 * BODY = {"version": 2, "generation": G, "queues": [QUEUE, ...], "deleting": [NAME, ...]}
 * QUEUE = {"name": S, "maxDeliveries": N, "deadLetterQueue": S, "defaultTtlMillis": N,
 *          "requireProducerSignatures": B
 *          [, "createdBy": S] [, "subscriptionOwners": {SUBSCRIPTION: S, ...}]
 *          [, "subscriptionActivity": {SUBSCRIPTION: N, ...}] [, "depth": DEPTH]}
 * DEPTH = {"maxMessages": N, "maxBytes": N, "overflow": "REJECT" | "DEAD_LETTER_OLDEST"}
 * </pre>
 *
 * {@code depth} is the queue's own depth limit ({@code queues.define}); without it the queue has
 * the broker's ({@code queues.maxDepth...}), which is configuration, not catalog state.
 *
 * {@code createdBy} names the principal that created the queue (a CREATE_QUEUE, or publishing or
 * subscribing with auto-creation); {@code subscriptionOwners} the principal that created each
 * durable subscription. {@code subscriptionActivity} holds, per subscription, the epoch
 * milliseconds of its last recorded activity (a consumer attached or detached), from which its
 * idle expiry counts, so that expiry survives a restart. Owners count against the principals'
 * quotas. All are optional and
 * written only when there is something to say: a queue defined by the configuration, or
 * created before owners were recorded, counts for nobody. A file written before these keys
 * existed is read as it is; a broker older than them refuses a file that has them (its strict
 * reading knows no such key).
 *
 * The tag covers the exact bytes, so any change to the file (a key name, a value, white space,
 * the KEK id) is detected; the body is still read strictly: every key present, no other key, no
 * key twice, every value of its type and in range. {@code deleting} names queues whose deletion
 * began (their definition is gone) but whose log may still exist; the engine finishes those
 * deletions at start.
 *
 * <h2>Rollback</h2>
 *
 * Every save writes generation G + 1 and, once the file is durable, records G + 1 in the store's
 * authenticated state ({@link Store#setAnchor}, {@value #ANCHOR}). At load a generation below
 * the anchor is an older copy put back (refused); one above it is a save whose anchor update a
 * crash interrupted (accepted, and the anchor catches up). A missing file is refused once the
 * anchor exists or the store holds logs: the broker never falls back to an empty catalog over
 * existing queues. A version-1 file (plain JSON, before authentication) is accepted only while
 * there is no anchor, and is rewritten as version 2 at once.
 *
 * <p>Thread-safety: not thread-safe; the engine serializes changes (its admin thread, or the
 * starting thread before that). {@link #read} is stateless.
 */
public final class QueueCatalog {

    /** The metadata-key purpose of the catalog's tag ({@link Store#metadataMac(String)}). */
    public static final String PURPOSE = "queue-catalog";
    /** The store anchor holding the generation of the last catalog written. */
    public static final String ANCHOR = "queue-catalog.generation";
    /** Version 2's first line starts with this. */
    static final String MAGIC = "securebroker-queue-catalog 2 ";
    private static final Pattern HEADER = Pattern.compile(
            "securebroker-queue-catalog 2 ([A-Za-z0-9][A-Za-z0-9._-]{0,63}) ([0-9a-f]{64})");
    private static final int MAX_BYTES = 64 * 1024 * 1024;
    private static final Set<String> ROOT_KEYS = Set.of("version", "generation", "queues", "deleting");
    private static final Set<String> QUEUE_KEYS = Set.of("name", "maxDeliveries", "deadLetterQueue",
            "defaultTtlMillis", "requireProducerSignatures");
    /** Keys a queue entry may have besides {@link #QUEUE_KEYS}: owners and its own depth. */
    private static final Set<String> OPTIONAL_KEYS = Set.of("createdBy", "subscriptionOwners", "subscriptionActivity",
            "depth");
    private static final Logger LOG = LoggerFactory.getLogger(QueueCatalog.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** A catalog file that cannot be used; the message names the file, what is wrong and what to do. */
    public static final class CatalogException extends IOException {
        private static final long serialVersionUID = 1L;

        CatalogException(String message) {
            super(message);
        }

        CatalogException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What a catalog file holds.
     *
     * @param version 1 (legacy, unauthenticated) or 2
     * @param generation the generation written (0 for version 1)
     * @param kekId the KEK the tag was made under (empty for version 1)
     * @param queues the definitions, in file order
     * @param deleting queues whose deletion began and may not have finished
     * @param owners who created which queue and subscription, by queue name (queues counting for
     *     nobody are absent)
     */
    public record Contents(int version, long generation, String kekId, List<QueueDefinition> queues,
                           Set<String> deleting, Map<String, Owners> owners) {
        public Contents {
            queues = List.copyOf(queues);
            deleting = Collections.unmodifiableSet(new TreeSet<>(deleting));
            owners = Map.copyOf(owners);
        }

        public Contents(int version, long generation, String kekId, List<QueueDefinition> queues,
                        Set<String> deleting) {
            this(version, generation, kekId, queues, deleting, Map.of());
        }
    }

    /**
     * Who created a queue and its durable subscriptions, for the quotas.
     *
     * @param createdBy the principal that created the queue; empty when it counts for nobody
     *     (defined by the configuration, or created before owners were recorded)
     * @param subscriptions the principal that created each subscription, by subscription name
     * @param lastActive the last recorded activity of each subscription (epoch ms), by name
     */
    public record Owners(String createdBy, Map<String, String> subscriptions, Map<String, Long> lastActive) {
        static final Owners NONE = new Owners("", Map.of());

        public Owners {
            createdBy = createdBy == null ? "" : createdBy;
            subscriptions = Collections.unmodifiableMap(new java.util.TreeMap<>(subscriptions));
            lastActive = Collections.unmodifiableMap(new java.util.TreeMap<>(lastActive));
        }

        public Owners(String createdBy, Map<String, String> subscriptions) {
            this(createdBy, subscriptions, Map.of());
        }

        boolean isEmpty() {
            return createdBy.isEmpty() && subscriptions.isEmpty() && lastActive.isEmpty();
        }

        Owners withSubscription(String subscription, String principal) {
            Map<String, String> next = new java.util.TreeMap<>(subscriptions);
            next.put(subscription, principal);
            return new Owners(createdBy, next, lastActive);
        }

        Owners withActivity(Map<String, Long> times) {
            Map<String, Long> next = new java.util.TreeMap<>(lastActive);
            next.putAll(times);
            return new Owners(createdBy, subscriptions, next);
        }

        Owners withoutSubscription(String subscription) {
            Map<String, String> subs = new java.util.TreeMap<>(subscriptions);
            subs.remove(subscription);
            Map<String, Long> times = new java.util.TreeMap<>(lastActive);
            times.remove(subscription);
            return new Owners(createdBy, subs, times);
        }
    }

    private final Path file;
    private final FileLayer layer;
    private final Store store;
    private Map<String, QueueDefinition> definitions = new LinkedHashMap<>();
    private Set<String> deleting = new TreeSet<>();
    /** Replaced whole on each change, never changed in place: {@link #owners(String)} may be read from any thread. */
    private volatile Map<String, Owners> owners = new java.util.TreeMap<>();
    private volatile long generation;

    QueueCatalog(Path file, FileLayer layer, Store store) {
        this.file = file;
        this.layer = layer;
        this.store = store;
    }

    Path file() {
        return file;
    }

    /**
     * Reads and checks the catalog against the store's anchor (see the class comment), rewriting a
     * version-1 file, or one tagged under a KEK that is no longer current, as version 2.
     *
     * @throws CatalogException naming the file, the problem and the fix; the broker must not start
     */
    void load() throws IOException {
        OptionalLong anchor = store.anchor(ANCHOR);
        if (!Files.exists(file)) {
            if (anchor.isPresent()) {
                throw new CatalogException("the queue catalog " + file + " is missing, but the store recorded that "
                        + "generation " + anchor.getAsLong() + " of it was written: it was deleted, or the data "
                        + "directory is incomplete. Restore " + file.getFileName() + " from the backup taken with the "
                        + "store; the broker does not start with an empty catalog over existing queues");
            }
            Set<String> logs = new TreeSet<>(store.logNames());
            logs.addAll(store.unavailableLogs().keySet());
            if (!logs.isEmpty()) {
                throw new CatalogException("the queue catalog " + file + " is missing, but the store holds the logs of "
                        + logs.size() + " queue(s) " + abbreviate(logs) + ". Restore " + file.getFileName()
                        + " from the backup taken with the store; the broker does not start with an empty catalog "
                        + "over existing queues");
            }
            replace(new LinkedHashMap<>(), new TreeSet<>(), new java.util.TreeMap<>(), 0);
            return;
        }
        Contents read = read(file, kek -> store.metadataMac(PURPOSE, kek));
        Map<String, QueueDefinition> loaded = new LinkedHashMap<>();
        read.queues().forEach(d -> loaded.put(d.name(), d));
        if (read.version() == 1) {
            if (anchor.isPresent()) {
                throw new CatalogException("the queue catalog " + file + " is a version-1 file, but the store recorded "
                        + "that version-2 generation " + anchor.getAsLong() + " was written: an old copy replaced it. "
                        + "Restore the newest " + file.getFileName() + " from the backup taken with the store");
            }
            replace(loaded, new TreeSet<>(), new java.util.TreeMap<>(), 0);
            save(loaded, deleting, owners);
            LOG.warn("the queue catalog {} was a version-1 file without an authentication tag; it was accepted once, "
                    + "as it was, and rewritten as version 2 (generation {}): from now on a changed, replaced or "
                    + "removed catalog stops the broker", file, generation);
            return;
        }
        if (anchor.isPresent() && read.generation() < anchor.getAsLong()) {
            throw new CatalogException("the queue catalog " + file + " is generation " + read.generation()
                    + ", older than generation " + anchor.getAsLong() + " that the store recorded as written: an older "
                    + "copy was put back (rolled back). Restore the newest " + file.getFileName() + " from the backup "
                    + "taken with the store");
        }
        replace(loaded, read.deleting(), new java.util.TreeMap<>(read.owners()), read.generation());
        if (!read.kekId().equals(store.metadataMac(PURPOSE).kekId())) {
            save(definitions, deleting, owners);
            LOG.info("the queue catalog {} was authenticated under KEK '{}'; rewritten under the current KEK '{}'", file,
                    read.kekId(), store.metadataMac(PURPOSE).kekId());
        } else if (anchor.isEmpty() || read.generation() > anchor.getAsLong()) {
            anchor(read.generation());
        }
    }

    Collection<QueueDefinition> all() {
        return Collections.unmodifiableCollection(definitions.values());
    }

    QueueDefinition get(String name) {
        return definitions.get(name);
    }

    /** Queues whose deletion began but may not have finished. */
    Set<String> deleting() {
        return Collections.unmodifiableSet(deleting);
    }

    long generation() {
        return generation;
    }

    /** Who created the queue and its subscriptions; {@link Owners#NONE} when nobody is recorded. */
    Owners owners(String queue) {
        return owners.getOrDefault(queue, Owners.NONE);
    }

    /** Every queue with a recorded owner of it or of a subscription. */
    Map<String, Owners> allOwners() {
        return Collections.unmodifiableMap(owners);
    }

    /** Adds or replaces a definition, durably; on failure nothing changed. Its owners stay. */
    void put(QueueDefinition definition) throws IOException {
        Map<String, QueueDefinition> next = new LinkedHashMap<>(definitions);
        next.put(definition.name(), definition);
        Set<String> stillDeleting = new TreeSet<>(deleting);
        stillDeleting.remove(definition.name());
        save(next, stillDeleting, owners);
    }

    /**
     * Adds a definition created by {@code createdBy} (empty: counts for nobody), durably; on
     * failure nothing changed. Owners left from an earlier queue of that name are replaced.
     */
    void put(QueueDefinition definition, String createdBy) throws IOException {
        Map<String, QueueDefinition> next = new LinkedHashMap<>(definitions);
        next.put(definition.name(), definition);
        Set<String> stillDeleting = new TreeSet<>(deleting);
        stillDeleting.remove(definition.name());
        Map<String, Owners> nextOwners = new java.util.TreeMap<>(owners);
        nextOwners.remove(definition.name());
        if (!createdBy.isEmpty()) {
            nextOwners.put(definition.name(), new Owners(createdBy, Map.of()));
        }
        save(next, stillDeleting, nextOwners);
    }

    /**
     * Records that {@code principal} created subscription {@code subscription} of {@code queue},
     * durably, before the store creates it; on failure nothing changed.
     */
    void putSubscriptionOwner(String queue, String subscription, String principal) throws IOException {
        Map<String, Owners> nextOwners = new java.util.TreeMap<>(owners);
        nextOwners.put(queue, owners(queue).withSubscription(subscription, principal));
        save(definitions, deleting, nextOwners);
    }

    /** Records the last activity of some of {@code queue}'s subscriptions (epoch ms), durably. */
    void putActivity(String queue, Map<String, Long> times) throws IOException {
        putActivity(Map.of(queue, times));
    }

    /** Records the activity of subscriptions of several queues, by queue, in one save. */
    void putActivity(Map<String, Map<String, Long>> byQueue) throws IOException {
        Map<String, Owners> nextOwners = new java.util.TreeMap<>(owners);
        boolean changed = false;
        for (Map.Entry<String, Map<String, Long>> e : byQueue.entrySet()) {
            if (definitions.containsKey(e.getKey()) && !e.getValue().isEmpty()) {
                nextOwners.put(e.getKey(), owners(e.getKey()).withActivity(e.getValue()));
                changed = true;
            }
        }
        if (changed) {
            save(definitions, deleting, nextOwners);
        }
    }

    /**
     * Forgets a deleted subscription's owner and activity, durably.
     *
     * @return its owner; empty if it counted for nobody
     */
    String removeSubscription(String queue, String subscription) throws IOException {
        Owners current = owners(queue);
        String owner = current.subscriptions().getOrDefault(subscription, "");
        if (current.subscriptions().containsKey(subscription) || current.lastActive().containsKey(subscription)) {
            Map<String, Owners> nextOwners = new java.util.TreeMap<>(owners);
            Owners next = current.withoutSubscription(subscription);
            if (next.isEmpty()) {
                nextOwners.remove(queue);
            } else {
                nextOwners.put(queue, next);
            }
            save(definitions, deleting, nextOwners);
        }
        return owner;
    }

    /**
     * Forgets the owners of {@code queue}'s subscriptions not in {@code existing} (their creation
     * failed, or was interrupted before the store made it durable), durably.
     *
     * @return the owners forgotten, by subscription name
     */
    Map<String, String> retainSubscriptionOwners(String queue, Set<String> existing) throws IOException {
        Owners current = owners(queue);
        Map<String, String> kept = new java.util.TreeMap<>(current.subscriptions());
        Map<String, String> dropped = new java.util.TreeMap<>(kept);
        kept.keySet().retainAll(existing);
        dropped.keySet().removeAll(existing);
        if (!dropped.isEmpty()) {
            Map<String, Owners> nextOwners = new java.util.TreeMap<>(owners);
            Map<String, Long> times = new java.util.TreeMap<>(current.lastActive());
            times.keySet().retainAll(existing);
            Owners next = new Owners(current.createdBy(), kept, times);
            if (next.isEmpty()) {
                nextOwners.remove(queue);
            } else {
                nextOwners.put(queue, next);
            }
            save(definitions, deleting, nextOwners);
        }
        return dropped;
    }

    /**
     * Removes a definition and records that the queue's deletion began, in one durable write; on
     * failure nothing changed.
     */
    void beginDelete(String name) throws IOException {
        Map<String, QueueDefinition> next = new LinkedHashMap<>(definitions);
        next.remove(name);
        Set<String> nowDeleting = new TreeSet<>(deleting);
        nowDeleting.add(name);
        save(next, nowDeleting, without(name));
    }

    /** Forgets a deletion once the queue's log is gone. */
    void finishDelete(String name) throws IOException {
        if (deleting.contains(name)) {
            Set<String> rest = new TreeSet<>(deleting);
            rest.remove(name);
            save(definitions, rest, owners);
        }
    }

    /**
     * Removes a definition (and any deletion mark) in one durable write, for a queue that has no
     * log: a creation taken back, or a deletion whose log went first. On failure nothing changed.
     */
    void forget(String name) throws IOException {
        if (definitions.containsKey(name) || deleting.contains(name) || owners.containsKey(name)) {
            Map<String, QueueDefinition> next = new LinkedHashMap<>(definitions);
            next.remove(name);
            Set<String> rest = new TreeSet<>(deleting);
            rest.remove(name);
            save(next, rest, without(name));
        }
    }

    /** Writes the catalog again under the current KEK (after a KEK rotation). */
    void reseal() throws IOException {
        save(definitions, deleting, owners);
    }

    private Map<String, Owners> without(String queue) {
        Map<String, Owners> next = new java.util.TreeMap<>(owners);
        next.remove(queue);
        return next;
    }

    private void replace(Map<String, QueueDefinition> next, Set<String> nextDeleting, Map<String, Owners> nextOwners,
                         long nextGeneration) {
        definitions = next;
        deleting = nextDeleting;
        owners = nextOwners;
        generation = nextGeneration;
    }

    /**
     * Writes the next generation durably, then takes it as the state in memory, then records the
     * generation as the store's anchor. An anchor that cannot be written is logged, not thrown:
     * the file is durable, and a file one generation ahead of its anchor is accepted at the next
     * start (the anchor catches up then).
     */
    private void save(Map<String, QueueDefinition> next, Set<String> nextDeleting, Map<String, Owners> nextOwners)
            throws IOException {
        long nextGeneration = generation + 1;
        // owners of queues that have no definition any more are not written
        Map<String, Owners> kept = new java.util.TreeMap<>(nextOwners);
        kept.keySet().retainAll(next.keySet());
        AtomicFiles.write(layer, file, ByteBuffer.wrap(encode(store.metadataMac(PURPOSE), nextGeneration,
                next.values(), nextDeleting, kept)));
        replace(next, nextDeleting, kept, nextGeneration);
        anchor(nextGeneration);
    }

    private void anchor(long value) {
        try {
            store.setAnchor(ANCHOR, value);
        } catch (RuntimeException e) {
            LOG.warn("the queue catalog {} is at generation {}, but the store could not record it ({}); it is recorded "
                    + "at the next change or start", file, value, e.getMessage());
        }
    }

    /** The bytes of a version-2 catalog. */
    static byte[] encode(MetadataMac mac, long generation, Collection<QueueDefinition> queues, Set<String> deleting)
            throws JsonProcessingException {
        return encode(mac, generation, queues, deleting, Map.of());
    }

    /** The bytes of a version-2 catalog with owners. */
    static byte[] encode(MetadataMac mac, long generation, Collection<QueueDefinition> queues, Set<String> deleting,
                         Map<String, Owners> owners) throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 2);
        root.put("generation", generation);
        ArrayNode list = root.putArray("queues");
        for (QueueDefinition d : queues) {
            ObjectNode n = list.addObject();
            n.put("name", d.name());
            n.put("maxDeliveries", d.maxDeliveries());
            n.put("deadLetterQueue", d.deadLetterQueue());
            n.put("defaultTtlMillis", d.defaultTtl().toMillis());
            n.put("requireProducerSignatures", d.requireProducerSignatures());
            if (d.depth() != null) {
                ObjectNode depth = n.putObject("depth");
                depth.put("maxMessages", d.depth().maxMessages());
                depth.put("maxBytes", d.depth().maxBytes());
                depth.put("overflow", d.depth().overflow().name());
            }
            Owners o = owners.getOrDefault(d.name(), Owners.NONE);
            if (!o.createdBy().isEmpty()) {
                n.put("createdBy", o.createdBy());
            }
            if (!o.subscriptions().isEmpty()) {
                ObjectNode subs = n.putObject("subscriptionOwners");
                o.subscriptions().forEach(subs::put);
            }
            if (!o.lastActive().isEmpty()) {
                ObjectNode times = n.putObject("subscriptionActivity");
                o.lastActive().forEach(times::put);
            }
        }
        ArrayNode gone = root.putArray("deleting");
        new TreeSet<>(deleting).forEach(gone::add);
        byte[] body = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] signed = (MAGIC + mac.kekId() + "\n").getBytes(StandardCharsets.US_ASCII);
        Mac hmac = mac.newMac();
        hmac.update(signed);
        hmac.update(body);
        byte[] header = (MAGIC + mac.kekId() + " " + HexFormat.of().formatHex(hmac.doFinal()) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[header.length + body.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    /**
     * Reads a catalog file and checks it: a version-2 file's tag with the key {@code keys} gives
     * for its KEK id, then its body, strictly. Says nothing about rollback (that takes the store's
     * anchor; {@link #load} checks it).
     *
     * @param keys the catalog's metadata key under a KEK id, if that KEK is known
     * @throws CatalogException naming the file, what is wrong and what to do
     * @throws IOException if the file cannot be read
     */
    public static Contents read(Path file, Function<String, Optional<MetadataMac>> keys) throws IOException {
        byte[] bytes;
        try {
            bytes = AtomicFiles.read(file, MAX_BYTES);
        } catch (IOException e) {
            throw new CatalogException("the queue catalog " + file + " cannot be read: " + e.getMessage(), e);
        }
        if (bytes.length > 0 && bytes[0] == '{') {
            return readVersion1(file, bytes);
        }
        int newline = indexOf(bytes, (byte) '\n');
        String header = newline < 0 ? "" : new String(bytes, 0, newline, StandardCharsets.US_ASCII);
        Matcher m = HEADER.matcher(header);
        if (newline < 0 || !isAscii(bytes, newline) || !m.matches()) {
            throw damaged(file, "its first line is not the header of a version-2 queue catalog");
        }
        String kekId = m.group(1);
        MetadataMac mac = keys.apply(kekId).orElseThrow(() -> new CatalogException("the queue catalog " + file
                + " is authenticated under KEK '" + kekId + "', which the key file does not hold: restore the key file "
                + "that has it (keys.kekFile), or restore " + file.getFileName() + " from the backup taken with the "
                + "store"));
        Mac hmac = mac.newMac();
        hmac.update((MAGIC + kekId + "\n").getBytes(StandardCharsets.US_ASCII));
        hmac.update(bytes, newline + 1, bytes.length - newline - 1);
        if (!java.security.MessageDigest.isEqual(hmac.doFinal(), HexFormat.of().parseHex(m.group(2)))) {
            throw damaged(file, "it fails its authentication tag: it was changed outside the broker, or damaged");
        }
        JsonNode root;
        try {
            root = JSON.readTree(new String(bytes, newline + 1, bytes.length - newline - 1, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw damaged(file, "its body is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        return readBody(file, root, kekId);
    }

    private static Contents readBody(Path file, JsonNode root, String kekId) throws CatalogException {
        if (root == null || !root.isObject()) {
            throw damaged(file, "its body is not a JSON object");
        }
        exactKeys(file, root, ROOT_KEYS, "the catalog");
        if (!root.get("version").isInt() || root.get("version").intValue() != 2) {
            throw damaged(file, "its body says version " + root.get("version") + ", its header version 2");
        }
        JsonNode gen = root.get("generation");
        if (!gen.canConvertToLong() || !gen.isIntegralNumber() || gen.longValue() < 1) {
            throw damaged(file, "its generation " + gen + " is not a whole number of at least 1");
        }
        if (!root.get("queues").isArray() || !root.get("deleting").isArray()) {
            throw damaged(file, "'queues' and 'deleting' must be arrays");
        }
        Map<String, Owners> owners = new java.util.TreeMap<>();
        List<QueueDefinition> queues = readQueues(file, root.get("queues"), true, owners);
        Set<String> deleting = new LinkedHashSet<>();
        for (JsonNode n : root.get("deleting")) {
            if (!n.isTextual() || !deleting.add(n.textValue())) {
                throw damaged(file, "'deleting' holds " + n + ", which is not a queue name, or twice");
            }
            try {
                Store.validateLogName(n.textValue());
            } catch (RuntimeException e) {
                throw damaged(file, "'deleting' holds an invalid name: " + e.getMessage());
            }
        }
        return new Contents(2, gen.longValue(), kekId, queues, deleting, owners);
    }

    private static Contents readVersion1(Path file, byte[] bytes) throws CatalogException {
        JsonNode root;
        try {
            root = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw damaged(file, "it is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject() || !root.path("version").isInt() || root.get("version").intValue() != 1
                || !root.path("queues").isArray() || root.size() != 2) {
            throw damaged(file, "it is neither a version-2 catalog nor a version-1 one ({\"version\": 1, \"queues\": [...]})");
        }
        return new Contents(1, 0, "", readQueues(file, root.get("queues"), false, new java.util.TreeMap<>()),
                Set.of());
    }

    /** Version 1 was written before requireProducerSignatures existed, so it may lack that key. */
    private static List<QueueDefinition> readQueues(Path file, JsonNode list, boolean strict, Map<String, Owners> owners)
            throws CatalogException {
        List<QueueDefinition> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode q : list) {
            if (!q.isObject()) {
                throw damaged(file, "a queue entry is not a JSON object: " + q);
            }
            Set<String> required = new LinkedHashSet<>(QUEUE_KEYS);
            if (!strict && !q.has("requireProducerSignatures")) {
                required.remove("requireProducerSignatures");
            }
            if (strict) {
                // the optional keys (version 2 only) are taken as present when they are
                for (String k : OPTIONAL_KEYS) {
                    if (q.has(k)) {
                        required.add(k);
                    }
                }
            }
            exactKeys(file, q, required, "queue " + q.path("name"));
            JsonNode name = q.get("name");
            JsonNode max = q.get("maxDeliveries");
            JsonNode dlq = q.get("deadLetterQueue");
            JsonNode ttl = q.get("defaultTtlMillis");
            JsonNode signatures = q.path("requireProducerSignatures");
            if (!name.isTextual() || !max.isInt() || !dlq.isTextual() || !ttl.isIntegralNumber() || !ttl.canConvertToLong()
                    || (q.has("requireProducerSignatures") && !signatures.isBoolean())) {
                throw damaged(file, "queue " + name + " has a value of the wrong type: " + q);
            }
            QueueDefinition d;
            try {
                d = new QueueDefinition(name.textValue(), max.intValue(), dlq.textValue(),
                        Duration.ofMillis(ttl.longValue()), signatures.asBoolean(false), readDepth(file, q));
            } catch (RuntimeException e) {
                throw damaged(file, "queue " + name + " is invalid: " + e.getMessage());
            }
            if (!names.add(d.name())) {
                throw damaged(file, "queue '" + d.name() + "' is defined twice");
            }
            Owners o = readOwners(file, d.name(), q);
            if (!o.isEmpty()) {
                owners.put(d.name(), o);
            }
            out.add(d);
        }
        return out;
    }

    private static QueueDefinition.Depth readDepth(Path file, JsonNode q) throws CatalogException {
        JsonNode depth = q.get("depth");
        if (depth == null) {
            return null;
        }
        if (!depth.isObject()) {
            throw damaged(file, "queue " + q.path("name") + " has a depth that is not a JSON object");
        }
        exactKeys(file, depth, Set.of("maxMessages", "maxBytes", "overflow"), "the depth of queue " + q.path("name"));
        JsonNode messages = depth.get("maxMessages");
        JsonNode bytes = depth.get("maxBytes");
        JsonNode overflow = depth.get("overflow");
        if (!messages.canConvertToLong() || !messages.isIntegralNumber() || !bytes.isIntegralNumber()
                || !bytes.canConvertToLong() || !overflow.isTextual()) {
            throw damaged(file, "the depth of queue " + q.path("name") + " has a value of the wrong type: " + depth);
        }
        try {
            return new QueueDefinition.Depth(messages.longValue(), bytes.longValue(),
                    QueueDefinition.Overflow.valueOf(overflow.textValue()));
        } catch (IllegalArgumentException e) {
            throw damaged(file, "the depth of queue " + q.path("name") + " is invalid: " + depth);
        }
    }

    private static Owners readOwners(Path file, String queue, JsonNode q) throws CatalogException {
        JsonNode by = q.get("createdBy");
        if (by != null && (!by.isTextual() || by.textValue().isEmpty())) {
            throw damaged(file, "queue '" + queue + "' has a createdBy that is not a principal name: " + by);
        }
        Map<String, String> subs = new java.util.TreeMap<>();
        JsonNode so = q.get("subscriptionOwners");
        if (so != null) {
            if (!so.isObject()) {
                throw damaged(file, "queue '" + queue + "' has subscriptionOwners that are not a JSON object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = so.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual() || e.getValue().textValue().isEmpty() || e.getKey().isEmpty()) {
                    throw damaged(file, "queue '" + queue + "' has a subscription owner that is not a principal name: "
                            + e.getKey() + "=" + e.getValue());
                }
                subs.put(e.getKey(), e.getValue().textValue());
            }
        }
        Map<String, Long> times = new java.util.TreeMap<>();
        JsonNode sa = q.get("subscriptionActivity");
        if (sa != null) {
            if (!sa.isObject()) {
                throw damaged(file, "queue '" + queue + "' has subscriptionActivity that is not a JSON object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = sa.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (e.getKey().isEmpty() || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                    throw damaged(file, "queue '" + queue + "' has a subscription activity that is not a time in "
                            + "epoch milliseconds: " + e.getKey() + "=" + v);
                }
                times.put(e.getKey(), v.longValue());
            }
        }
        return new Owners(by == null ? "" : by.textValue(), subs, times);
    }

    private static void exactKeys(Path file, JsonNode node, Set<String> required, String what) throws CatalogException {
        Set<String> present = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            present.add(it.next());
        }
        Set<String> unknown = new TreeSet<>(present);
        unknown.removeAll(required);
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(present);
        if (!unknown.isEmpty() || !missing.isEmpty()) {
            throw damaged(file, what + (unknown.isEmpty() ? "" : " has unknown key(s) " + unknown)
                    + (unknown.isEmpty() || missing.isEmpty() ? "" : " and") + (missing.isEmpty() ? ""
                    : " lacks " + missing));
        }
    }

    private static CatalogException damaged(Path file, String problem) {
        return new CatalogException("the queue catalog " + file + " cannot be used: " + problem + ". Restore "
                + file.getFileName() + " from the backup taken with the store; the broker does not start with a "
                + "catalog it cannot trust");
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isAscii(byte[] bytes, int end) {
        for (int i = 0; i < end; i++) {
            if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(Set<String> names) {
        List<String> shown = new ArrayList<>(names);
        return shown.size() <= 5 ? shown.toString() : shown.subList(0, 5) + " and " + (shown.size() - 5) + " more";
    }
}
