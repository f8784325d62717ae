package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.tls.CertificatePrincipalMapper;
import org.securebroker.server.tls.ClientCertificateVerifier;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.server.tls.TestPki;

/** {@code broker certs issue / revoke / crl} against a data directory with a local CA. */
class CertsCommandTest {

    @TempDir
    Path dir;
    Path data;
    Path tls;
    LocalCa ca;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--data",
                data.toString())).toArray(String[]::new);
        int exit = BrokerCli.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void createCa() throws Exception {
        data = dir.resolve("data");
        tls = data.resolve(BrokerConfig.Layout.TLS_DIR);
        ca = LocalCa.create(tls, "test CA", Duration.ofDays(365), new SecureRandom(), Clock.systemUTC());
    }

    private ClientCertificateVerifier verifier(List<X509CRL> crls) {
        return new ClientCertificateVerifier(List.of(ca.certificate()), crls, Clock.systemUTC());
    }

    private static X509Certificate certificate(Path file) throws Exception {
        return LocalCa.readCertificates(file).get(0);
    }

    @Test
    void shouldRenewTheServerCertificateForTheSameNamesAndKeepThePairMatched() throws Exception {
        Path cert = data.resolve(BrokerConfig.Layout.SERVER_CERT);
        Path key = data.resolve(BrokerConfig.Layout.SERVER_KEY);
        ca.issueServer("securebroker", List.of("localhost", "broker.example.org"), List.of("127.0.0.1"),
                Duration.ofDays(10), cert, key);
        java.nio.file.Files.createDirectories(data.resolve("secrets"));
        java.nio.file.Files.writeString(data.resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE), "not used here");
        X509Certificate old = certificate(cert);

        Run renew = run("certs", "renew-server", "--server", "127.0.0.1:1");
        assertThat(renew.exit()).as(renew.err()).isZero();
        assertThat(renew.out()).contains("Renewed the server certificate CN=securebroker")
                .contains("no broker answered");
        X509Certificate renewed = certificate(cert);
        assertThat(renewed.getSerialNumber()).isNotEqualTo(old.getSerialNumber());
        assertThat(List.copyOf(renewed.getSubjectAlternativeNames()))
                .isEqualTo(List.copyOf(old.getSubjectAlternativeNames()));
        assertThat(renewed.getNotAfter().toInstant()).isAfter(java.time.Instant.now().plus(Duration.ofDays(300)));
        assertThat(org.securebroker.server.tls.TlsMaterial.keyMatches(LocalCa.readPrivateKey(key),
                renewed.getPublicKey())).isTrue();
        assertThat(java.nio.file.Files.exists(cert.resolveSibling("server.crt.new"))).isFalse();
    }

    @Test
    void shouldIssueAClientCertificateWithAlternativeNamesAndAPrivateKey() throws Exception {
        Run issue = run("certs", "issue", "orders", "--dns", "orders.example.com", "--uri",
                "spiffe://example.org/orders", "--email", "orders@example.com", "--days", "30");

        assertThat(issue.exit()).as(issue.err()).isZero();
        Path cert = tls.resolve("clients/orders.crt");
        Path key = tls.resolve("clients/orders.key");
        assertThat(issue.out()).contains("Issued a client certificate for CN=orders").contains(cert.toString())
                .contains(key.toString()).contains("DNS:orders.example.com, URI:spiffe://example.org/orders, "
                        + "email:orders@example.com").contains("principal 'orders'");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(key)).doesNotContain("ENCRYPTED").contains("BEGIN PRIVATE KEY");
        assertThat(issue.out()).doesNotContain(Files.readString(key).lines().skip(1).findFirst().orElseThrow());

        X509Certificate issued = certificate(cert);
        assertThat(issued.getSubjectX500Principal().getName()).isEqualTo("CN=orders");
        assertThat(issued.getExtendedKeyUsage()).containsExactly(ClientCertificateVerifier.CLIENT_AUTH);
        assertThat(issued.getSubjectAlternativeNames()).containsExactlyInAnyOrder(List.of(2, "orders.example.com"),
                List.of(6, "spiffe://example.org/orders"), List.of(1, "orders@example.com"));
        assertThat(issued.getNotAfter().toInstant()).isBetween(Instant.now().plus(Duration.ofDays(29)),
                Instant.now().plus(Duration.ofDays(31)));
        assertThatCode(() -> verifier(List.of()).checkClientTrusted(new X509Certificate[] {issued}, "UNKNOWN"))
                .doesNotThrowAnyException();
        assertThat(new CertificatePrincipalMapper(List.of(new BrokerConfig.PrincipalRule(
                BrokerConfig.PrincipalSource.SAN_URI, Pattern.compile("spiffe://example\\.org/(.+)"))))
                .principal(issued)).contains("orders");
    }

    @Test
    void shouldWriteToChosenFilesAndRefuseToOverwriteWithoutForce() throws Exception {
        Path cert = dir.resolve("out/bob.pem");
        Path key = dir.resolve("out/bob-key.pem");
        assertThat(run("certs", "issue", "bob", "--out-cert", cert.toString(), "--out-key", key.toString()).exit())
                .isZero();
        X509Certificate first = certificate(cert);

        Run again = run("certs", "issue", "bob", "--out-cert", cert.toString(), "--out-key", key.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains(cert + " exists already; nothing was changed (use --force");
        assertThat(certificate(cert)).isEqualTo(first);

        Run forced = run("certs", "issue", "bob", "--out-cert", cert.toString(), "--out-key", key.toString(), "--force");
        assertThat(forced.exit()).as(forced.err()).isZero();
        assertThat(certificate(cert)).isNotEqualTo(first);
    }

    @Test
    void shouldRefuseBadNamesAndValues() {
        Run badName = run("certs", "issue", "bad name");
        assertThat(badName.exit()).isEqualTo(2);
        assertThat(badName.err()).contains("invalid user name 'bad name'");
        Run injection = run("certs", "issue", "alice,O=admins");
        assertThat(injection.exit()).isEqualTo(2);
        Run badUri = run("certs", "issue", "carol", "--uri", "not a uri");
        assertThat(badUri.exit()).isEqualTo(2);
        assertThat(badUri.err()).contains("invalid URI 'not a uri'");
        Run badDns = run("certs", "issue", "carol", "--dns", "under_score..example");
        assertThat(badDns.exit()).isEqualTo(2);
        assertThat(badDns.err()).contains("invalid DNS name");
        Run badDays = run("certs", "issue", "carol", "--days", "0");
        assertThat(badDays.exit()).isEqualTo(2);
        assertThat(Files.exists(tls.resolve("clients/carol.crt"))).isFalse();
    }

    @Test
    void shouldRevokeIntoACrlThatKeepsEarlierEntries() throws Exception {
        assertThat(run("certs", "issue", "alice").exit()).isZero();
        assertThat(run("certs", "issue", "bob").exit()).isZero();
        Path alice = tls.resolve("clients/alice.crt");
        Path bob = tls.resolve("clients/bob.crt");
        Path crlFile = tls.resolve(LocalCa.CA_CRL);

        Run revokeAlice = run("certs", "revoke", alice.toString());
        assertThat(revokeAlice.exit()).as(revokeAlice.err()).isZero();
        assertThat(revokeAlice.out()).contains("Revoked CN=alice (serial " + certificate(alice).getSerialNumber().toString(16))
                .contains("CRL " + crlFile + ": 1 revoked certificate(s), next update")
                .contains("tls.crl").contains("SIGHUP").contains("broker reload");

        Run revokeBob = run("certs", "revoke", bob.toString());
        assertThat(revokeBob.exit()).as(revokeBob.err()).isZero();
        assertThat(revokeBob.out()).contains("2 revoked certificate(s)");

        X509CRL crl = LocalCa.readCrls(crlFile).get(0);
        assertThat(crl.getRevokedCertificates()).hasSize(2);
        assertThat(crl.getNextUpdate().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(6)));
        ClientCertificateVerifier verifier = verifier(List.of(crl));
        assertThatThrownBy(() -> verifier.checkClientTrusted(new X509Certificate[] {certificate(alice)}, "UNKNOWN"))
                .hasMessageContaining("CN=alice: revoked on");
        assertThatThrownBy(() -> verifier.checkClientTrusted(new X509Certificate[] {certificate(bob)}, "UNKNOWN"))
                .hasMessageContaining("CN=bob: revoked on");

        Run twice = run("certs", "revoke", alice.toString());
        assertThat(twice.exit()).isZero();
        assertThat(twice.out()).contains("was already revoked on");
        assertThat(LocalCa.readCrls(crlFile).get(0).getRevokedCertificates()).hasSize(2);
    }

    @Test
    void shouldRefuseToRevokeACertificateOfAnotherCa() throws Exception {
        TestPki other = TestPki.create(dir.resolve("other"));
        Run revoke = run("certs", "revoke", other.good().certFile().toString());
        assertThat(revoke.exit()).isEqualTo(1);
        assertThat(revoke.err()).contains("was not issued by this CA").contains("nothing was changed");
        assertThat(Files.exists(tls.resolve(LocalCa.CA_CRL))).isFalse();
    }

    @Test
    void shouldRefuseToExtendACrlOfAnotherCa() throws Exception {
        assertThat(run("certs", "issue", "alice").exit()).isZero();
        TestPki other = TestPki.create(dir.resolve("other"));
        Path crl = tls.resolve(LocalCa.CA_CRL);
        Files.copy(other.crlFile(), crl);
        Run revoke = run("certs", "revoke", tls.resolve("clients/alice.crt").toString());
        assertThat(revoke.exit()).isEqualTo(1);
        assertThat(revoke.err()).contains("is not a CRL of this CA");
        assertThat(Files.readAllBytes(crl)).isEqualTo(Files.readAllBytes(other.crlFile()));
    }

    @Test
    void shouldReissueTheCrlKeepingItsEntries() throws Exception {
        assertThat(run("certs", "issue", "alice").exit()).isZero();
        assertThat(run("certs", "revoke", tls.resolve("clients/alice.crt").toString()).exit()).isZero();
        X509CRL before = LocalCa.readCrls(tls.resolve(LocalCa.CA_CRL)).get(0);

        Run crl = run("certs", "crl", "--days", "30");

        assertThat(crl.exit()).as(crl.err()).isZero();
        assertThat(crl.out()).contains("1 revoked certificate(s)");
        X509CRL after = LocalCa.readCrls(tls.resolve(LocalCa.CA_CRL)).get(0);
        assertThat(after.getRevokedCertificates()).isEqualTo(before.getRevokedCertificates());
        assertThat(after.getNextUpdate().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(29)));
    }

    @Test
    void shouldExplainAMissingCa() throws Exception {
        Files.delete(tls.resolve(LocalCa.CA_KEY));
        Run issue = run("certs", "issue", "alice");
        assertThat(issue.exit()).isEqualTo(1);
        assertThat(issue.err()).contains("no local CA in " + tls).contains("broker init");
    }
}
