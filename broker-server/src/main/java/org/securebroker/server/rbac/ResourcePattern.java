package org.securebroker.server.rbac;

import java.util.ArrayList;
import java.util.List;

/**
 * A pattern of resource names, compiled once when the policy is loaded. Only {@code *} is special:
 * it stands for any run of characters, dots included, possibly empty.
 *
 * <ul>
 *   <li>{@code orders} matches exactly {@code orders};</li>
 *   <li>{@code orders.*} matches {@code orders.eu} and {@code orders.eu.dlq}, not {@code orders};</li>
 *   <li>{@code *} matches every name, {@code *.dlq} every name ending in {@code .dlq},
 *       {@code orders.*.dlq} {@code orders.eu.dlq} and {@code orders.eu.west.dlq}.</li>
 * </ul>
 *
 * <p>A pattern has 1 to {@value #MAX_LENGTH} characters of letters, digits and
 * {@code . _ - * : / @}, and no {@code **}. Matching allocates nothing.
 *
 * <p>Thread-safety: immutable.
 */
public final class ResourcePattern {

    /** The longest pattern accepted. */
    public static final int MAX_LENGTH = 255;

    private enum Kind {
        EXACT, ANY, PREFIX, GLOB
    }

    private final String text;
    private final Kind kind;
    /** The literal runs between the stars, first to last (for EXACT the whole text, for PREFIX the prefix). */
    private final String[] parts;
    private final boolean leadingStar;
    private final boolean trailingStar;

    private ResourcePattern(String text) {
        this.text = text;
        this.leadingStar = text.startsWith("*");
        this.trailingStar = text.endsWith("*");
        List<String> runs = new ArrayList<>();
        for (String run : text.split("\\*", -1)) {
            if (!run.isEmpty()) {
                runs.add(run);
            }
        }
        this.parts = runs.toArray(new String[0]);
        if (text.indexOf('*') < 0) {
            kind = Kind.EXACT;
        } else if (parts.length == 0) {
            kind = Kind.ANY;
        } else if (parts.length == 1 && !leadingStar && trailingStar) {
            kind = Kind.PREFIX;
        } else {
            kind = Kind.GLOB;
        }
    }

    /**
     * Compiles a pattern.
     *
     * @throws IllegalArgumentException saying what a pattern may contain
     */
    public static ResourcePattern parse(String pattern) {
        String problem = problem(pattern);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new ResourcePattern(pattern);
    }

    /** Whether {@code pattern} (compiled on the spot) matches {@code resource}. */
    public static boolean matches(String pattern, String resource) {
        return parse(pattern).matches(resource);
    }

    /** What is wrong with a pattern, or null if it is valid. */
    static String problem(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            return "an empty resource pattern; write a name, a prefix such as 'orders.*', or '*'";
        }
        if (pattern.length() > MAX_LENGTH) {
            return "resource pattern of " + pattern.length() + " characters; at most " + MAX_LENGTH + " are allowed";
        }
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (!allowed(c)) {
                return "resource pattern '" + pattern + "' contains '" + c + "'; allowed are letters, digits and . _ - * : / @";
            }
        }
        if (pattern.contains("**")) {
            return "resource pattern '" + pattern + "' contains '**'; one '*' already matches any run of characters";
        }
        return null;
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-' || c == '*' || c == ':' || c == '/' || c == '@';
    }

    /** Whether this pattern matches the whole of {@code resource}. */
    public boolean matches(String resource) {
        return switch (kind) {
            case EXACT -> text.equals(resource);
            case ANY -> true;
            case PREFIX -> resource.startsWith(parts[0]);
            case GLOB -> glob(resource);
        };
    }

    /**
     * Literal runs separated by stars: the first run is anchored at the start unless the pattern
     * starts with a star, the last at the end unless it ends with one, and the runs between are
     * found left to right, each as early as possible (which is never worse for the runs after it).
     */
    private boolean glob(String resource) {
        int start = 0;
        int end = resource.length();
        int first = 0;
        int last = parts.length - 1;
        if (!leadingStar) {
            if (!resource.startsWith(parts[0])) {
                return false;
            }
            start = parts[0].length();
            first = 1;
        }
        if (!trailingStar) {
            String suffix = parts[last];
            if (end - start < suffix.length() || !resource.endsWith(suffix)) {
                return false;
            }
            end -= suffix.length();
            last--;
        }
        for (int i = first; i <= last; i++) {
            int at = resource.indexOf(parts[i], start);
            if (at < 0 || at + parts[i].length() > end) {
                return false;
            }
            start = at + parts[i].length();
        }
        return true;
    }

    /** Whether the pattern has no star and so names one resource. */
    public boolean isExact() {
        return kind == Kind.EXACT;
    }

    /** The pattern as written. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResourcePattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
