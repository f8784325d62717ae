package org.securebroker.server.audit;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The audit file format, version {@value #VERSION}: file names, the JSON line of an entry, the
 * hash chain and the checkpoint signature; {@link EntryEncoder} writes lines, {@link #parse}
 * reads them back. docs/audit.md describes the same rules for auditors.
 *
 * <pre>
 * audit-000001.jsonl, audit-000002.jsonl, ...   (file number, 6 digits, no gaps)
 * one entry per line, '\n'-terminated, 7-bit ASCII (non-ASCII and control characters escaped):
 * {"seq":N,"time":"2025-01-31T12:00:00.123Z","type":T[,optional members in this order]
 *  [,"details":{...}],"prev":"64 hex"[,"sig":"base64url"]}
 * optional members: principal, source, mechanism, action, resource, decision, rule, policy, reason
 * prev     = lowercase hex SHA-256 of the previous line's bytes (without its '\n'); 64 zeros for seq 1
 * checkpoint: type "checkpoint", details {"keyId","entries","final","format"}, then "sig":
 * recovery checkpoint (the first line after an unclean stop): also "reason", and details
 *          {..., "final":false, "format":1, "recovered":true[, "from":N, "to":N][, "stoppedAfter":time]}
 * sig      = base64url (no padding) Ed25519 signature of the line's bytes without ',"sig":"..."',
 *            i.e. of the bytes up to the end of the prev member followed by '}'
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
final class AuditFormat {

    static final int VERSION = 1;
    static final String CHECKPOINT = "checkpoint";
    static final String RECOVERED = "audit.recovered";
    /** The hash a first entry (seq 1) chains to. */
    static final String ZERO_HASH = "0".repeat(64);
    /** The longest line a reader accepts; events are far smaller (text is cut at 1024 characters). */
    static final int MAX_LINE = 1 << 20;
    static final String SIG_MEMBER = ",\"sig\":\"";

    static final String KEY_ID = "keyId";
    static final String ENTRIES = "entries";
    static final String FINAL = "final";
    static final String FORMAT = "format";
    /** A recovery checkpoint's marks: {@code recovered} true, the range it seals, the stopped run's last time. */
    static final String RECOVERED_MARK = "recovered";
    static final String FROM = "from";
    static final String TO = "to";
    static final String STOPPED_AFTER = "stoppedAfter";

    private static final Pattern FILE_NAME = Pattern.compile("audit-(\\d{6})\\.jsonl");
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._:@/+*-]+");
    private static final Pattern SIGNATURE = Pattern.compile("[A-Za-z0-9_-]{86}");
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final DateTimeFormatter TIME_FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final List<String> OPTIONAL = List.of("principal", "source", "mechanism", "action", "resource",
            "decision", "rule", "policy", "reason");
    private static final Set<String> MEMBERS = Set.of("seq", "time", "type", "principal", "source", "mechanism",
            "action", "resource", "decision", "rule", "policy", "reason", "details", "prev", "sig");
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Decoder BASE64URL_DECODER = Base64.getUrlDecoder();

    /** Lines are parsed strictly: a duplicated member is an error, not "the last one wins". */
    private static final ObjectMapper PARSER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .build();

    /** A line that is not a well-formed entry; the message says what is wrong. */
    static final class MalformedEntryException extends Exception {
        MalformedEntryException(String message) {
            super(message, null, false, false);
        }
    }

    private AuditFormat() {
    }

    static String fileName(int number) {
        if (number < 1 || number > 999_999) {
            throw new IllegalArgumentException("audit file numbers run from 1 to 999999, not " + number);
        }
        return String.format("audit-%06d.jsonl", number);
    }

    /** The number in an audit file's name, or -1 if the name is not one of an audit file. */
    static int fileNumber(String name) {
        Matcher m = FILE_NAME.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The audit files' numbers in {@code dir}, ascending. */
    static int[] fileNumbers(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.mapToInt(p -> AuditFormat.fileNumber(p.getFileName().toString())).filter(n -> n > 0).sorted()
                    .toArray();
        }
    }

    static String formatTime(Instant time) {
        return TIME_FORMAT.format(time);
    }

    /**
     * A value for a readable line: as it is if it is a plain word, else a JSON string literal in
     * 7-bit ASCII.
     */
    static String quote(String value) {
        if (PLAIN.matcher(value).matches()) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 8).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    /** SHA-256 of {@code length} bytes of {@code line} from {@code offset}, as lowercase hex. */
    static String hash(MessageDigest digest, byte[] line, int offset, int length) {
        digest.reset();
        digest.update(line, offset, length);
        return HEX.formatHex(digest.digest());
    }

    /**
     * The bytes a checkpoint's signature covers: the line without its sig member (which must be
     * the line's last member), closed by '}'.
     *
     * @throws MalformedEntryException if the line does not end with {@code ,"sig":"SIG"}}
     */
    static byte[] signedBytes(byte[] line, int length, String sig) throws MalformedEntryException {
        byte[] suffix = (SIG_MEMBER + sig + "\"}").getBytes(StandardCharsets.US_ASCII);
        if (length < suffix.length + 1) {
            throw new MalformedEntryException("'sig' is not the last member of the line");
        }
        for (int i = 0; i < suffix.length; i++) {
            if (line[length - suffix.length + i] != suffix[i]) {
                throw new MalformedEntryException("'sig' is not the last member of the line");
            }
        }
        int kept = length - suffix.length;
        byte[] signed = new byte[kept + 1];
        System.arraycopy(line, 0, signed, 0, kept);
        signed[kept] = '}';
        return signed;
    }

    static byte[] decodeSignature(String sig) {
        return BASE64URL_DECODER.decode(sig);
    }

    /**
     * Parses one line (without its '\n') strictly: only the members of the format, each of the
     * right kind, required ones present.
     */
    static AuditEntry parse(String file, long lineNumber, byte[] line, int length) throws MalformedEntryException {
        JsonNode root;
        try {
            root = PARSER.readTree(line, 0, length);
        } catch (IOException e) {
            throw new MalformedEntryException("not valid JSON: " + quote(firstLine(e.getMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new MalformedEntryException("not a JSON object");
        }
        for (Map.Entry<String, JsonNode> member : root.properties()) {
            if (!MEMBERS.contains(member.getKey())) {
                throw new MalformedEntryException("unknown member " + quote(member.getKey()));
            }
        }
        JsonNode seqNode = required(root, "seq");
        if (!seqNode.isIntegralNumber() || !seqNode.canConvertToLong() || seqNode.asLong() < 1) {
            throw new MalformedEntryException("'seq' is not a whole number from 1");
        }
        String timeText = text(root, "time", true);
        Instant time;
        try {
            if (!TIME.matcher(timeText).matches()) {
                throw new DateTimeParseException("pattern", timeText, 0);
            }
            time = Instant.parse(timeText);
        } catch (DateTimeParseException e) {
            throw new MalformedEntryException("'time' is not a UTC time like 2025-01-31T12:00:00.123Z");
        }
        String type = text(root, "type", true);
        String prev = text(root, "prev", true);
        if (!HASH.matcher(prev).matches()) {
            throw new MalformedEntryException("'prev' is not 64 lowercase hex digits");
        }
        String[] optional = new String[OPTIONAL.size()];
        for (int i = 0; i < optional.length; i++) {
            optional[i] = text(root, OPTIONAL.get(i), false);
        }
        Map<String, Object> details = details(root.get("details"));
        String sig = text(root, "sig", false);
        if (sig != null && !SIGNATURE.matcher(sig).matches()) {
            throw new MalformedEntryException("'sig' is not an unpadded base64url Ed25519 signature (86 characters)");
        }
        if (type.equals(CHECKPOINT)) {
            checkCheckpoint(details, sig);
        } else if (sig != null) {
            throw new MalformedEntryException("only a checkpoint carries 'sig', not an entry of type "
                    + quote(type));
        }
        return new AuditEntry(file, lineNumber, seqNode.asLong(), time, type, optional[0], optional[1], optional[2],
                optional[3], optional[4], optional[5], optional[6], optional[7], optional[8], details, prev, sig,
                new String(line, 0, length, StandardCharsets.UTF_8));
    }

    private static void checkCheckpoint(Map<String, Object> details, String sig) throws MalformedEntryException {
        if (sig == null) {
            throw new MalformedEntryException("a checkpoint without 'sig'");
        }
        if (!(details.get(KEY_ID) instanceof String)) {
            throw new MalformedEntryException("a checkpoint without details.keyId");
        }
        if (!(details.get(ENTRIES) instanceof Long n) || n < 0) {
            throw new MalformedEntryException("a checkpoint without a whole number details.entries");
        }
        if (!(details.get(FINAL) instanceof Boolean)) {
            throw new MalformedEntryException("a checkpoint without a boolean details.final");
        }
        if (!Long.valueOf(VERSION).equals(details.get(FORMAT))) {
            throw new MalformedEntryException("a checkpoint of format " + details.get(FORMAT) + "; this verifier reads "
                    + "format " + VERSION);
        }
        Object recovered = details.get(RECOVERED_MARK);
        if (recovered == null) {
            if (details.containsKey(FROM) || details.containsKey(TO) || details.containsKey(STOPPED_AFTER)) {
                throw new MalformedEntryException("details.from, to and stoppedAfter belong to a recovery checkpoint "
                        + "(details.recovered true) only");
            }
            return;
        }
        if (!Boolean.TRUE.equals(recovered) || Boolean.TRUE.equals(details.get(FINAL))) {
            throw new MalformedEntryException("details.recovered is true or absent, and a recovery checkpoint is never "
                    + "final");
        }
        boolean range = details.get(FROM) instanceof Long from && details.get(TO) instanceof Long to && from >= 1
                && to >= from;
        boolean none = !details.containsKey(FROM) && !details.containsKey(TO);
        if (!range && !none) {
            throw new MalformedEntryException("a recovery checkpoint names a range of whole numbers details.from <= "
                    + "details.to, or none");
        }
        Object stoppedAfter = details.get(STOPPED_AFTER);
        if (stoppedAfter != null && !(stoppedAfter instanceof String t && TIME.matcher(t).matches())) {
            throw new MalformedEntryException("details.stoppedAfter is not a UTC time like 2025-01-31T12:00:00.123Z");
        }
    }

    private static JsonNode required(JsonNode root, String name) throws MalformedEntryException {
        JsonNode node = root.get(name);
        if (node == null) {
            throw new MalformedEntryException("no '" + name + "' member");
        }
        return node;
    }

    private static String text(JsonNode root, String name, boolean required) throws MalformedEntryException {
        JsonNode node = required ? required(root, name) : root.get(name);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw new MalformedEntryException("'" + name + "' is not a string");
        }
        return node.textValue();
    }

    private static Map<String, Object> details(JsonNode node) throws MalformedEntryException {
        if (node == null) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new MalformedEntryException("'details' is not an object");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : node.properties()) {
            JsonNode v = f.getValue();
            Object value;
            if (v.isTextual()) {
                value = v.textValue();
            } else if (v.isBoolean()) {
                value = v.booleanValue();
            } else if (v.isIntegralNumber() && v.canConvertToLong()) {
                value = v.longValue();
            } else if (v.isFloatingPointNumber()) {
                value = v.doubleValue();
            } else {
                throw new MalformedEntryException("details." + quote(f.getKey())
                        + " is not a string, number or boolean");
            }
            out.put(f.getKey(), value);
        }
        return Collections.unmodifiableMap(out);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
