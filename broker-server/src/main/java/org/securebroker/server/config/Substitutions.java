package org.securebroker.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * References in configuration values, replaced before any value is typed: {@code ${env:NAME}}
 * is the environment variable NAME, {@code ${file:PATH}} the contents of a file (relative paths
 * from the configuration file's directory; trailing line breaks dropped; at most 64 KiB). A
 * value may hold several references and text around them; {@code $${} writes a literal
 * {@code ${}. A variable that is not set, a file that cannot be read and any other {@code ${...}}
 * are errors naming the key and the reference, never a value.
 *
 * <p>Thread-safety: immutable.
 */
public final class Substitutions {

    /** The largest file a {@code ${file:}} reference may read: a secret or a short value, not a document. */
    static final int MAX_FILE_BYTES = 64 * 1024;
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String FORMS = "write ${env:NAME}, ${file:PATH}, or $${ for a literal ${";

    private final Map<String, String> environment;
    private final Path base;

    /**
     * @param environment the environment variables {@code ${env:}} reads
     * @param base the directory relative {@code ${file:}} paths start from; null for the working directory
     */
    public Substitutions(Map<String, String> environment, Path base) {
        this.environment = Map.copyOf(environment);
        this.base = base != null ? base : Path.of("").toAbsolutePath();
    }

    /**
     * The value with its references replaced, or null when one cannot be; then {@code problems}
     * holds why, prefixed with {@code where} (the line and key).
     */
    String apply(String value, String where, List<String> problems) {
        if (value == null || !value.contains("$")) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int at = 0;
        boolean failed = false;
        while (at < value.length()) {
            char c = value.charAt(at);
            if (value.startsWith("$${", at)) {
                out.append("${");
                at += 3;
            } else if (value.startsWith("${", at)) {
                int end = value.indexOf('}', at + 2);
                if (end < 0) {
                    problems.add(where + ": a '${' without its closing '}'; " + FORMS);
                    return null;
                }
                String reference = value.substring(at, end + 1);
                String resolved = resolve(value.substring(at + 2, end), reference, where, problems);
                if (resolved == null) {
                    failed = true;
                } else {
                    out.append(resolved);
                }
                at = end + 1;
            } else {
                out.append(c);
                at++;
            }
        }
        return failed ? null : out.toString();
    }

    private String resolve(String body, String reference, String where, List<String> problems) {
        if (body.startsWith("env:")) {
            String name = body.substring(4);
            if (!VARIABLE.matcher(name).matches()) {
                problems.add(where + ": " + reference + ": '" + name + "' is not an environment variable name "
                        + "(letters, digits, _)");
                return null;
            }
            String v = environment.get(name);
            if (v == null) {
                problems.add(where + ": " + reference + ": the environment variable " + name + " is not set");
            }
            return v;
        }
        if (body.startsWith("file:")) {
            String name = body.substring(5).strip();
            if (name.isEmpty()) {
                problems.add(where + ": " + reference + ": names no file");
                return null;
            }
            Path file = base.resolve(name).normalize();
            try {
                return read(file);
            } catch (NoSuchFileException e) {
                problems.add(where + ": " + reference + ": the file " + file + " does not exist");
            } catch (CharacterCodingException e) {
                problems.add(where + ": " + reference + ": the file " + file + " is not UTF-8 text");
            } catch (IOException e) {
                problems.add(where + ": " + reference + ": the file " + file + " cannot be read ("
                        + e.getClass().getSimpleName() + ")");
            }
            return null;
        }
        problems.add(where + ": " + reference + " is not a reference; " + FORMS);
        return null;
    }

    /** The file's text without trailing line breaks; no more than {@link #MAX_FILE_BYTES}. */
    private static String read(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
        }
        String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        return text.substring(0, end);
    }

    /**
     * The problems with every substituted value replaced by the reference it came from, so an
     * error about a value read from the environment or a file shows {@code ${file:...}}, never the
     * secret. Only problems on the value's own line are touched, and only the first occurrence
     * after the line-and-key prefix: that is where a problem quotes its value.
     */
    static List<String> redact(List<String> problems, ConfigNode root) {
        List<ConfigNode.ScalarNode> substituted = new ArrayList<>();
        collect(root, substituted);
        if (substituted.isEmpty()) {
            return problems;
        }
        List<String> out = new ArrayList<>(problems.size());
        for (String problem : problems) {
            String p = problem;
            for (ConfigNode.ScalarNode s : substituted) {
                p = redact(p, s);
            }
            out.add(p);
        }
        return out;
    }

    private static String redact(String problem, ConfigNode.ScalarNode s) {
        String prefix = "line " + s.line() + ": ";
        if (s.value() == null || s.value().isEmpty() || !problem.startsWith(prefix)) {
            return problem;
        }
        int afterKey = problem.indexOf(": ", prefix.length());
        int from = afterKey < 0 ? prefix.length() : afterKey + 2;
        int hit = problem.indexOf(s.value(), from);
        if (hit < 0) {
            return problem;
        }
        return problem.substring(0, hit) + s.written() + problem.substring(hit + s.value().length());
    }

    private static void collect(ConfigNode node, List<ConfigNode.ScalarNode> out) {
        if (node instanceof ConfigNode.MapNode m) {
            m.entries().values().forEach(n -> collect(n, out));
        } else if (node instanceof ConfigNode.ListNode l) {
            l.items().forEach(n -> collect(n, out));
        } else if (node instanceof ConfigNode.ScalarNode s && s.written() != null) {
            out.add(s);
        }
    }
}
