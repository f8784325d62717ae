package org.securebroker.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A random value generator for property tests. Generators are pure functions of the random
 * source, so a seed reproduces a whole run (see {@link PropertyCheck}). Integer generators
 * return their bounds more often than uniform sampling would, because bugs live at edges.
 */
@FunctionalInterface
public interface Gen<T> {

    T next(RandomGenerator random);

    default <R> Gen<R> map(Function<? super T, ? extends R> mapper) {
        return random -> mapper.apply(next(random));
    }

    /** Lists of {@code min..max} elements, biased toward short lists. */
    default Gen<List<T>> list(int min, int max) {
        Gen<Integer> size = sizes(min, max);
        return random -> {
            int n = size.next(random);
            List<T> values = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                values.add(next(random));
            }
            return Collections.unmodifiableList(values);
        };
    }

    static <T> Gen<T> constant(T value) {
        return random -> value;
    }

    @SafeVarargs
    static <T> Gen<T> elements(T... values) {
        return random -> values[random.nextInt(values.length)];
    }

    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        return random -> gens[random.nextInt(gens.length)].next(random);
    }

    /** Picks {@code a} with weight {@code wa}, {@code b} with weight {@code wb}, and so on. */
    static <T> Gen<T> weighted(int wa, Gen<? extends T> a, int wb, Gen<? extends T> b) {
        return random -> random.nextInt(wa + wb) < wa ? a.next(random) : b.next(random);
    }

    static Gen<Integer> ints(int min, int max) {
        Gen<Long> longs = longs(min, max);
        return random -> (int) (long) longs.next(random);
    }

    static Gen<Long> longs(long min, long max) {
        return random -> {
            int pick = random.nextInt(10);
            if (pick == 0) {
                return min;
            }
            if (pick == 1) {
                return max;
            }
            if (pick == 2 && min <= 0 && max >= 0) {
                return 0L;
            }
            if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
                return random.nextLong();
            }
            if (max == Long.MAX_VALUE) {
                return random.nextLong(min - 1, max) + 1;
            }
            return random.nextLong(min, max + 1);
        };
    }

    static Gen<Long> anyLong() {
        return longs(Long.MIN_VALUE, Long.MAX_VALUE);
    }

    static Gen<Integer> anyInt() {
        return ints(Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    static Gen<Boolean> booleans() {
        return RandomGenerator::nextBoolean;
    }

    /** Sizes in {@code min..max}: mostly small, sometimes anywhere up to the maximum. */
    static Gen<Integer> sizes(int min, int max) {
        return random -> {
            int smallMax = Math.min(max, min + 4);
            if (random.nextInt(4) != 0) {
                return random.nextInt(min, smallMax + 1);
            }
            return random.nextInt(min, max + 1);
        };
    }

    static Gen<byte[]> byteArrays(int maxSize) {
        Gen<Integer> size = sizes(0, maxSize);
        return random -> {
            byte[] bytes = new byte[size.next(random)];
            random.nextBytes(bytes);
            return bytes;
        };
    }
}
