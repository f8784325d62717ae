package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.client.BrokerClient;
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
@Command(name = "queue", mixinStandardHelpOptions = true, description = "Create, list and delete queues on a running broker.",
        subcommands = {QueueCommand.Create.class, QueueCommand.ListQueues.class, QueueCommand.Delete.class})
final class QueueCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name a queue command: create, list, delete");
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
}
