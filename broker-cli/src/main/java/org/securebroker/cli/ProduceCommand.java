package org.securebroker.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.Message;
import org.securebroker.client.SendReceipt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code broker produce}: publishes messages given on the command line or one per line of standard input. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Publish messages: each --message, or else one message per line of standard input. "
                + "Prints the offset of each once the broker has stored it.")
final class ProduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    ClientOptions client;
    @Parameters(paramLabel = "QUEUE")
    String queue;
    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "A message (repeatable).")
    List<String> messages = new ArrayList<>();
    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "A header for every message (repeatable).")
    List<String> headers = new ArrayList<>();
    @Option(names = "--ttl", paramLabel = "DURATION", description = "Time to live, e.g. 30s, 1h.")
    String ttl;
    @Option(names = "--receipts", paramLabel = "FILE", description = "Append the broker's signed receipt of each "
            + "message to FILE, one JSON object per line, for 'broker verify receipt'.")
    java.nio.file.Path receipts;

    /**
     * Sends at most this many messages ahead of their acknowledgements: below the client's send
     * buffer, so reading a long file waits for the broker instead of overflowing the buffer.
     */
    static final int WINDOW = 512;

    @Override
    public Integer call() throws Exception {
        Duration timeToLive = ttl == null ? null : Cli.duration("--ttl", ttl);
        BufferedReader in = messages.isEmpty()
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)) : null;
        java.util.Iterator<String> given = messages.iterator();
        int[] missing = {0};
        try (BrokerClient c = client.connect();
             java.io.Writer kept = receipts == null ? null : java.nio.file.Files.newBufferedWriter(receipts,
                     StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                     java.nio.file.StandardOpenOption.APPEND)) {
            ArrayDeque<CompletableFuture<SendReceipt>> sent = new ArrayDeque<>();
            for (String text = next(in, given); text != null; text = next(in, given)) {
                if (sent.size() >= WINDOW) {
                    report(sent.poll().join(), kept, missing);
                }
                sent.add(c.sendAsync(queue, message(text, timeToLive)));
            }
            while (!sent.isEmpty()) {
                report(sent.poll().join(), kept, missing);
            }
        }
        return missing[0] == 0 ? 0 : 1;
    }

    /** The next message's text: the next --message, else the next line of standard input; null at the end. */
    private static String next(BufferedReader in, java.util.Iterator<String> given) throws java.io.IOException {
        if (in == null) {
            return given.hasNext() ? given.next() : null;
        }
        return in.readLine();
    }

    private Message message(String text, Duration timeToLive) {
        Message.Builder m = Message.builder().payload(text);
        for (String h : headers) {
            int eq = h.indexOf('=');
            if (eq <= 0) {
                throw new Cli.UsageException("--header must be KEY=VALUE, not '" + h + "'");
            }
            m.header(h.substring(0, eq), h.substring(eq + 1));
        }
        if (timeToLive != null) {
            m.ttl(timeToLive);
        }
        return m.build();
    }

    /** Prints where a message was stored and keeps its receipt; counts messages without one. */
    private void report(SendReceipt r, java.io.Writer kept, int[] missing) throws java.io.IOException {
        spec.commandLine().getOut().println("stored at offset " + r.offset() + (r.duplicate() ? " (duplicate)" : ""));
        if (kept != null && r.receipt().isEmpty()) {
            spec.commandLine().getErr().println("no receipt for offset " + r.offset() + ": the broker "
                    + "signs nothing while integrity.disabledForBenchmarks is on, and a resent duplicate "
                    + "gets none when its original is unsigned or no longer kept");
            missing[0]++;
        } else if (kept != null) {
            kept.write(Cli.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(SignedJson.receipt(r.receipt())) + "\n");
        }
    }
}
