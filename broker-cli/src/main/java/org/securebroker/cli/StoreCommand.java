package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import org.securebroker.server.Offline;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.RepairReport;
import org.securebroker.store.Store;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker store}: work on a stopped broker's store. {@code repair QUEUE} shows why a queue
 * is unavailable (its log does not add up: a segment missing, shortened or rolled back, a damaged
 * manifest) and what accepting the loss would give up; with {@code --accept-loss} it accepts it:
 * the store records the lost offsets for good, continues the log above every offset it ever
 * handed out, and the queue is served again from the broker's next start. The repair is recorded
 * in the audit log ({@code store.repair_accept_loss}, the operating-system user as principal)
 * before the command reports success.
 *
 * <p>Exit codes: 0 repaired (or nothing to repair), 1 not repaired (without
 * {@code --accept-loss}, or a failure), 2 bad usage or configuration.
 *
 * <p>Thread-safety: a command object, used once.
 */
@Command(name = "store", mixinStandardHelpOptions = true, description = "Work on a stopped broker's store.",
        subcommands = StoreCommand.Repair.class)
final class StoreCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: repair");
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = {"Show why a queue is unavailable and what accepting the loss gives up; with --accept-loss, "
                + "accept it so the queue is served again. Run it with the broker stopped.",
                "Restoring the queue's files from a backup loses nothing: prefer it when a backup exists "
                    + "(docs/operations.md, 'A queue is unavailable').",
                "Exits 0 when repaired or nothing needs repair, 1 when not repaired, 2 for bad usage."})
    static final class Repair implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "QUEUE", description = "The unavailable queue.")
        String queue;
        @Option(names = "--accept-loss", description = "Accept that the records the problem names are gone for good.")
        boolean acceptLoss;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;

        @Override
        public Integer call() throws Exception {
            try {
                Store.validateLogName(queue);
            } catch (StoreException e) {
                throw new Cli.UsageException(e.getMessage());
            }
            BrokerConfig config = options.load();
            PrintWriter out = spec.commandLine().getOut();
            try (Store store = Offline.store(config, Cli.CONTEXT, System.getenv())) {
                StoreException problem = store.unavailableLogs().get(queue);
                if (problem == null) {
                    boolean exists = store.log(queue).isPresent();
                    print(out, exists ? "queue '" + queue + "' is available: nothing to repair"
                            : "the store holds no queue named '" + queue + "'", null, null);
                    return exists ? 0 : 1;
                }
                if (!acceptLoss) {
                    print(out, "queue '" + queue + "' is unavailable: " + problem.getMessage() + "\n"
                            + "Accepting the loss gives up the records the problem names, for good: they are never "
                            + "served, their offsets never handed out again. Restore the queue's files from a backup "
                            + "taken with the store instead, if there is one (docs/operations.md, 'A queue is "
                            + "unavailable'), or run again with --accept-loss. Nothing was changed.",
                            problem.getMessage(), null);
                    return 1;
                }
                return repair(config, store, problem, out);
            }
        }

        /** Opens the audit log first, so that a repair that could not be recorded is never made. */
        private int repair(BrokerConfig config, Store store, StoreException problem, PrintWriter out)
                throws java.io.IOException {
            boolean audited = !config.authorization().disabledForBenchmarks();
            AuditLog audit = audited ? Offline.auditLog(config, Cli.CONTEXT) : null;
            String user = operatingSystemUser();
            try {
                RepairReport report;
                try {
                    report = store.repairLog(queue);
                } catch (StoreException e) {
                    if (audit != null) {
                        audit.append(AuditEvent.of("store.repair_accept_loss").principal(user).source("cli")
                                .mechanism("os-user").action("repair").resource(queue).decision("deny")
                                .reason("the store refused the repair: " + e.getMessage()).build()).join();
                    }
                    throw e;
                }
                if (audit != null) {
                    try {
                        audit.append(AuditEvent.of("store.repair_accept_loss").principal(user).source("cli")
                                .mechanism("os-user").action("repair").resource(queue).decision("allow")
                                .reason(report.problem())
                                .detail("lost", ranges(report))
                                .detail("lostOffsets", report.lostCount())
                                .detail("nextOffset", Long.toUnsignedString(report.nextOffset()))
                                .build()).join();
                    } catch (CompletionException e) {
                        throw new IllegalStateException("queue '" + queue + "' was repaired, but the repair could not "
                                + "be recorded in the audit log (" + Cli.describe(e) + "); record it by hand", e);
                    }
                }
                print(out, "queue '" + queue + "' repaired by " + user + ": lost offsets " + ranges(report) + " ("
                        + report.lostCount() + " record(s)); the log continues at offset "
                        + Long.toUnsignedString(report.nextOffset()) + ". The broker serves the queue from its next "
                        + "start." + (audit != null ? " Recorded in the audit log (store.repair_accept_loss)."
                        : " NOT recorded: authorization.disabledForBenchmarks turns the audit log off."),
                        problem.getMessage(), report);
                return 0;
            } finally {
                if (audit != null) {
                    audit.close();
                }
            }
        }

        private void print(PrintWriter out, String text, String problem, RepairReport report) throws
                com.fasterxml.jackson.core.JsonProcessingException {
            if (output == Cli.Output.TEXT) {
                out.println(text);
                return;
            }
            ObjectNode root = Cli.JSON.createObjectNode();
            root.put("queue", queue);
            root.put("problem", problem);
            root.put("repaired", report != null);
            if (report != null) {
                ArrayNode lost = root.putArray("lost");
                for (OffsetRange r : report.lost()) {
                    lost.addObject().put("from", Long.toUnsignedString(r.from())).put("to", Long.toUnsignedString(r.to()));
                }
                root.put("nextOffset", Long.toUnsignedString(report.nextOffset()));
            }
            root.put("message", text);
            out.println(Cli.JSON.writeValueAsString(root));
        }

        private static String ranges(RepairReport report) {
            return report.lost().isEmpty() ? "none" : String.join(", ", report.lost().stream()
                    .map(OffsetRange::toString).toList());
        }

        /** Who runs the command, as the operating system says; the audit entry's principal. */
        private static String operatingSystemUser() {
            Optional<String> user = ProcessHandle.current().info().user();
            return user.orElse("unknown");
        }
    }
}
