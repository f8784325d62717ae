package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.ConfigLoader;

/** Running checks: order, summary, and a check that cannot run. */
class SecurityChecksTest {

    @TempDir
    Path tmp;

    private static SecurityCheck fixed(String name, Finding... findings) {
        return new SecurityCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Finding> run(CheckContext context) {
                return List.of(findings);
            }
        };
    }

    private CheckContext context() {
        return CheckFixture.context(ConfigLoader.defaults(tmp.resolve("data")));
    }

    @Test
    void shouldListFindingsMostSevereFirstInCheckOrderWithinASeverity() {
        SecurityChecks checks = new SecurityChecks(List.of(
                fixed("a", Finding.info("a1", "x", "x", null), Finding.medium("a2", "x", "x", "fix")),
                fixed("b", Finding.high("b1", "x", "x", "fix"), Finding.medium("b2", "x", "x", "fix"))));

        SecurityChecks.Report report = checks.run(context());

        assertThat(report.findings()).extracting(Finding::id).containsExactly("b1", "a2", "b2", "a1");
        assertThat(report.summary()).isEqualTo(Map.of(Severity.HIGH, 1, Severity.MEDIUM, 2, Severity.LOW, 0,
                Severity.INFO, 1));
        assertThat(report.summary().keySet()).containsExactly(Severity.values());
        assertThat(report.hasHigh()).isTrue();
    }

    @Test
    void shouldReportACheckThatCannotRunAsHighAndRunTheOthers() {
        SecurityCheck broken = new SecurityCheck() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public List<Finding> run(CheckContext context) throws IOException {
                throw new IOException("disk on fire");
            }
        };
        SecurityChecks checks = new SecurityChecks(List.of(broken, fixed("ok", Finding.low("l", "x", "x", "fix"))));

        SecurityChecks.Report report = checks.run(context());

        assertThat(report.findings()).extracting(Finding::id).containsExactly("check-failed", "l");
        assertThat(report.findings().get(0).finding()).isEqualTo("the broken check could not run: disk on fire");
        assertThat(report.hasHigh()).isTrue();
    }

    @Test
    void shouldRunEveryCheckInTheDocumentedOrder() {
        assertThat(SecurityChecks.standard(org.securebroker.server.BrokerContext.system()).checks())
                .extracting(SecurityCheck::name)
                .containsExactly("tls", "key-files", "key-ages", "users", "policy", "audit-log", "store", "disk");
    }
}
