package org.securebroker.testing;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs a property against generated values. Every try draws from a {@link Random} seeded from
 * one base seed, so a failure names that seed and {@code -Dbroker.test.seed=SEED} replays the
 * exact run. {@link #forAllLists} also shrinks a failing list (of actions, say) by dropping
 * elements while the property still fails, so the report shows a short counterexample.
 *
 * <p>Thread-safety: stateless.
 */
public final class PropertyCheck {

    public static final String SEED_PROPERTY = "broker.test.seed";
    private static final long SEED_STEP = 0x9E37_79B9_7F4A_7C15L;
    private static final int MAX_HEX_BYTES = 256;

    private PropertyCheck() {
    }

    public static <T> void forAll(int tries, Gen<T> gen, Consumer<? super T> property) {
        long baseSeed = baseSeed();
        for (int i = 0; i < tries; i++) {
            T value = gen.next(new Random(baseSeed + i * SEED_STEP));
            Throwable failure = failureOf(property, value);
            if (failure != null) {
                throw new AssertionError(header(i, tries, baseSeed) + "\ninput: " + describe(value), failure);
            }
        }
    }

    /** Like {@link #forAll}, and on failure reports the smallest failing sub-list it finds. */
    public static <T> void forAllLists(int tries, Gen<List<T>> gen, Consumer<? super List<T>> property) {
        long baseSeed = baseSeed();
        for (int i = 0; i < tries; i++) {
            List<T> value = gen.next(new Random(baseSeed + i * SEED_STEP));
            Throwable failure = failureOf(property, value);
            if (failure != null) {
                List<T> smallest = shrink(value, property);
                Throwable smallestFailure = failureOf(property, smallest);
                throw new AssertionError(header(i, tries, baseSeed) + "\nshrunk from " + value.size() + " to "
                        + smallest.size() + " elements: " + smallest, smallestFailure != null ? smallestFailure : failure);
            }
        }
    }

    private static <T> List<T> shrink(List<T> failing, Consumer<? super List<T>> property) {
        List<T> current = failing;
        int chunk = Math.max(1, current.size() / 2);
        while (chunk >= 1) {
            boolean reduced = false;
            for (int start = 0; start < current.size(); ) {
                List<T> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (candidate.size() < current.size() && failureOf(property, candidate) != null) {
                    current = candidate;
                    reduced = true;
                } else {
                    start += chunk;
                }
            }
            if (!reduced) {
                chunk /= 2;
            }
        }
        return current;
    }

    private static <T> Throwable failureOf(Consumer<? super T> property, T value) {
        try {
            property.accept(value);
            return null;
        } catch (AssertionError | RuntimeException e) {
            return e;
        }
    }

    private static long baseSeed() {
        return Long.getLong(SEED_PROPERTY, new Random().nextLong());
    }

    private static String header(int index, int tries, long baseSeed) {
        return "property failed on try " + (index + 1) + " of " + tries + " (re-run with -D" + SEED_PROPERTY + "="
                + baseSeed + ")";
    }

    private static String describe(Object value) {
        if (value instanceof byte[] bytes) {
            int shown = Math.min(bytes.length, MAX_HEX_BYTES);
            return bytes.length + " bytes: " + HexFormat.of().formatHex(bytes, 0, shown) + (shown < bytes.length ? "..." : "");
        }
        return String.valueOf(value);
    }
}
