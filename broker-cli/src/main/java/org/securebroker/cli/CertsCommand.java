package org.securebroker.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.PrincipalNames;
import org.securebroker.server.tls.LocalCa;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker certs ...}: issues and revokes client certificates with the local CA that
 * {@code broker init} created in DATA/tls. A running broker picks up a changed CRL when
 * {@code tls.crl} points to it.
 *
 * <p>Thread-safety: not thread-safe (command objects are used once).
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Issue and revoke client certificates with the local CA (DATA/tls/ca.crt and ca.key).",
        subcommands = {CertsCommand.Issue.class, CertsCommand.Revoke.class, CertsCommand.Crl.class,
            CertsCommand.RenewServer.class})
final class CertsCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name a certs command: issue, revoke, crl, renew-server");
    }

    static Path tlsDir(BrokerConfig config) {
        return config.dataDir().resolve(BrokerConfig.Layout.TLS_DIR);
    }

    static LocalCa localCa(BrokerConfig config) throws IOException {
        Path dir = tlsDir(config);
        if (!Files.exists(dir.resolve(LocalCa.CA_CERT)) || !Files.exists(dir.resolve(LocalCa.CA_KEY))) {
            throw new IllegalStateException("no local CA in " + dir + " (" + LocalCa.CA_CERT + " and " + LocalCa.CA_KEY
                    + "); create one with 'broker init'");
        }
        return LocalCa.load(dir, Cli.CONTEXT.random(), Cli.CONTEXT.clock());
    }

    @Command(name = "renew-server", mixinStandardHelpOptions = true,
            description = {"Renew the server certificate from the local CA, for the same names and addresses, and have "
                + "a running broker use it for new connections at once (connected clients continue).",
                "With a certificate from another CA, replace tls.certificate and tls.privateKey yourself and run "
                    + "'broker reload'."})
    static final class RenewServer implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "397",
                description = "Validity in days, 1 to 3650 (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws Exception {
            if (days < 1 || days > 3650) {
                throw new Cli.UsageException("--days must be 1 to 3650, not " + days);
            }
            BrokerConfig config = client.config.load();
            Path certFile = config.tls().certificate();
            Path keyFile = config.tls().privateKey();
            X509Certificate current = leaf(certFile);
            List<String> dnsNames = new ArrayList<>();
            List<String> addresses = new ArrayList<>();
            if (current.getSubjectAlternativeNames() != null) {
                for (List<?> san : current.getSubjectAlternativeNames()) {
                    int kind = (Integer) san.get(0);
                    if (kind == 2) {
                        dnsNames.add((String) san.get(1));
                    } else if (kind == 7) {
                        addresses.add((String) san.get(1));
                    }
                }
            }
            String cn = new org.bouncycastle.asn1.x500.X500Name(current.getSubjectX500Principal().getName())
                    .getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN)[0].getFirst().getValue().toString();
            LocalCa ca = localCa(config);
            Path newCert = certFile.resolveSibling(certFile.getFileName() + ".new");
            Path newKey = keyFile.resolveSibling(keyFile.getFileName() + ".new");
            Files.deleteIfExists(newCert);
            Files.deleteIfExists(newKey);
            ca.issueServer(cn, dnsNames, addresses, Duration.ofDays(days), newCert, newKey);
            // key first: until the certificate follows, the broker refuses the mismatched pair and keeps the old one
            Files.move(newKey, keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files.move(newCert, certFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            X509Certificate renewed = leaf(certFile);
            PrintWriter out = spec.commandLine().getOut();
            out.println("Renewed the server certificate CN=" + cn + " for " + dnsNames + " " + addresses + " (serial "
                    + renewed.getSerialNumber().toString(16) + "), valid until " + renewed.getNotAfter().toInstant()
                    + " (was " + current.getNotAfter().toInstant() + ")");
            client.reloadIfRunning(out, "the broker uses it for new connections now",
                    "a running broker picks the files up within 5 s, or at its next start");
            return 0;
        }
    }

    /** The first certificate of a PEM chain file. */
    private static X509Certificate leaf(Path file) throws IOException, java.security.cert.CertificateException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static Path defaultCrl(BrokerConfig config) {
        return tlsDir(config).resolve(LocalCa.CA_CRL);
    }

    static void printCrlReminder(PrintWriter out, BrokerConfig config, Path crlFile, X509CRL crl) {
        Path configured = config.tls().crl();
        if (configured != null && configured.toAbsolutePath().normalize().equals(crlFile.toAbsolutePath().normalize())) {
            out.println("tls.crl points to this file: a running broker picks the change up within seconds "
                    + "(or at once on SIGHUP or 'broker reload').");
        } else {
            out.println("The broker enforces it once tls.crl points to " + crlFile.toAbsolutePath()
                    + " (with tls.clientAuth OPTIONAL or REQUIRED); it reloads the CRL when the file changes, on SIGHUP "
                    + "or with 'broker reload'.");
        }
        out.println("Publish a fresh CRL with 'broker certs crl' before " + crl.getNextUpdate().toInstant()
                + "; a stale CRL stays enforced but the broker warns about it.");
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue a client certificate (extended key usage clientAuth) for NAME, signed by the local CA.")
    static final class Issue implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME", description = "The subject's common name (CN=NAME); with the default mapping "
                + "rule it is the principal, so it must be a valid user name.")
        String name;
        @Option(names = "--dns", paramLabel = "NAME", description = "A DNS subject alternative name (repeatable).")
        List<String> dns = new ArrayList<>();
        @Option(names = "--uri", paramLabel = "URI", description = "A URI subject alternative name (repeatable), "
                + "e.g. spiffe://example.org/orders.")
        List<String> uris = new ArrayList<>();
        @Option(names = "--email", paramLabel = "ADDRESS", description = "An email subject alternative name (repeatable).")
        List<String> emails = new ArrayList<>();
        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "397",
                description = "Validity in days, 1 to 3650 (default: ${DEFAULT-VALUE}).")
        int days;
        @Option(names = "--out-cert", paramLabel = "FILE", description = "Where to write the certificate chain "
                + "(default: DATA/tls/clients/NAME.crt).")
        Path certFile;
        @Option(names = "--out-key", paramLabel = "FILE", description = "Where to write the private key, readable by "
                + "you only (default: DATA/tls/clients/NAME.key).")
        Path keyFile;
        @Option(names = "--force", description = "Replace existing files.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            try {
                PrincipalNames.validate(name);
            } catch (IllegalArgumentException e) {
                throw new Cli.UsageException(e.getMessage());
            }
            if (days < 1 || days > 3650) {
                throw new Cli.UsageException("--days must be 1 to 3650, not " + days);
            }
            BrokerConfig config = options.load();
            Path clients = tlsDir(config).resolve("clients");
            Path cert = certFile != null ? certFile : clients.resolve(name + ".crt");
            Path key = keyFile != null ? keyFile : clients.resolve(name + ".key");
            if (cert.toAbsolutePath().normalize().equals(key.toAbsolutePath().normalize())) {
                throw new Cli.UsageException("--out-cert and --out-key must be different files");
            }
            if (!force) {
                for (Path p : List.of(cert, key)) {
                    if (Files.exists(p)) {
                        throw new IllegalStateException(p + " exists already; nothing was changed (use --force to "
                                + "replace it; a replaced certificate stays valid until it expires or is revoked)");
                    }
                }
            }
            LocalCa ca = localCa(config);
            X509Certificate issued;
            try {
                issued = ca.issueClient(name, new LocalCa.ClientNames(dns, uris, emails), Duration.ofDays(days), cert,
                        key);
            } catch (IllegalArgumentException e) {
                throw new Cli.UsageException(e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("Issued a client certificate for CN=" + name + " (serial "
                    + issued.getSerialNumber().toString(16) + "), valid until " + issued.getNotAfter().toInstant() + ":");
            out.println("  " + cert + "  certificate chain (give it to the client)");
            out.println("  " + key + "  private key (0600; give it to the client only)");
            List<String> sans = new ArrayList<>();
            dns.forEach(d -> sans.add("DNS:" + d));
            uris.forEach(u -> sans.add("URI:" + u));
            emails.forEach(e -> sans.add("email:" + e));
            if (!sans.isEmpty()) {
                out.println("  subject alternative names: " + String.join(", ", sans));
            }
            out.println("The broker accepts it when tls.clientAuth is OPTIONAL or REQUIRED and tls.clientCa is "
                    + tlsDir(config).resolve(LocalCa.CA_CERT) + "; the default mapping makes it principal '" + name
                    + "'.");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a certificate issued by the local CA: add it to the CRL (created if missing).")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "CERT_FILE", description = "The certificate to revoke (PEM; the first certificate "
                + "in the file).")
        Path certFile;
        @Option(names = "--crl", paramLabel = "FILE", description = "The CRL to extend (default: DATA/tls/ca.crl).")
        Path crlFile;
        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "7",
                description = "Days until the CRL's next update, 1 to 366 (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException {
            if (days < 1 || days > 366) {
                throw new Cli.UsageException("--days must be 1 to 366, not " + days);
            }
            if (!Files.exists(certFile)) {
                throw new Cli.UsageException(certFile + " does not exist");
            }
            BrokerConfig config = options.load();
            Path crl = crlFile != null ? crlFile : defaultCrl(config);
            X509Certificate certificate = LocalCa.readCertificates(certFile).get(0);
            LocalCa.Revocation r;
            try {
                r = localCa(config).revoke(certificate, crl, Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            String who = certificate.getSubjectX500Principal().getName() + " (serial "
                    + certificate.getSerialNumber().toString(16) + ")";
            out.println(r.alreadyRevoked() ? who + " was already revoked on " + r.revokedAt() + "; the CRL was re-issued"
                    : "Revoked " + who + " on " + r.revokedAt() + ".");
            out.println("CRL " + crl + ": " + count(r.crl()) + " revoked certificate(s), next update "
                    + r.crl().getNextUpdate().toInstant() + ".");
            printCrlReminder(out, config, crl, r.crl());
            return 0;
        }
    }

    @Command(name = "crl", mixinStandardHelpOptions = true,
            description = "Re-issue the CRL with a new next-update date (create an empty one if missing).")
    static final class Crl implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Option(names = "--crl", paramLabel = "FILE", description = "The CRL (default: DATA/tls/ca.crl).")
        Path crlFile;
        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "7",
                description = "Days until the next update, 1 to 366 (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException {
            if (days < 1 || days > 366) {
                throw new Cli.UsageException("--days must be 1 to 366, not " + days);
            }
            BrokerConfig config = options.load();
            Path crl = crlFile != null ? crlFile : defaultCrl(config);
            X509CRL issued;
            try {
                issued = localCa(config).issueCrl(crl, Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("CRL " + crl + " issued: " + count(issued) + " revoked certificate(s), next update "
                    + issued.getNextUpdate().toInstant() + ".");
            printCrlReminder(out, config, crl, issued);
            return 0;
        }
    }

    private static int count(X509CRL crl) {
        return crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
    }
}
