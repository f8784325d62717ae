package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.io.Console;
import java.util.Locale;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrowseResult;
import org.securebroker.client.BrowsedMessage;
import org.securebroker.client.QueueInfo;
import org.securebroker.server.config.Durations;
import org.securebroker.client.QueueSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code broker queue ...}: queue administration on a running broker (needs the admin role). */
@Command(name = "queue", mixinStandardHelpOptions = true,
        description = "Create, list, delete, purge and browse queues on a running broker.",
        subcommands = {QueueCommand.Create.class, QueueCommand.ListQueues.class, QueueCommand.Delete.class,
            QueueCommand.Purge.class, QueueCommand.Browse.class})
final class QueueCommand implements Runnable {

    /** Messages one BROWSE asks for at most (the protocol's limit). */
    private static final int BROWSE_PAGE = 1000;

    @Override
    public void run() {
        throw new Cli.UsageException("name a queue command: create, list, delete, purge, browse");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a queue.")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--max-deliveries", paramLabel = "N", defaultValue = "0",
                description = "Dead-letter a message after N deliveries (0 = never).")
        long maxDeliveries;
        @Option(names = "--dead-letter-queue", paramLabel = "QUEUE", defaultValue = "",
                description = "Where dead-lettered and expired messages go (created if missing).")
        String deadLetterQueue;
        @Option(names = "--ttl", paramLabel = "DURATION", description = "Default time to live, e.g. 30s, 1h, 7d.")
        String ttl;
        @Option(names = "--require-producer-signatures", description = "Accept only messages signed with a key "
                + "registered for their producer's principal ('broker keys producer add').")
        boolean requireSignatures;

        @Override
        public Integer call() {
            Duration defaultTtl = ttl == null ? Duration.ZERO : Cli.duration("--ttl", ttl);
            try (BrokerClient c = client.connect()) {
                c.createQueue(QueueSpec.named(name).withMaxDeliveries(maxDeliveries).withDeadLetterQueue(deadLetterQueue)
                        .withDefaultTtl(defaultTtl).withRequiredProducerSignatures(requireSignatures));
            }
            spec.commandLine().getOut().println("queue '" + name + "' created");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List queues.")
    static final class ListQueues implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;

        @Override
        public Integer call() throws Exception {
            List<QueueInfo> queues;
            try (BrokerClient c = client.connect()) {
                queues = c.listQueues();
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output == Cli.Output.JSON) {
                ArrayNode list = Cli.JSON.createArrayNode();
                for (QueueInfo q : queues) {
                    ObjectNode n = list.addObject();
                    n.put("name", q.name());
                    n.put("messages", q.messages());
                    n.put("subscriptions", q.subscriptions());
                    n.put("maxDeliveries", q.maxDeliveries());
                    n.put("deadLetterQueue", q.deadLetterQueue());
                    n.put("defaultTtlMillis", q.defaultTtl().toMillis());
                }
                out.println(Cli.JSON.writeValueAsString(list));
                return 0;
            }
            text(out, queues);
            return 0;
        }

        /** The listing as a table; a TTL is written as the configuration and {@code --ttl} take it. */
        static void text(PrintWriter out, List<QueueInfo> queues) {
            out.printf("%-32s %10s %13s %14s %-24s %s%n", "NAME", "MESSAGES", "SUBSCRIPTIONS", "MAX-DELIVERIES",
                    "DEAD-LETTER-QUEUE", "TTL");
            for (QueueInfo q : queues) {
                out.printf("%-32s %10d %13d %14d %-24s %s%n", q.name(), q.messages(), q.subscriptions(), q.maxDeliveries(),
                        q.deadLetterQueue().isEmpty() ? "-" : q.deadLetterQueue(),
                        q.defaultTtl().isZero() ? "-" : Durations.format(q.defaultTtl()));
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a queue and destroy its messages (its data keys are shredded).")
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (BrokerClient c = client.connect()) {
                c.deleteQueue(name);
            }
            spec.commandLine().getOut().println("queue '" + name + "' deleted");
            return 0;
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true, description = "Remove every message the queue holds now, "
            + "for every subscription (messages published later are kept). Asks for confirmation unless --yes.")
    static final class Purge implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation (needed without a terminal).")
        boolean yes;

        @Override
        public Integer call() {
            if (!yes && !confirmed(Cli.terminal(), name)) {
                spec.commandLine().getErr().println("queue '" + name + "' not purged");
                return 1;
            }
            long purged;
            try (BrokerClient c = client.connect()) {
                purged = c.purgeQueue(name);
            }
            spec.commandLine().getOut().println(purged + " message(s) purged from queue '" + name + "'");
            return 0;
        }
    }

    /**
     * Asks on the terminal whether to purge {@code queue}.
     *
     * @throws Cli.UsageException when there is no terminal to ask on
     */
    private static boolean confirmed(Console terminal, String queue) {
        if (terminal == null) {
            throw new Cli.UsageException("purging destroys messages and needs confirmation; there is no terminal to "
                    + "ask on, so confirm with --yes");
        }
        String answer = terminal.readLine("Purge every message of queue %s for every subscription? [y/N] ",
                Cli.quote(queue));
        return isYes(answer);
    }

    /** Whether a confirmation answer says yes: {@code y} or {@code yes}, in any case; nothing else. */
    static boolean isYes(String answer) {
        if (answer == null) {
            return false;
        }
        String a = answer.strip().toLowerCase(Locale.ROOT);
        return a.equals("y") || a.equals("yes");
    }

    @Command(name = "browse", mixinStandardHelpOptions = true, description = "Print messages of a queue without "
            + "consuming them (no subscription changes), as 'broker consume' prints them; each is verified against the "
            + "broker's signing keys first.")
    static final class Browse implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "QUEUE")
        String queue;
        @Option(names = "--from", paramLabel = "OFFSET", defaultValue = "0",
                description = "First offset (default: ${DEFAULT-VALUE}, the oldest message the queue retains).")
        long from;
        @Option(names = "--max", paramLabel = "N", defaultValue = "100",
                description = "Print at most N messages (default: ${DEFAULT-VALUE}).")
        int max;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;

        @Override
        public Integer call() throws Exception {
            if (from < 0) {
                throw new Cli.UsageException("--from must not be negative, got " + from);
            }
            if (max < 1) {
                throw new Cli.UsageException("--max must be at least 1, got " + max);
            }
            PrintWriter out = spec.commandLine().getOut();
            int printed = 0;
            long next = from;
            try (BrokerClient c = client.connect()) {
                while (printed < max) {
                    BrowseResult page = c.browse(queue, next, Math.min(BROWSE_PAGE, max - printed));
                    for (BrowsedMessage m : page.messages()) {
                        MessageLines.print(out, output, m.queue(), m.offset(), 0, m.brokerTimestamp(),
                                m.producerPrincipal(), m.headers(), m.payload().toByteArray());
                        printed++;
                    }
                    long previous = next;
                    if (Long.compareUnsigned(page.nextOffset(), next) > 0) {
                        next = page.nextOffset();
                    }
                    if (page.messages().isEmpty() || next == previous) {
                        break;
                    }
                }
            }
            if (output == Cli.Output.TEXT) {
                spec.commandLine().getErr().println(printed + " message(s), next offset " + Long.toUnsignedString(next)
                        + (client.noVerify ? " (seals not verified: --no-verify)" : ", seals verified"));
            }
            return 0;
        }
    }
}
