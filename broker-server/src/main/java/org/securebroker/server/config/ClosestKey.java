package org.securebroker.server.config;

import java.util.Collection;
import java.util.Locale;

/**
 * The known key an unknown one was most likely meant to be: the nearest by edit distance
 * (insertions, deletions, substitutions and swaps of neighbouring letters, ignoring case), and
 * only when it is near enough to be a slip rather than a different word.
 *
 * <p>Thread-safety: stateless.
 */
final class ClosestKey {

    private ClosestKey() {
    }

    /** The closest of {@code known} to {@code unknown}, or null when none is close. */
    static String to(String unknown, Collection<String> known) {
        String typed = unknown.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(typed, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= allowed(unknown) ? best : null;
    }

    /** One slip in a short key, two in a longer one; never as many as half of what was typed. */
    private static int allowed(String key) {
        int n = key.length();
        return n <= 3 ? 0 : n <= 6 ? 1 : 2;
    }

    /** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring characters. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
