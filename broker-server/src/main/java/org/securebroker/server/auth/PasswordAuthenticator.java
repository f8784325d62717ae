package org.securebroker.server.auth;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks user names and passwords against the {@link UserStore} on a bounded pool: hashing never
 * runs on an event loop, at most {@code threads} hashes run at once, and at most
 * {@code queueCapacity} wait; beyond that an attempt is refused at once as "busy" instead of
 * piling up. An unknown or disabled user is checked against a dummy hash with the current
 * parameters, so it costs the same time as a wrong password. A successful login whose stored hash
 * uses weaker parameters than the current ones is rehashed, and SCRAM credentials are derived
 * (PBKDF2 with the configured iterations, also on this pool) for a user who has none or weaker
 * ones, unless SCRAM is off for the user or the broker; with SCRAM off broker-wide, a login
 * removes the user's stored SCRAM credentials instead. Every attempt first picks up changes
 * to the users file, so a user added or changed by the CLI can log in at once.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class PasswordAuthenticator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PasswordAuthenticator.class);

    /** Why an attempt failed; for the server log and audit, never for the client. */
    public enum Failure {
        UNKNOWN_USER, WRONG_PASSWORD, DISABLED, BUSY
    }

    /** The outcome of one attempt. */
    public record Result(Optional<User> user, Failure failure) {
        static Result success(User user) {
            return new Result(Optional.of(user), null);
        }

        static Result failed(Failure why) {
            return new Result(Optional.empty(), why);
        }

        public boolean succeeded() {
            return user.isPresent();
        }
    }

    private final UserStore users;
    private final Argon2id current;
    private final int scramIterations;
    private final boolean scramEnabled;
    private final SecureRandom random;
    private final String dummyHash;
    private final ThreadPoolExecutor pool;
    private final AtomicLong hashesComputed = new AtomicLong();

    public PasswordAuthenticator(UserStore users, Argon2id current, int threads, int queueCapacity, SecureRandom random) {
        this(users, current, 10_000, threads, queueCapacity, random);
    }

    /**
     * @param scramIterations SCRAM credentials derived on a successful PLAIN login, when the user
     *     has none or weaker ones, use this iteration count
     */
    public PasswordAuthenticator(UserStore users, Argon2id current, int scramIterations, int threads, int queueCapacity,
                                 SecureRandom random) {
        this(users, current, scramIterations, true, threads, queueCapacity, random);
    }

    /**
     * @param scramIterations SCRAM credentials derived on a successful PLAIN login, when the user
     *     has none or weaker ones, use this iteration count
     * @param scramEnabled false: no SCRAM credentials are derived, and a successful PLAIN login
     *     removes any the user has
     */
    public PasswordAuthenticator(UserStore users, Argon2id current, int scramIterations, boolean scramEnabled, int threads,
                                 int queueCapacity, SecureRandom random) {
        this.users = users;
        this.current = current;
        this.scramIterations = scramIterations;
        this.scramEnabled = scramEnabled;
        this.random = random;
        char[] dummy = new char[24];
        for (int i = 0; i < dummy.length; i++) {
            dummy[i] = (char) ('a' + random.nextInt(26));
        }
        this.dummyHash = current.hash(dummy, random);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "auth-hash-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * Checks the credentials. The password array is zeroed once checked.
     *
     * @return a future completed on a hashing thread
     */
    public CompletableFuture<Result> authenticate(String userName, char[] password) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(check(userName, password));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                } finally {
                    Arrays.fill(password, '\0');
                }
            });
        } catch (RejectedExecutionException e) {
            Arrays.fill(password, '\0');
            result.complete(Result.failed(Failure.BUSY));
        }
        return result;
    }

    private Result check(String userName, char[] password) {
        try {
            users.reloadIfChanged();
        } catch (RuntimeException e) {
            LOG.warn("the users file could not be reloaded; using the users loaded before: {}", e.getMessage());
        }
        User user = userName == null ? null : users.find(userName).orElse(null);
        hashesComputed.incrementAndGet();
        if (user == null || user.disabled()) {
            Argon2id.verify(password, dummyHash);
            return Result.failed(user == null ? Failure.UNKNOWN_USER : Failure.DISABLED);
        }
        if (!Argon2id.verify(password, user.passwordHash())) {
            return Result.failed(Failure.WRONG_PASSWORD);
        }
        boolean argon2Outdated = current.isOutdated(user.passwordHash());
        boolean scramOutdated = scramEnabled && !user.scramDisabled()
                && (user.scram() == null || user.scram().iterations() < scramIterations);
        boolean scramUnwanted = !scramEnabled && user.scram() != null;
        if (argon2Outdated || scramOutdated || scramUnwanted) {
            rehash(user, password, argon2Outdated, scramOutdated);
        }
        return Result.success(user);
    }

    /**
     * Stores fresh hashes while the password is at hand: Argon2id with the current parameters,
     * and SCRAM credentials for users who have none yet or weaker ones (none at all while SCRAM
     * is off broker-wide).
     */
    private void rehash(User user, char[] password, boolean argon2, boolean scram) {
        String freshHash = argon2 ? current.hash(password, random) : user.passwordHash();
        org.securebroker.protocol.auth.Scram.Credentials freshScram = !scramEnabled ? null
                : scram ? PasswordSecrets.scram(password, scramIterations, random) : user.scram();
        try {
            users.update(all -> {
                User stored = all.get(user.name());
                if (stored != null && stored.passwordHash().equals(user.passwordHash())) {
                    all.put(user.name(), stored.withPasswordHash(freshHash).withScram(freshScram));
                }
                return all;
            }, new UserStore.Actor("broker", "rehash at the PLAIN login of '" + user.name() + "'", null));
            LOG.info("user '{}': stored {} with the current parameters", user.name(),
                    !scramEnabled ? (argon2 ? "the Argon2id hash, without SCRAM keys" : "no SCRAM keys (SCRAM is off)")
                    : argon2 && scram ? "the Argon2id hash and SCRAM keys" : argon2 ? "the Argon2id hash" : "SCRAM keys");
        } catch (RuntimeException e) {
            LOG.warn("could not rehash the password of user '{}': {}", user.name(), e.getMessage());
        }
    }

    /**
     * Runs other authentication work (token signatures) on the same bounded pool.
     *
     * @return a future completed with the work's result, or with {@code whenBusy} if the pool
     *     and its queue are full
     */
    public <T> CompletableFuture<T> offload(java.util.function.Supplier<T> work, T whenBusy) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(work.get());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.complete(whenBusy);
        }
        return result;
    }

    /** How many Argon2id computations ran since start (for tests and metrics). */
    public long hashesComputed() {
        return hashesComputed.get();
    }

    /** Roles of a user, for callers that only hold the name. */
    public List<String> rolesOf(String userName) {
        return users.find(userName).map(User::roles).orElse(List.of());
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
