package org.securebroker.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.frame.Headers;

/**
 * How {@code broker consume} and {@code broker queue browse} print a message: one line of text
 * ({@code [offset] payload   (from producer...)}) or one JSON object per line. A payload or
 * header value is shown as text only if it is UTF-8 whose every character the broker would also
 * show as itself in a log line ({@link PeerText#isShownAsIs}: no C0 or C1 control, DEL, line or
 * paragraph separator, bidirectional mark or override; a tab is allowed) and as base64 otherwise,
 * so nothing sent by a producer can drive the terminal or reorder what it shows.
 *
 * <p>Thread-safety: stateless.
 */
final class MessageLines {

    private MessageLines() {
    }

    /**
     * Prints one message.
     *
     * @param deliveryCount the delivery count of a consumed message; 0 for a browsed one, which was
     *     not delivered
     */
    static void print(PrintWriter out, Cli.Output output, String queue, long offset, long deliveryCount,
                      Instant brokerTimestamp, String producer, Headers headers, byte[] payload) throws Exception {
        String text = printable(payload);
        if (output == Cli.Output.JSON) {
            ObjectNode n = Cli.JSON.createObjectNode();
            n.put("queue", queue);
            n.put("offset", offset);
            if (deliveryCount > 0) {
                n.put("deliveryCount", deliveryCount);
            }
            n.put("brokerTimestamp", brokerTimestamp.toString());
            n.put("producer", producer);
            ObjectNode h = n.putObject("headers");
            for (int i = 0; i < headers.size(); i++) {
                byte[] v = headers.valueAt(i).toByteArray();
                String s = printable(v);
                h.put(headers.keyAt(i), s != null ? s : "base64:" + Base64.getEncoder().encodeToString(v));
            }
            if (text != null) {
                n.put("payload", text);
            } else {
                n.put("payloadBase64", Base64.getEncoder().encodeToString(payload));
            }
            out.println(Cli.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(n));
        } else {
            out.println("[" + offset + "] " + (text != null ? text : "base64:" + Base64.getEncoder().encodeToString(payload))
                    + "   (from " + producer + (deliveryCount > 0 ? ", delivery " + deliveryCount : "") + ")");
        }
        out.flush();
    }

    /**
     * The bytes as text if they are UTF-8 of characters shown as themselves (a tab allowed; a
     * backslash too, as nothing is escaped here), else null.
     */
    static String printable(byte[] bytes) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return s.codePoints().allMatch(cp -> cp == '\t' || cp == '\\' || PeerText.isShownAsIs(cp)) ? s : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
