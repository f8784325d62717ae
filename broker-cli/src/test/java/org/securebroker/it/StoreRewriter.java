package org.securebroker.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;

/**
 * A test hook below the encryption: rewrites a stopped broker's segment files as someone who
 * holds the data keys could. Every record is decrypted, optionally changed, and written again
 * through the store into new, correctly encrypted segments (valid GCM tags, offsets from 0), so
 * only the message signatures can tell what was changed.
 */
final class StoreRewriter {

    private final Path dataDir;
    private final Keyring keyring;
    private final Map<String, List<byte[]>> logs = new LinkedHashMap<>();

    /** Reads every record of every log of the stopped broker's store. */
    StoreRewriter(Path dataDir) {
        this.dataDir = dataDir;
        this.keyring = KeyringFile.load(dataDir.resolve(BrokerConfig.Layout.KEK_FILE));
        try (Store store = Store.open(StoreConfig.builder(dataDir.resolve("store"), Clock.systemUTC(), new SecureRandom()).build(), keyring)) {
            for (String name : store.logNames()) {
                List<byte[]> records = new ArrayList<>();
                long from = store.requireLog(name).startOffset();
                if (from != 0) {
                    throw new IllegalStateException("log '" + name + "' starts at " + from + ", not 0");
                }
                while (true) {
                    List<StoredRecord> batch = store.requireLog(name).read(from, 1000, 1 << 24);
                    if (batch.isEmpty()) {
                        break;
                    }
                    for (StoredRecord r : batch) {
                        records.add(r.payload());
                    }
                    from = batch.get(batch.size() - 1).offset() + 1;
                }
                logs.put(name, records);
            }
        }
    }

    /** The plaintext records (envelope and seal) of a log, to change in place. */
    List<byte[]> records(String log) {
        return logs.get(log);
    }

    /** Changes the message at {@code offset} of {@code log}, keeping its seal. */
    void change(String log, int offset, UnaryOperator<MessageEnvelope> edit) {
        MessageEnvelope e = MessageEnvelope.decode(records(log).get(offset));
        records(log).set(offset, encode(edit.apply(e)));
    }

    static byte[] encode(MessageEnvelope e) {
        ByteBuffer body = e.encode();
        byte[] out = new byte[body.remaining() + e.brokerSeal().length()];
        body.get(out, 0, body.remaining());
        byte[] seal = e.brokerSeal().toByteArray();
        System.arraycopy(seal, 0, out, out.length - seal.length, seal.length);
        return out;
    }

    /** Writes every log again, with the changes, in place of the old store. */
    void write() throws IOException {
        Path fresh = dataDir.resolve("store.rewritten");
        try (Store store = Store.open(StoreConfig.builder(fresh, Clock.systemUTC(), new SecureRandom()).build(), keyring)) {
            for (Map.Entry<String, List<byte[]>> log : logs.entrySet()) {
                store.createLog(log.getKey());
                for (byte[] record : log.getValue()) {
                    store.requireLog(log.getKey()).append(ByteBuffer.wrap(record)).join();
                }
            }
        }
        Files.move(dataDir.resolve("store"), dataDir.resolve("store.original"));
        Files.move(fresh, dataDir.resolve("store"));
    }
}
