package org.securebroker.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig.PrincipalRule;
import org.securebroker.server.config.BrokerConfig.PrincipalSource;

class CertificatePrincipalMapperTest {

    /** The rule ConfigLoader adds when client certificates are on and no mapping is configured. */
    private static final PrincipalRule DEFAULT = rule(PrincipalSource.SUBJECT, "CN=([^,]+)(,.*)?");

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void createPki() {
        pki = TestPki.create(dir);
    }

    private static PrincipalRule rule(PrincipalSource source, String regex) {
        return new PrincipalRule(source, Pattern.compile(regex));
    }

    private static CertificatePrincipalMapper mapper(PrincipalRule... rules) {
        return new CertificatePrincipalMapper(List.of(rules));
    }

    @Test
    void shouldMapTheCommonNameWithTheDefaultRule() {
        assertThat(mapper(DEFAULT).principal(pki.good().certificate())).contains("alice");
        assertThat(mapper(DEFAULT).principal(pki.withSans().certificate())).contains("svc-orders");
    }

    @Test
    void shouldMatchTheWholeRfc2253Subject() {
        assertThat(pki.withSans().certificate().getSubjectX500Principal().getName()).isEqualTo("CN=svc-orders,O=Example");
        assertThat(mapper(rule(PrincipalSource.SUBJECT, "CN=(svc-orders)")).principal(pki.withSans().certificate()))
                .isEmpty();
        assertThat(mapper(rule(PrincipalSource.SUBJECT, "CN=([^,]+),O=Example")).principal(pki.withSans().certificate()))
                .contains("svc-orders");
    }

    @Test
    void shouldMapADnsName() {
        assertThat(mapper(rule(PrincipalSource.SAN_DNS, "([a-z0-9-]+)\\.example\\.com"))
                .principal(pki.withSans().certificate())).contains("orders");
    }

    @Test
    void shouldMapAUri() {
        assertThat(mapper(rule(PrincipalSource.SAN_URI, "spiffe://example\\.org/(.+)"))
                .principal(pki.withSans().certificate())).contains("orders");
    }

    @Test
    void shouldMapAnEmailAddress() {
        assertThat(mapper(rule(PrincipalSource.SAN_EMAIL, "(.+@example\\.com)"))
                .principal(pki.withSans().certificate())).contains("orders@example.com");
    }

    @Test
    void shouldLookOnlyAtAlternativeNamesOfTheRulesKind() {
        // the URI would match this pattern, but the rule is about DNS names
        assertThat(mapper(rule(PrincipalSource.SAN_DNS, "spiffe://example\\.org/(.+)"))
                .principal(pki.withSans().certificate())).isEmpty();
        assertThat(mapper(rule(PrincipalSource.SAN_DNS, "(.+)")).principal(pki.good().certificate())).isEmpty();
    }

    @Test
    void shouldTryEachAlternativeNameOfTheKind() {
        TestPki.Credential two = pki.client("two-dns", "CN=two", "DNS:first.other.org", "DNS:second.example.com");
        assertThat(mapper(rule(PrincipalSource.SAN_DNS, "([a-z]+)\\.example\\.com")).principal(two.certificate()))
                .contains("second");
    }

    @Test
    void shouldLetTheFirstMatchingRuleWin() {
        CertificatePrincipalMapper mapper = mapper(rule(PrincipalSource.SAN_URI, "spiffe://example\\.org/(.+)"), DEFAULT);
        assertThat(mapper.principal(pki.withSans().certificate())).contains("orders");
        assertThat(mapper.principal(pki.good().certificate())).as("no URI: the subject rule decides").contains("alice");
    }

    @Test
    void shouldSkipARuleWhoseResultIsNotAValidUserName() {
        TestPki.Credential spaced = pki.client("spaced", "CN=bad name!,O=Example", "DNS:fallback.example.com");
        CertificatePrincipalMapper mapper = mapper(DEFAULT, rule(PrincipalSource.SAN_DNS, "([a-z]+)\\.example\\.com"));
        assertThat(mapper.principal(spaced.certificate())).contains("fallback");
        assertThat(mapper(DEFAULT).principal(spaced.certificate())).isEmpty();
    }

    @Test
    void shouldNotMatchWhenTheGroupDidNotParticipate() {
        assertThat(mapper(rule(PrincipalSource.SUBJECT, "(nobody)?CN=alice")).principal(pki.good().certificate()))
                .isEmpty();
    }

    @Test
    void shouldMapNothingWithoutRules() {
        assertThat(mapper().principal(pki.good().certificate())).isEmpty();
    }
}
