package org.securebroker.cli.check;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.securebroker.server.BrokerContext;

/**
 * Runs checks one after the other and collects their findings, most severe first (in check
 * order within a severity). A check that fails with an exception becomes a high
 * {@code check-failed} finding: a check that could not look is no reason to report all clear.
 *
 * <p>Thread-safety: immutable.
 */
public final class SecurityChecks {

    /** The findings of one run. */
    public record Report(List<Finding> findings) {

        public Report {
            findings = List.copyOf(findings);
        }

        /** How many findings of each severity, every severity present. */
        public Map<Severity, Integer> summary() {
            Map<Severity, Integer> counts = new EnumMap<>(Severity.class);
            for (Severity s : Severity.values()) {
                counts.put(s, 0);
            }
            findings.forEach(f -> counts.merge(f.severity(), 1, Integer::sum));
            return counts;
        }

        public boolean hasHigh() {
            return findings.stream().anyMatch(f -> f.severity() == Severity.HIGH);
        }
    }

    private final List<SecurityCheck> checks;

    public SecurityChecks(List<SecurityCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /**
     * Every check, in the order docs/operations.md lists them.
     *
     * @param context what the store is opened with (the store check opens a stopped broker's store)
     */
    public static SecurityChecks standard(BrokerContext context) {
        return new SecurityChecks(List.of(new TlsCheck(), new KeyFileCheck(), new KeyAgeCheck(), new UserCheck(),
                new PolicyCheck(), new AuditLogCheck(), new StoreCheck(context), new DiskCheck()));
    }

    public List<SecurityCheck> checks() {
        return checks;
    }

    public Report run(CheckContext context) {
        List<Finding> findings = new ArrayList<>();
        for (SecurityCheck check : checks) {
            try {
                findings.addAll(check.run(context));
            } catch (IOException | RuntimeException e) {
                findings.add(Finding.high("check-failed", check.name(), "the " + check.name() + " check could not run: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                        "fix what the message names, then run 'broker check' again"));
            }
        }
        findings.sort(Comparator.comparing(Finding::severity));
        return new Report(findings);
    }
}
