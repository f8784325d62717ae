package org.securebroker.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerClientBuilder;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.server.config.BrokerConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How the CLI reaches a running broker: address and CA from the configuration unless given, and
 * the {@code admin} user with the password {@code broker init} wrote unless another user, a token
 * or a client certificate is given.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class ClientOptions {

    @Mixin
    Cli.ConfigOptions config;

    @Option(names = "--server", paramLabel = "HOST:PORT", description = "Broker address (default: the configured listener).")
    String server;

    @Option(names = "--ca", paramLabel = "FILE", description = "CA certificate to trust (default: DATA/tls/ca.crt).")
    Path ca;

    @Option(names = "--user", paramLabel = "NAME", defaultValue = "admin", description = "User (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "File holding the password (default for admin: DATA/secrets/admin.password).")
    Path passwordFile;

    @Option(names = "--password-stdin", description = "Read the password from standard input.")
    boolean passwordStdin;

    @Option(names = "--token-stdin", description = "Authenticate with a JWT read from standard input instead of a "
            + "password (e.g. from 'broker token mint').")
    boolean tokenStdin;

    @Option(names = "--client-cert", paramLabel = "FILE", description = "Present this client certificate (PEM chain); "
            + "without a password or token, authenticate with it alone (EXTERNAL). Needs --client-key.")
    Path clientCert;

    @Option(names = "--client-key", paramLabel = "FILE", description = "The client certificate's private key (PKCS#8 PEM).")
    Path clientKey;

    @Option(names = "--broker-keys", paramLabel = "FILE", description = "The broker's message-signing public keys "
            + "(PEM) that deliveries and receipts are verified against (default: tls/signing-keys.pem of the data "
            + "directory, if it exists).")
    Path brokerKeys;

    @Option(names = "--no-verify", description = "Accept deliveries and receipts without verifying the broker's "
            + "signatures (for brokers that run with integrity.disabledForBenchmarks).")
    boolean noVerify;

    @Option(names = "--sign-with", paramLabel = "FILE", description = "Sign every published message with this Ed25519 "
            + "private key (PKCS#8 PEM), registered for the principal with 'broker keys producer add'.")
    Path signWith;

    /**
     * Asks the broker to reload (RELOAD) if one answers; a broker that is not running picks the
     * change up when it starts, which is not an error.
     *
     * @return whether a broker answered
     * @throws org.securebroker.client.BrokerException if a broker answered and refused
     */
    boolean reloadIfRunning(java.io.PrintWriter out, String reloaded, String notRunning) {
        try (BrokerClient c = connect()) {
            c.reload();
            out.println(reloaded);
            return true;
        } catch (org.securebroker.client.BrokerException e) {
            if (!e.is(org.securebroker.protocol.ErrorCode.CONNECTION_LOST)) {
                throw e;
            }
            out.println("no broker answered (" + e.getMessage() + "); " + notRunning);
            return false;
        }
    }

    BrokerClient connect() {
        BrokerConfig c = config.load();
        String host = c.listener().host().equals("0.0.0.0") || c.listener().host().equals("::")
                ? "127.0.0.1" : c.listener().host();
        int port = c.listener().port();
        if (server != null) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0) {
                throw new Cli.UsageException("--server must be HOST:PORT, not '" + server + "'");
            }
            host = server.substring(0, colon);
            try {
                port = Integer.parseInt(server.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new Cli.UsageException("--server must be HOST:PORT, not '" + server + "'");
            }
        }
        BrokerClientBuilder builder = BrokerClient.builder()
                .address(host, port)
                .trustedCertificates(ca != null ? ca : c.dataDir().resolve(BrokerConfig.Layout.CA_CERT))
                .clientId("broker-cli")
                .connectTimeout(Duration.ofSeconds(10))
                .requestTimeout(Duration.ofSeconds(30))
                .reconnect(ReconnectPolicy.never());
        Path keys = brokerKeys != null ? brokerKeys : c.integrity().publicKeys();
        if (noVerify) {
            if (brokerKeys != null) {
                throw new Cli.UsageException("--broker-keys and --no-verify exclude each other");
            }
            builder.withoutSignatureVerification();
        } else if (brokerKeys != null || java.nio.file.Files.isRegularFile(keys)) {
            builder.brokerSigningKeys(keys);
        }
        if (signWith != null) {
            builder.producerSigningKey(signWith);
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new Cli.UsageException("--client-cert and --client-key go together");
        }
        if (clientCert != null) {
            builder.clientCertificate(clientCert, clientKey);
        }
        if (tokenStdin) {
            String token = readLine("--token-stdin").strip();
            return builder.tokenSupplier(() -> token).connect();
        }
        if (clientCert != null && passwordFile == null && !passwordStdin) {
            return builder.connect();
        }
        char[] password = password(c);
        try {
            return builder.credentials(user, password).connect();
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static String readLine(String option) {
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))
                    .readLine();
            if (line == null) {
                throw new Cli.UsageException(option + ": standard input was empty");
            }
            return line;
        } catch (IOException e) {
            throw new Cli.UsageException(option + ": " + e.getMessage());
        }
    }

    private char[] password(BrokerConfig c) {
        if (passwordStdin) {
            return readLine("--password-stdin").toCharArray();
        }
        Path file = passwordFile;
        if (file == null) {
            if (!user.equals("admin")) {
                throw new Cli.UsageException("give the password of '" + user + "' with --password-file or --password-stdin");
            }
            file = c.dataDir().resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE);
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new Cli.UsageException("cannot read the password file " + file + ": " + e.getMessage());
        }
    }
}
