package org.securebroker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.ProducerSignature;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.protocol.integrity.SignedMessage;
import org.securebroker.server.integrity.ProducerKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code broker verify message|receipt}: checks exported messages ({@code broker consume
 * --export}) or receipts ({@code broker produce --receipts}) offline, with nothing but the
 * broker's public keys (and the producers' keys for producer signatures). Exit code 0 when
 * every one verifies, 1 when any does not, 2 for bad usage.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify exported messages or receipts offline against the broker's public keys.",
        subcommands = {VerifyCommand.Messages.class, VerifyCommand.Receipts.class})
final class VerifyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name what to verify: message or receipt");
    }

    /** What both subcommands share. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--keys", paramLabel = "FILE", required = true, description = "The broker's message-signing "
                + "public keys (PEM; its tls/signing-keys.pem: current and retired keys).")
        Path keys;
        @Parameters(paramLabel = "FILE", arity = "1..*", description = "JSON lines files, one object per line.")
        List<Path> files;

        int ok;
        int bad;

        @Override
        public Integer call() throws IOException {
            KeySet pinned;
            try {
                pinned = KeyPem.readPublicKeys(keys);
            } catch (IOException e) {
                throw new Cli.UsageException("--keys: " + e.getMessage());
            }
            MessageVerifier verifier = new MessageVerifier(pinned);
            PrintWriter out = spec.commandLine().getOut();
            for (Path file : files) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).isBlank()) {
                        continue;
                    }
                    String where = file + ":" + (i + 1);
                    try {
                        JsonNode n = Cli.JSON.readTree(lines.get(i));
                        out.println(where + ": OK " + verify(n, verifier));
                        ok++;
                    } catch (IntegrityException e) {
                        out.println(where + ": FAILED " + e.reason() + ": " + e.getMessage());
                        bad++;
                    } catch (IOException | IllegalArgumentException e) {
                        out.println(where + ": FAILED MALFORMED: " + e.getMessage());
                        bad++;
                    }
                }
            }
            out.println(ok + " verified, " + bad + " failed");
            return bad == 0 ? 0 : 1;
        }

        /** Verifies one object; returns what it proves. */
        abstract String verify(JsonNode n, MessageVerifier verifier) throws IOException;
    }

    @Command(name = "message", mixinStandardHelpOptions = true,
            description = "Verify messages exported with 'broker consume --export': the broker's signature over "
                    + "queue, offset, time, producer, headers and payload, and (with --producer-keys) the "
                    + "producer's own signature.")
    static final class Messages extends Base {
        @Option(names = "--producer-keys", paramLabel = "FILE", description = "Registered producer keys (the broker's "
                + "producer-keys.txt): producer signatures are checked too, and required.")
        Path producerKeys;
        private ProducerKeys producers;

        @Override
        String verify(JsonNode n, MessageVerifier verifier) throws IOException {
            SignedMessage m = SignedJson.message(n);
            verifier.verify(m);
            String producer = "";
            if (producerKeys != null) {
                if (producers == null) {
                    producers = ProducerKeys.load(producerKeys);
                }
                ProducerSignature.verify(m.producerSignature(), producers.keysOf(m.producerPrincipal()), m.queue(),
                        m.producerId(), m.sequence(), m.headers(), Canonical.payloadDigest(m.payload()));
                producer = ", signed by its producer";
            }
            return Cli.quote(m.queue()) + " offset " + Long.toUnsignedString(m.offset()) + " from "
                    + Cli.quote(m.producerPrincipal()) + producer;
        }
    }

    @Command(name = "receipt", mixinStandardHelpOptions = true,
            description = "Verify receipts saved with 'broker produce --receipts': the broker accepted a message with "
                    + "this content digest at this queue, offset and time from this producer.")
    static final class Receipts extends Base {
        @Override
        String verify(JsonNode n, MessageVerifier verifier) {
            Receipt r = SignedJson.receipt(n);
            verifier.verify(r);
            return Cli.quote(r.queue()) + " offset " + Long.toUnsignedString(r.offset()) + " from "
                    + Cli.quote(r.producerPrincipal()) + " at "
                    + java.time.Instant.ofEpochMilli(r.brokerTimestampMillis()) + ", signed with key " + r.seal().keyId()
                    + (r.seal().auditPosition() > 0 ? ", audit position " + r.seal().auditPosition() : "");
        }
    }
}
