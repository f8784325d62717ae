package org.securebroker.server.config;

/**
 * The Argon2id cost parameters new password hashes are made with ({@code auth.passwordHashing}).
 * Anything below the OWASP minimum is refused here, so no weaker setting can reach the hasher.
 *
 * <p>Thread-safety: immutable.
 *
 * @param memoryKiB memory cost in KiB; at least 19456 (19 MiB, the OWASP minimum)
 * @param iterations time cost; at least 2
 * @param parallelism lanes; at least 1
 */
public record PasswordHashing(int memoryKiB, int iterations, int parallelism) {

    /** OWASP minimum memory cost in KiB (19 MiB). */
    public static final int MIN_MEMORY_KIB = 19 * 1024;
    /** OWASP minimum time cost. */
    public static final int MIN_ITERATIONS = 2;
    /** The OWASP minimum: m=19 MiB, t=2, p=1. */
    public static final PasswordHashing OWASP_MINIMUM = new PasswordHashing(MIN_MEMORY_KIB, MIN_ITERATIONS, 1);

    public PasswordHashing {
        if (memoryKiB < MIN_MEMORY_KIB || iterations < MIN_ITERATIONS || parallelism < 1
                || parallelism > 16 || memoryKiB < 8 * parallelism || memoryKiB > 4 * 1024 * 1024 || iterations > 100) {
            throw new IllegalArgumentException("Argon2id parameters m=" + memoryKiB + " KiB, t=" + iterations + ", p="
                    + parallelism + " are outside what is allowed: m >= 19456 KiB (19 MiB), t >= 2, 1 <= p <= 16");
        }
    }
}
