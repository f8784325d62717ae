package org.securebroker.server.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.securebroker.protocol.integrity.SigningKey;

/**
 * Encodes entries into lines, keeping the chain: each line's {@code prev} is the hash of the
 * line encoded before it. One per writer thread; it reuses its generator, buffer and digest.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class EntryEncoder {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .characterEscapes(new AsciiEscapes())
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private final Buffer buffer = new Buffer();
    private final MessageDigest digest = AuditFormat.sha256();
    private SigningKey key;
    private String keyId;
    private JsonGenerator generator;
    private String lastHash;

    EntryEncoder(SigningKey key, String keyId, String lastHash) {
        this.key = key;
        this.keyId = keyId;
        this.lastHash = lastHash;
    }

    /** Signs the checkpoints from now on with {@code key}. */
    void rekey(SigningKey key, String id) {
        this.key = key;
        this.keyId = id;
    }

    /** The id of the key that signs checkpoints now. */
    String keyId() {
        return keyId;
    }

    /** Bytes encoded and not yet taken. */
    int size() {
        return buffer.size();
    }

    byte[] bytes() {
        return buffer.array();
    }

    /** Forgets the encoded bytes, after they were written. */
    void clear() {
        buffer.reset();
    }

    /** Encodes an entry and its '\n'. */
    void entry(long seq, Instant time, AuditEvent event) throws IOException {
        int start = buffer.size();
        String previous = lastHash;
        try {
            JsonGenerator g = begin(seq, time, event.type());
            optional(g, "principal", event.principal());
            optional(g, "source", event.source());
            optional(g, "mechanism", event.mechanism());
            optional(g, "action", event.action());
            optional(g, "resource", event.resource());
            optional(g, "decision", event.decision());
            optional(g, "rule", event.rule());
            optional(g, "policy", event.policy());
            optional(g, "reason", event.reason());
            if (!event.details().isEmpty()) {
                g.writeObjectFieldStart("details");
                for (Map.Entry<String, Object> d : event.details().entrySet()) {
                    g.writeFieldName(d.getKey());
                    writeValue(g, d.getValue());
                }
                g.writeEndObject();
            }
            end(g, previous);
        } catch (IOException | RuntimeException e) {
            discard(start);
            throw e;
        }
        finish(start);
    }

    /** Encodes a signed checkpoint and its '\n'. */
    void checkpoint(long seq, Instant time, long entries, boolean last) throws IOException {
        checkpoint(seq, time, entries, last, null);
    }

    /**
     * Encodes the signed recovery checkpoint that seals what a run that did not stop cleanly left
     * (its {@code entries} are {@code stop.entries()}), and its '\n'.
     */
    void recoveryCheckpoint(long seq, Instant time, UncleanStop stop) throws IOException {
        checkpoint(seq, time, stop.entries(), false, stop);
    }

    private void checkpoint(long seq, Instant time, long entries, boolean last, UncleanStop stop) throws IOException {
        int start = buffer.size();
        try {
            JsonGenerator g = begin(seq, time, AuditFormat.CHECKPOINT);
            if (stop != null) {
                g.writeStringField("reason", stop.reason());
            }
            g.writeObjectFieldStart("details");
            g.writeStringField(AuditFormat.KEY_ID, keyId);
            g.writeNumberField(AuditFormat.ENTRIES, entries);
            g.writeBooleanField(AuditFormat.FINAL, last);
            g.writeNumberField(AuditFormat.FORMAT, AuditFormat.VERSION);
            if (stop != null) {
                g.writeBooleanField(AuditFormat.RECOVERED_MARK, true);
                if (stop.entries() > 0) {
                    g.writeNumberField(AuditFormat.FROM, stop.from());
                    g.writeNumberField(AuditFormat.TO, stop.to());
                }
                if (stop.lastWritten() != null) {
                    g.writeStringField(AuditFormat.STOPPED_AFTER, AuditFormat.formatTime(stop.lastWritten()));
                }
            }
            g.writeEndObject();
            end(g, lastHash);
        } catch (IOException | RuntimeException e) {
            discard(start);
            throw e;
        }
        byte[] signed = Arrays.copyOfRange(buffer.array(), start, buffer.size());
        String sig = BASE64URL.encodeToString(key.sign(signed));
        buffer.truncate(buffer.size() - 1); // the closing brace, written again after sig
        buffer.writeAscii(AuditFormat.SIG_MEMBER);
        buffer.writeAscii(sig);
        buffer.writeAscii("\"}");
        finish(start);
    }

    private JsonGenerator begin(long seq, Instant time, String type) throws IOException {
        if (generator == null) {
            generator = FACTORY.createGenerator(buffer);
            generator.setRootValueSeparator(null);
        }
        generator.writeStartObject();
        generator.writeNumberField("seq", seq);
        generator.writeStringField("time", AuditFormat.formatTime(time));
        generator.writeStringField("type", type);
        return generator;
    }

    private static void end(JsonGenerator g, String prev) throws IOException {
        g.writeStringField("prev", prev);
        g.writeEndObject();
        g.flush();
    }

    private void finish(int start) {
        lastHash = AuditFormat.hash(digest, buffer.array(), start, buffer.size() - start);
        buffer.write('\n');
    }

    /** Drops a half-encoded line; the generator may be mid-object, so a fresh one is made. */
    private void discard(int start) {
        generator = null;
        buffer.truncate(start);
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Long n) {
            g.writeNumber(n);
        } else if (value instanceof Double d) {
            g.writeNumber(d);
        } else {
            throw new IllegalArgumentException("unsupported audit detail value " + value.getClass().getSimpleName());
        }
    }

    /** Escapes DEL as well as the control characters JSON requires escaping. */
    private static final class AsciiEscapes extends CharacterEscapes {
        private final int[] escapes;

        AsciiEscapes() {
            escapes = standardAsciiEscapesForJSON();
            escapes[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializedString getEscapeSequence(int ch) {
            return null;
        }
    }

    /** A byte buffer whose array the writer hands to the channel without copying. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(64 * 1024);
        }

        byte[] array() {
            return buf;
        }

        void truncate(int size) {
            count = size;
        }

        void writeAscii(String s) {
            for (int i = 0; i < s.length(); i++) {
                write(s.charAt(i));
            }
        }
    }
}
