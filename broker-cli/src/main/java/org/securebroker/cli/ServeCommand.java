package org.securebroker.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.Broker;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code broker serve}: runs the broker until SIGTERM or SIGINT, then stops cleanly; SIGHUP
 * reloads what {@code broker reload} reloads. Without
 * {@code --config} it uses the embedded defaults and, on first run, initializes the data
 * directory.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the broker. Without --config: embedded defaults in --data (./data), initialized on first run.")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Cli.ConfigOptions options;

    /** How the server log is written. */
    enum LogFormat {
        TEXT, JSON
    }

    @picocli.CommandLine.Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "${env:BROKER_LOG_FORMAT:-text}",
            converter = LogFormatConverter.class, description = "text (readable lines, the default) or json (one JSON "
            + "object per line, for log collectors); also BROKER_LOG_FORMAT")
    LogFormat logFormat;

    static final class LogFormatConverter implements picocli.CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a log format; use text or "
                        + "json");
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (logFormat == LogFormat.JSON) {
            jsonLogs();
        }
        if (options.embedded() && !Bootstrap.isInitialized(options.dataDir())) {
            Bootstrap.Result result = Bootstrap.init(options.dataDir(), Argon2id.OWASP_MINIMUM, Cli.CONTEXT.random(),
                    Cli.CONTEXT.clock());
            InitCommand.print(spec.commandLine().getOut(), result);
        }
        BrokerConfig config = options.load();
        // before the start, so that a SIGHUP while starting finds the handler and not the JVM's default (exit)
        AtomicReference<Broker> started = new AtomicReference<>();
        reloadOnHangup(started);
        Broker broker = Broker.start(config, Cli.CONTEXT);
        if (!options.embedded()) {
            broker.configFile(options.config);
        }
        started.set(broker);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "broker-shutdown"));
        spec.commandLine().getOut().println("Broker listening on tls://" + config.listener().host() + ":" + broker.port()
                + "  (CA certificate for clients: " + config.dataDir().resolve(BrokerConfig.Layout.CA_CERT) + ")");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    /**
     * Switches the server log to JSON lines on stderr (logback's JSON encoder: time, level,
     * thread, logger, message; the message is JSON-escaped, so it cannot break a line).
     */
    private static void jsonLogs() {
        if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.encoder.JsonEncoder encoder = new ch.qos.logback.classic.encoder.JsonEncoder();
        encoder.setContext(context);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.setWithMDC(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.start();
        ch.qos.logback.core.ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("JSON");
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
    }

    /**
     * SIGHUP reloads what {@code broker reload} reloads, once the broker has started. A process
     * started with SIGHUP ignored (under {@code nohup}, say) keeps ignoring it: the JVM then
     * leaves the signal alone and reports the previous disposition as ignored, so the broker says
     * once that SIGHUP cannot reload it, instead of doing nothing when one is sent.
     */
    private static void reloadOnHangup(AtomicReference<Broker> started) {
        Logger log = LoggerFactory.getLogger(ServeCommand.class);
        sun.misc.SignalHandler previous;
        try {
            previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                Broker broker = started.get();
                if (broker == null) {
                    log.warn("SIGHUP received while the broker starts: nothing to reload yet");
                    return;
                }
                log.info("SIGHUP received: reloading (as 'broker reload')");
                try {
                    broker.reload();
                } catch (RuntimeException e) {
                    log.error("SIGHUP: reload failed, the previous material stays in force: {}", e.getMessage());
                }
            });
        } catch (IllegalArgumentException e) {
            log.warn("SIGHUP cannot reload the broker here ({}); reload with 'broker reload'", e.getMessage());
            return;
        }
        if (previous == sun.misc.SignalHandler.SIG_IGN) {
            log.warn("SIGHUP is ignored by this process (it was started with SIGHUP ignored, e.g. under nohup), so "
                    + "SIGHUP cannot reload the broker; reload with 'broker reload'");
        }
    }
}
