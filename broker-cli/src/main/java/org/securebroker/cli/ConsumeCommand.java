package org.securebroker.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.ReceivedMessage;
import org.securebroker.client.SubscribeOptions;
import org.securebroker.client.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code broker consume}: receives messages on a subscription, prints them and acknowledges them. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Receive messages on a subscription, print them and acknowledge them (unless --no-ack).")
final class ConsumeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    ClientOptions client;
    @Parameters(paramLabel = "QUEUE")
    String queue;
    @Option(names = {"-s", "--subscription"}, paramLabel = "NAME", defaultValue = "cli",
            description = "Subscription (default: ${DEFAULT-VALUE}).")
    String subscription;
    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "0", description = "Stop after N messages (0 = no limit).")
    int count;
    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "10s",
            description = "Stop when no message arrives for this long (default: ${DEFAULT-VALUE}).")
    String wait;
    @Option(names = "--no-ack", description = "Do not acknowledge: the messages will be delivered again.")
    boolean noAck;
    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
    Cli.Output output;
    @Option(names = "--export", paramLabel = "FILE", description = "Also append each message with its signatures to "
            + "FILE, one JSON object per line, for 'broker verify message'.")
    java.nio.file.Path export;

    @Override
    public Integer call() throws Exception {
        Duration idle = Cli.duration("--wait", wait);
        BlockingQueue<ReceivedMessage> received = new LinkedBlockingQueue<>();
        PrintWriter out = spec.commandLine().getOut();
        int got = 0;
        java.io.Writer exported = export == null ? null : java.nio.file.Files.newBufferedWriter(export,
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Subscription subscribed = null;
        try (exported; BrokerClient c = client.connect();
             Subscription s = c.subscribe(queue, subscription,
                     SubscribeOptions.builder().prefetch(count > 0 ? Math.min(count, 100) : 100).build(), received::add)) {
            subscribed = s;
            while ((count == 0 || got < count) && (s.isOpen() || !received.isEmpty())) {
                ReceivedMessage m = received.poll(idle.toMillis(), TimeUnit.MILLISECONDS);
                if (m == null) {
                    break;
                }
                print(out, m);
                if (exported != null) {
                    exported.write(Cli.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(SignedJson.message(m.signedMessage())) + "\n");
                    exported.flush();
                }
                if (noAck) {
                    m.nack(Duration.ofMinutes(1));
                } else {
                    m.ack();
                }
                got++;
            }
        }
        if (output == Cli.Output.TEXT) {
            spec.commandLine().getErr().println(got + " message(s) received");
        }
        if (subscribed != null && subscribed.failure().isPresent()) {
            spec.commandLine().getErr().println("error: " + subscribed.failure().get().getMessage());
            return 1;
        }
        return 0;
    }

    private void print(PrintWriter out, ReceivedMessage m) throws Exception {
        MessageLines.print(out, output, m.queue(), m.offset(), m.deliveryCount(), m.brokerTimestamp(),
                m.producerPrincipal(), m.headers(), m.payload());
    }
}
