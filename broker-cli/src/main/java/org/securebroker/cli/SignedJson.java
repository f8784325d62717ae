package org.securebroker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.protocol.integrity.SignedMessage;

/**
 * The JSON forms of signed messages ({@code broker consume --export}) and receipts
 * ({@code broker produce --receipts}) that {@code broker verify} reads: one object per line.
 * Every byte string is base64 (header values too), so nothing is lost in text; the receipt
 * object carries the receipt's own bytes, and its other fields are there for people to read.
 *
 * <p>Thread-safety: stateless.
 */
final class SignedJson {

    private SignedJson() {
    }

    static ObjectNode message(SignedMessage m) {
        ObjectNode n = Cli.JSON.createObjectNode();
        n.put("kind", "securebroker.message.v1");
        n.put("queue", m.queue());
        n.put("offset", Long.toUnsignedString(m.offset()));
        n.put("brokerTimestampMillis", m.brokerTimestampMillis());
        n.put("producerPrincipal", m.producerPrincipal());
        n.put("producerId", m.producerId());
        n.put("sequence", Long.toUnsignedString(m.sequence()));
        ObjectNode headers = n.putObject("headers");
        for (int i = 0; i < m.headers().size(); i++) {
            headers.put(m.headers().keyAt(i), base64(m.headers().valueAt(i)));
        }
        n.put("payload", base64(m.payload()));
        n.put("producerSignature", base64(m.producerSignature()));
        n.put("brokerSignature", base64(m.brokerSignature()));
        return n;
    }

    /**
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    static SignedMessage message(JsonNode n) {
        require(n, "securebroker.message.v1");
        Headers.Builder headers = Headers.builder();
        JsonNode h = n.path("headers");
        if (!h.isObject()) {
            throw new IllegalArgumentException("'headers' must be an object of base64 values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            headers.add(e.getKey(), bytes(e.getValue(), "headers." + Cli.quote(e.getKey())));
        }
        return new SignedMessage(text(n, "queue"), unsigned(n, "offset"), n.path("brokerTimestampMillis").asLong(),
                text(n, "producerPrincipal"), text(n, "producerId"), unsigned(n, "sequence"), headers.build(),
                bytes(n.path("payload"), "payload"), bytes(n.path("producerSignature"), "producerSignature"),
                bytes(n.path("brokerSignature"), "brokerSignature"));
    }

    static ObjectNode receipt(Bytes encoded) {
        Receipt r = Receipt.decode(encoded.toByteArray());
        ObjectNode n = Cli.JSON.createObjectNode();
        n.put("kind", "securebroker.receipt.v1");
        n.put("queue", r.queue());
        n.put("offset", Long.toUnsignedString(r.offset()));
        n.put("brokerTimestampMillis", r.brokerTimestampMillis());
        n.put("producerPrincipal", r.producerPrincipal());
        n.put("producerId", r.producerId());
        n.put("sequence", Long.toUnsignedString(r.sequence()));
        n.put("contentDigest", HexFormat.of().formatHex(r.contentDigest()));
        n.put("keyId", r.seal().keyId());
        n.put("auditPosition", r.seal().auditPosition());
        n.put("receipt", base64(encoded));
        return n;
    }

    /** The receipt's own bytes; the readable fields must agree with them. */
    static Receipt receipt(JsonNode n) {
        require(n, "securebroker.receipt.v1");
        Receipt r = Receipt.decode(bytes(n.path("receipt"), "receipt").toByteArray());
        check(n, "queue", r.queue());
        check(n, "offset", Long.toUnsignedString(r.offset()));
        check(n, "brokerTimestampMillis", Long.toString(r.brokerTimestampMillis()));
        check(n, "producerPrincipal", r.producerPrincipal());
        check(n, "producerId", r.producerId());
        check(n, "sequence", Long.toUnsignedString(r.sequence()));
        check(n, "contentDigest", HexFormat.of().formatHex(r.contentDigest()));
        return r;
    }

    private static void check(JsonNode n, String field, String signed) {
        if (n.has(field) && !n.get(field).asText().equals(signed)) {
            throw new IllegalArgumentException("'" + field + "' says " + Cli.quote(n.get(field).asText())
                    + " but the signed receipt says " + Cli.quote(signed));
        }
    }

    private static void require(JsonNode n, String kind) {
        if (!n.isObject() || !kind.equals(n.path("kind").asText())) {
            throw new IllegalArgumentException("not a " + kind + " object (its 'kind' is "
                    + Cli.quote(n.path("kind").asText()) + ")");
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    private static long unsigned(JsonNode n, String field) {
        try {
            return Long.parseUnsignedLong(n.path(field).asText());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + field + "' is not an unsigned 64-bit number");
        }
    }

    private static Bytes bytes(JsonNode v, String field) {
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is missing or not a base64 string");
        }
        try {
            return Bytes.copyOf(Base64.getDecoder().decode(v.asText()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + field + "' is not valid base64");
        }
    }

    private static String base64(Bytes b) {
        return Base64.getEncoder().encodeToString(b.toByteArray());
    }
}
