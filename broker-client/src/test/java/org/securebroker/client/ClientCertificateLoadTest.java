package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.fake.TestPki;

class ClientCertificateLoadTest {

    private static final TestPki PKI = TestPki.create("Client CA");

    @TempDir
    Path dir;

    private final List<String> problems = new ArrayList<>();

    @Test
    void shouldLoadAnEcAndAnRsaCertificateWithTheirPkcs8Keys() {
        for (String algorithm : List.of("EC", "RSA")) {
            TestPki.ClientIdentity identity = PKI.issueClient("svc-" + algorithm, algorithm);

            Optional<ClientCertificate> loaded = ClientCertificate.load(identity.writeCertificatePem(dir),
                    identity.writeKeyPem(dir), problems);

            assertThat(problems).isEmpty();
            assertThat(loaded).hasValueSatisfying(c -> {
                assertThat(c.leaf()).isEqualTo(identity.certificate());
                assertThat(c.privateKey().getAlgorithm()).isEqualTo(algorithm);
                assertThat(c.toString()).contains("CN=svc-" + algorithm).doesNotContain("BEGIN");
            });
        }
    }

    @Test
    void shouldKeepTheWholeChainInOrder() {
        TestPki.ClientIdentity identity = PKI.issueClient("svc", "EC");
        Path chain = TestPki.writeCertificatesPem(dir.resolve("chain.pem"), identity.certificate(), PKI.caCertificate());

        Optional<ClientCertificate> loaded = ClientCertificate.load(chain, identity.writeKeyPem(dir), problems);

        assertThat(loaded.orElseThrow().chain()).containsExactly(identity.certificate(), PKI.caCertificate());
    }

    @Test
    void shouldReportAKeyOfAnotherCertificate() {
        TestPki.ClientIdentity identity = PKI.issueClient("svc", "EC");
        Path otherKey = PKI.issueClient("other", "EC").writeKeyPem(dir);

        assertThat(ClientCertificate.load(identity.writeCertificatePem(dir), otherKey, problems)).isEmpty();
        assertThat(problems).singleElement().asString().contains("does not belong to the certificate");
    }

    @Test
    void shouldExplainEncryptedAndTraditionalKeysAndMissingFiles() throws IOException {
        Path cert = PKI.issueClient("svc", "EC").writeCertificatePem(dir);
        Path encrypted = Files.writeString(dir.resolve("enc.key"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        Path traditional = Files.writeString(dir.resolve("ec.key"),
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        Path garbage = Files.writeString(dir.resolve("garbage.key"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);

        assertThat(ClientCertificate.load(cert, encrypted, problems)).isEmpty();
        assertThat(ClientCertificate.load(cert, traditional, problems)).isEmpty();
        assertThat(ClientCertificate.load(cert, garbage, problems)).isEmpty();
        assertThat(ClientCertificate.load(dir.resolve("missing.pem"), garbage, problems)).isEmpty();

        assertThat(problems).hasSize(4);
        assertThat(problems.get(0)).contains("encrypted").contains("PKCS#8");
        assertThat(problems.get(1)).contains("traditional OpenSSL format").contains("PKCS#8");
        assertThat(problems.get(2)).contains("does not hold a PKCS#8 EC private key");
        assertThat(problems.get(3)).contains("cannot read").contains("missing.pem");
        assertThat(problems).allMatch(p -> p.startsWith("clientCertificate: "));
    }
}
