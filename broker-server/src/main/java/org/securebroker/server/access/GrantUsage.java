package org.securebroker.server.access;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Policy;

/**
 * Which allow grants of a policy the audit log shows were exercised since a time, read back from
 * the {@code authz.allow} entries that {@link SessionAccess} writes: a grant counts as used when
 * an entry in the window, decided under the same policy version, names its rule id as the
 * deciding rule (an aggregated entry counts its {@code count}). Rule ids name a role and a
 * position, which another policy version may give to another grant, so entries decided under
 * other versions are counted apart and not credited to any grant.
 *
 * <p>Thread-safety: immutable.
 *
 * @param policyVersion the version of the policy the grants come from
 * @param since the window's start
 * @param auditStarts the time of the log's first entry; null when the log is empty
 * @param uses allows per rule id in the window
 * @param allowsUnderOtherVersions allow entries in the window decided under another policy version
 * @param unused the allow grants with no use in the window, in policy order
 */
public record GrantUsage(String policyVersion, Instant since, Instant auditStarts, Map<String, Long> uses,
                         long allowsUnderOtherVersions, List<Grant> unused) {

    public GrantUsage {
        uses = Map.copyOf(uses);
        unused = List.copyOf(unused);
    }

    /**
     * Reads the audit log in {@code auditDir} once.
     *
     * @throws java.nio.file.NoSuchFileException if the directory does not exist
     * @throws java.io.UncheckedIOException if a file cannot be read or a line is not an entry
     */
    public static GrantUsage read(Policy policy, Path auditDir, Instant since) throws IOException {
        Map<String, Long> uses = new HashMap<>();
        long otherVersions = 0;
        Instant firstEntry = null;
        try (Stream<AuditEntry> all = AuditReader.entries(auditDir, AuditReader.Filter.ALL)) {
            for (AuditEntry e : (Iterable<AuditEntry>) all::iterator) {
                if (firstEntry == null) {
                    firstEntry = e.time();
                }
                if (e.time().isBefore(since) || !"authz.allow".equals(e.type()) || e.rule() == null) {
                    continue;
                }
                if (!policy.version().equals(e.policy())) {
                    otherVersions++;
                    continue;
                }
                Object count = e.details().get("count");
                uses.merge(e.rule(), count instanceof Number n ? n.longValue() : 1L, Long::sum);
            }
        }
        List<Grant> unused = new ArrayList<>();
        for (Grant g : policy.grants()) {
            if (!uses.containsKey(g.ruleId())) {
                unused.add(g);
            }
        }
        return new GrantUsage(policy.version(), since, firstEntry, uses, otherVersions, unused);
    }

    /**
     * Whether the log reaches back to the window's start; when it does not, a grant listed as
     * unused may have been used before the log began.
     */
    public boolean windowCovered() {
        return auditStarts != null && !auditStarts.isAfter(since);
    }
}
