package org.securebroker.it;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.securebroker.cli.BrokerCli;

/**
 * A broker in a JVM of its own, started as {@code broker serve} from the test classpath: what the
 * tests that kill it or bound its heap need, and an in-process broker cannot give.
 *
 * <p>Thread-safety: stateless.
 */
final class BrokerProcess {

    private BrokerProcess() {
    }

    /**
     * Starts {@code broker serve --config config} with {@code jvmOptions}, its output in
     * {@code log}, and returns once it listens on {@code port}.
     *
     * @throws AssertionError if it exits first or does not listen within 30 s (it is killed then)
     */
    static Process start(Path config, int port, Path log, String... jvmOptions) throws IOException {
        return start(List.of(), config, port, log, jvmOptions);
    }

    /**
     * As {@link #start(Path, int, Path, String...)}, with the JVM run by {@code launcher} (e.g.
     * {@code nohup}, which starts it with SIGHUP ignored).
     */
    static Process start(List<String> launcher, Path config, int port, Path log, String... jvmOptions)
            throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BrokerCli.class.getName(), "serve",
                "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            Awaitility.await("the broker listening on port " + port).atMost(30, TimeUnit.SECONDS)
                    .pollInterval(100, TimeUnit.MILLISECONDS).until(() -> {
                        if (!p.isAlive()) {
                            throw new AssertionError("the broker exited with " + p.exitValue());
                        }
                        return listening(port);
                    });
        } catch (Throwable e) {
            p.destroyForcibly();
            throw e;
        }
        return p;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
