package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.tls.LocalCa;

/**
 * Replacing the server certificate of a running broker (the default bootstrapped TLS, no client
 * certificates): by RELOAD, by {@code broker reload} and by the file poll, new connections get
 * the new certificate while existing ones continue, and a bad file is refused by name with the
 * certificate in force left in place.
 */
class TlsReloadIT {

    /** The broker polls the TLS files every 5 s; allow two polls and some. */
    private static final Duration POLL_DEADLINE = Duration.ofSeconds(12);

    @TempDir
    Path dir;

    private Path data;
    private Path serverCert;
    private Path serverKey;
    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        data = dir.resolve("data");
        serverCert = data.resolve(BrokerConfig.Layout.SERVER_CERT);
        serverKey = data.resolve(BrokerConfig.Layout.SERVER_KEY);
        broker = new TestBroker(data);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    /**
     * Issues a server certificate from the data directory's CA and puts it and its key in place
     * the way an operator should: written beside them, then each renamed over the old file.
     */
    private X509Certificate replaceServerCertificate() throws IOException {
        Path tls = data.resolve(BrokerConfig.Layout.TLS_DIR);
        Path cert = tls.resolve("next-server.crt");
        Path key = tls.resolve("next-server.key");
        LocalCa.load(tls, new SecureRandom(), Clock.systemUTC()).issueServer("securebroker", List.of("localhost"),
                List.of("127.0.0.1", "::1"), Duration.ofDays(30), cert, key);
        X509Certificate issued = LocalCa.readCertificates(cert).get(0);
        Files.move(key, serverKey, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(cert, serverCert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return issued;
    }

    /** The serial of the certificate a new connection gets. */
    private BigInteger servedSerial() throws Exception {
        try (RawConnection c = broker.raw()) {
            return c.serverCertificate().getSerialNumber();
        }
    }

    private static ErrorFrame expectReloadRefused(RawConnection admin, int correlationId) throws Exception {
        admin.send(new ReloadFrame(correlationId));
        ErrorFrame refused = admin.expect(ErrorFrame.class);
        assertThat(refused.correlationId()).isEqualTo(correlationId);
        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
        return refused;
    }

    private record Run(int exit, String out, String err) {
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldServeTheNewCertificateToNewConnectionsAfterReloadWhileConnectedClientsContinue() throws Exception {
        try (RawConnection admin = broker.admin()) {
            BigInteger before = admin.serverCertificate().getSerialNumber();
            X509Certificate next = replaceServerCertificate();
            long sent = System.nanoTime();
            admin.send(new ReloadFrame(3));
            admin.expect(OkFrame.class);
            long millis = (System.nanoTime() - sent) / 1_000_000;

            assertThat(servedSerial()).as("a new connection's server certificate").isEqualTo(next.getSerialNumber())
                    .isNotEqualTo(before);
            admin.send(new PingFrame(4, 99));
            assertThat(admin.expect(PongFrame.class).payload()).as("the connection made before the reload").isEqualTo(99);
            assertThat(admin.serverCertificate().getSerialNumber()).isEqualTo(before);
            System.out.printf("TlsReloadIT: RELOAD of a new server certificate answered OK in %d ms%n", millis);
        }
    }

    @Test
    void shouldRefuseABadFileByNameAndKeepTheCertificateInForce() throws Exception {
        BigInteger inForce = servedSerial();
        byte[] goodCert = Files.readAllBytes(serverCert);
        try (RawConnection admin = broker.admin()) {
            Files.writeString(serverCert, "this is not a certificate\n", StandardCharsets.US_ASCII);
            ErrorFrame garbage = expectReloadRefused(admin, 3);
            assertThat(garbage.message()).contains("tls.certificate " + serverCert).contains("previous material stays");
            assertThat(servedSerial()).isEqualTo(inForce);

            // a well-formed pair whose key does not belong to the certificate
            Path tls = data.resolve(BrokerConfig.Layout.TLS_DIR);
            LocalCa.load(tls, new SecureRandom(), Clock.systemUTC()).issueServer("securebroker", List.of("localhost"),
                    List.of("127.0.0.1"), Duration.ofDays(30), tls.resolve("other.crt"), tls.resolve("other.key"));
            Files.write(serverCert, goodCert);
            Files.move(tls.resolve("other.key"), serverKey, StandardCopyOption.REPLACE_EXISTING);
            ErrorFrame mismatch = expectReloadRefused(admin, 4);
            assertThat(mismatch.message()).contains("tls.privateKey " + serverKey)
                    .contains("does not belong to the certificate");
            assertThat(servedSerial()).isEqualTo(inForce);

            admin.send(new PingFrame(5, 1));
            assertThat(admin.expect(PongFrame.class).payload()).isEqualTo(1);
            X509Certificate next = replaceServerCertificate();
            admin.send(new ReloadFrame(6));
            admin.expect(OkFrame.class);
            assertThat(servedSerial()).as("a good pair is taken after the refusals").isEqualTo(next.getSerialNumber());
            System.out.printf("TlsReloadIT: refused by RELOAD: \"%s\" and \"%s\"%n", garbage.message(),
                    mismatch.message());
        }
    }

    @Test
    void shouldPickUpChangedFilesWithoutReload() throws Exception {
        BigInteger before = servedSerial();
        long changed = System.nanoTime();
        X509Certificate next = replaceServerCertificate();
        Awaitility.await("new connections get the replaced certificate").atMost(POLL_DEADLINE)
                .pollInterval(Duration.ofMillis(100)).until(this::servedSerial, next.getSerialNumber()::equals);
        long millis = (System.nanoTime() - changed) / 1_000_000;
        assertThat(next.getSerialNumber()).isNotEqualTo(before);
        System.out.printf("TlsReloadIT: without RELOAD, new connections got the replaced certificate %d ms after "
                + "the files changed (poll every 5 s)%n", millis);
    }

    @Test
    void shouldReloadFromTheCommandLineAndExplainABadFile() throws Exception {
        String[] reload = {"reload", "--data", data.toString(), "--server", "127.0.0.1:" + broker.port()};
        X509Certificate next = replaceServerCertificate();
        long started = System.nanoTime();
        Run ok = cli(reload);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("reloaded");
        assertThat(servedSerial()).isEqualTo(next.getSerialNumber());

        byte[] goodKey = Files.readAllBytes(serverKey);
        Files.writeString(serverKey, "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
                StandardCharsets.US_ASCII);
        Run refused = cli(reload);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains(serverKey.toString());
        assertThat(servedSerial()).isEqualTo(next.getSerialNumber());
        Files.write(serverKey, goodKey);
        System.out.printf("TlsReloadIT: 'broker reload' took %d ms (connect, log in, RELOAD); a bad key file: %s",
                millis, refused.err());
    }
}
