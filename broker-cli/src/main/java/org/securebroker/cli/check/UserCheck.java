package org.securebroker.cli.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.store.crypto.KeyringFile;

/**
 * The users file: users whose Argon2id hash has weaker parameters than
 * {@code auth.passwordHashing} (medium; the broker rehashes at the next PLAIN login), users
 * without SCRAM-SHA-256 credentials (low), disabled users (info), and enabled users with no
 * {@code auth.success} in the audit log for {@code --stale-after} (medium; a user created within
 * that window is not stale). Without an audit log, stale users cannot be told, which an info
 * finding says. A missing or unreadable users file is high: the broker cannot start.
 *
 * <p>Thread-safety: stateless.
 */
public final class UserCheck implements SecurityCheck {

    /** What the audit log says about logins. */
    private record Logins(Instant firstEntry, Map<String, Instant> last) {
    }

    @Override
    public String name() {
        return "users";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        List<Finding> out = new ArrayList<>();
        Path file = context.config().auth().usersFile();
        if (!Files.exists(file)) {
            out.add(Finding.high("users-file-invalid", file.toString(), "the users file " + file + " does not exist; "
                    + "the broker cannot start without it", "'broker init' on a new data directory, else restore it "
                    + "from the backup"));
            return out;
        }
        if (!KeyringFile.permissionsIfLoose(file).isEmpty()) {
            out.add(Finding.info("users-not-checked", file.toString(), "the users were not checked: the broker refuses "
                    + "a users file that group or others can access (see key-file-permissions)", "chmod 600 " + file));
            return out;
        }
        UserStore users;
        try {
            users = UserStore.load(file);
        } catch (IllegalArgumentException e) {
            out.add(Finding.high("users-file-invalid", file.toString(), e.getMessage() + "; the broker cannot start with "
                    + "it", "correct the file or restore it from the backup"));
            return out;
        }
        Argon2id hashing = Argon2id.of(context.config().auth().passwordHashing());
        List<User> enabled = new ArrayList<>();
        for (User u : users.all()) {
            if (u.disabled()) {
                out.add(Finding.info("user-disabled", "user " + u.name(), "user " + u.name() + " is disabled",
                        "if it is no longer needed: broker user remove " + u.name()));
                continue;
            }
            enabled.add(u);
            Argon2id.Phc phc = Argon2id.parse(u.passwordHash());
            if (hashing.isOutdated(u.passwordHash())) {
                out.add(Finding.medium("user-weak-hash", "user " + u.name(), "the password hash of user " + u.name()
                        + " has parameters m=" + phc.memoryKiB() + " KiB, t=" + phc.iterations() + ", p="
                        + phc.parallelism() + ", below auth.passwordHashing (m=" + hashing.memoryKiB() + " KiB, t="
                        + hashing.iterations() + ", p=" + hashing.parallelism() + "); it is rehashed at the next PLAIN "
                        + "login", "ask " + u.name() + " to log in once with PLAIN, or set a new password: broker user "
                        + "passwd " + u.name()));
            }
            boolean scramOn = context.config().auth().scramEnabled();
            if (!scramOn && u.scram() != null) {
                out.add(Finding.medium("user-scram-verifier-unused", "user " + u.name(), "user " + u.name() + " still has "
                        + "a SCRAM-SHA-256 verifier although auth.scram.enabled is false: whoever reads the users file can "
                        + "attack that PBKDF2 verifier instead of the Argon2id hash", "broker user passwd " + u.name()
                        + " --no-scram, or one PLAIN login (which removes it)"));
            } else if (scramOn && u.scram() == null && !u.scramDisabled()) {
                out.add(Finding.low("user-no-scram", "user " + u.name(), "user " + u.name() + " has no SCRAM-SHA-256 "
                        + "credentials: SCRAM logins fail until the password is set again or used with PLAIN",
                        "broker user passwd " + u.name() + ", or one PLAIN login"));
            }
        }
        stale(out, context, enabled);
        return out;
    }

    private static void stale(List<Finding> out, CheckContext context, List<User> enabled) {
        Path dir = context.config().audit().dir();
        Logins logins;
        try {
            logins = logins(dir);
        } catch (IOException | UncheckedIOException e) {
            out.add(Finding.info("users-no-audit-log", dir.toString(), "stale users were not checked: the audit log "
                    + "cannot be read (" + e.getMessage() + ")", null));
            return;
        }
        if (logins == null || logins.firstEntry() == null) {
            out.add(Finding.info("users-no-audit-log", dir.toString(), "there is no audit log in " + dir + " (yet): "
                    + "users without a login for " + CheckContext.days(context.thresholds().staleAfter())
                    + " cannot be told", null));
            return;
        }
        Instant windowStart = context.now().minus(context.thresholds().staleAfter());
        String coverage = logins.firstEntry().isAfter(windowStart)
                ? " (the audit log starts at " + logins.firstEntry() + ")" : "";
        for (User u : enabled) {
            Instant last = logins.last().get(u.name());
            if (!u.created().isBefore(windowStart) || (last != null && !last.isBefore(windowStart))) {
                continue;
            }
            out.add(Finding.medium("user-stale", "user " + u.name(), "user " + u.name() + " has not logged in for "
                    + CheckContext.days(context.thresholds().staleAfter()) + ": "
                    + (last == null ? "no successful login in the audit log" + coverage : "last login " + last)
                    + ", created " + u.created(), "if " + u.name() + " no longer needs access: broker user disable "
                    + u.name()));
        }
    }

    /** The first entry's time and each principal's last successful login; null when there is no directory. */
    private static Logins logins(Path dir) throws IOException {
        Instant first = null;
        Map<String, Instant> last = new HashMap<>();
        try (Stream<AuditEntry> entries = AuditReader.entries(dir, AuditReader.Filter.ALL)) {
            for (AuditEntry e : (Iterable<AuditEntry>) entries::iterator) {
                if (first == null) {
                    first = e.time();
                }
                if ("auth.success".equals(e.type()) && e.principal() != null) {
                    last.merge(e.principal(), e.time(), (a, b) -> a.isAfter(b) ? a : b);
                }
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        return new Logins(first, last);
    }
}
