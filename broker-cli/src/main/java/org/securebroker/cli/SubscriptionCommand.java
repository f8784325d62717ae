package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.SubscriptionInfo;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker subscription ...}: the subscriptions of a queue on a running broker (protocol
 * version 2). Each needs {@code consume} on the queue.
 */
@Command(name = "subscription", mixinStandardHelpOptions = true,
        description = "List, delete and move (seek) the subscriptions of a queue on a running broker.",
        subcommands = {SubscriptionCommand.ListSubscriptions.class, SubscriptionCommand.Delete.class,
            SubscriptionCommand.Seek.class})
final class SubscriptionCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name a subscription command: list, delete, seek");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the subscriptions of a queue: "
            + "attached consumers, pending messages (lag), in-flight deliveries, cursor, last activity, idle expiry.")
    static final class ListSubscriptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "QUEUE")
        String queue;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;
        @Option(names = "--json", description = "Same as --output json.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<SubscriptionInfo> subscriptions;
            try (BrokerClient c = client.connect()) {
                subscriptions = c.listSubscriptions(queue);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(json || output == Cli.Output.JSON ? json(subscriptions) : table(subscriptions));
            out.flush();
            return 0;
        }
    }

    /** The text table, one subscription per line; times in UTC to the second. */
    static String table(List<SubscriptionInfo> subscriptions) {
        StringBuilder out = new StringBuilder();
        String format = "%-24s %9s %10s %9s %10s %-20s %s%n";
        out.append(String.format(format, "NAME", "CONSUMERS", "PENDING", "IN-FLIGHT", "CURSOR", "LAST-ACTIVE",
                "EXPIRES"));
        for (SubscriptionInfo s : subscriptions) {
            out.append(String.format(format, s.name(), s.consumers(), Long.toUnsignedString(s.pending()), s.inFlight(),
                    Long.toUnsignedString(s.cursor()), time(s.lastActive(), "-"),
                    time(s.expiresAt(), s.consumers() > 0 ? "-" : "never")));
        }
        return out.toString();
    }

    private static String time(Optional<Instant> t, String absent) {
        return t.map(i -> i.truncatedTo(ChronoUnit.SECONDS).toString()).orElse(absent);
    }

    /** A JSON array; an unknown last activity and a subscription that does not expire are null. */
    static String json(List<SubscriptionInfo> subscriptions) throws Exception {
        ArrayNode list = Cli.JSON.createArrayNode();
        for (SubscriptionInfo s : subscriptions) {
            ObjectNode n = list.addObject();
            n.put("name", s.name());
            n.put("consumers", s.consumers());
            n.put("pending", s.pending());
            n.put("inFlight", s.inFlight());
            n.put("cursor", s.cursor());
            n.put("lastActive", s.lastActive().map(Instant::toString).orElse(null));
            n.put("expiresAt", s.expiresAt().map(Instant::toString).orElse(null));
        }
        return Cli.JSON.writeValueAsString(list) + System.lineSeparator();
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a subscription: its consumers "
            + "are cancelled, and the messages only it still held are released.")
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "QUEUE")
        String queue;
        @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
        String subscription;

        @Override
        public Integer call() {
            try (BrokerClient c = client.connect()) {
                c.deleteSubscription(queue, subscription);
            }
            spec.commandLine().getOut().println("subscription '" + subscription + "' of '" + queue + "' deleted");
            return 0;
        }
    }

    @Command(name = "seek", mixinStandardHelpOptions = true, description = "Move a subscription that has no consumer "
            + "attached: every message from the new position on is delivered again, every message before it counts "
            + "as acknowledged.")
    static final class Seek implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(index = "0", paramLabel = "QUEUE")
        String queue;
        @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
        String subscription;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        static final class Target {
            @Option(names = "--offset", paramLabel = "N", required = true, description = "Start at this offset.")
            Long offset;
            @Option(names = "--time", paramLabel = "TIME", required = true, description = "Start at the first message "
                    + "stored at or after TIME: an instant (2025-01-31T12:00:00Z), a UTC date (2025-01-31) or an age "
                    + "back from now (10m, 12h, 7d).")
            String time;
        }

        @Override
        public Integer call() {
            long position;
            if (target.offset != null) {
                if (target.offset < 0) {
                    throw new Cli.UsageException("--offset must not be negative, got " + target.offset);
                }
                try (BrokerClient c = client.connect()) {
                    position = c.seek(queue, subscription, target.offset);
                }
            } else {
                Instant time = Cli.instant("--time", target.time, Cli.CONTEXT.clock().instant());
                try (BrokerClient c = client.connect()) {
                    position = c.seekToTime(queue, subscription, time);
                }
            }
            spec.commandLine().getOut().println("subscription '" + subscription + "' of '" + queue
                    + "' now starts at offset " + Long.toUnsignedString(position));
            return 0;
        }
    }
}
