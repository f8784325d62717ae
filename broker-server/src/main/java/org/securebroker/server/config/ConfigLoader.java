package org.securebroker.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.store.io.AtomicFiles;

/**
 * Reads {@code broker.yaml} and validates it as a whole: unknown keys, wrong types, values out
 * of range and insecure settings are all reported together, each with its key and line and what
 * is allowed. Without a file, {@link #defaults(Path)} gives the embedded default configuration
 * that {@code broker init} lays out.
 *
 * <p>Thread-safety: stateless.
 */
public final class ConfigLoader {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");
    /**
     * The bytes a matched {@link #SIZE} stands for.
     *
     * @throws ArithmeticException or NumberFormatException if it does not fit in a long
     */
    private static long bytes(Matcher size) {
        long unit = size.group(2) == null ? 1 : switch (size.group(2)) {
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            default -> 1;
        };
        return Math.multiplyExact(Long.parseLong(size.group(1)), unit);
    }

    /** Room a frame keeps beside the largest payload, for the queue name, headers and metadata. */
    public static final int FRAME_METADATA_ROOM = 64 * 1024;

    private ConfigLoader() {
    }

    /**
     * Parses a duration as the configuration writes it ({@link Durations#parse}).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Duration parseDuration(String text) {
        return Durations.parse(text);
    }

    /** The embedded default: everything under {@code dataDir}, as {@code broker init} creates it. */
    public static BrokerConfig defaults(Path dataDir) {
        return parse("", "(embedded defaults)", dataDir);
    }

    /**
     * Loads a configuration file. {@code dataDir} in the file is resolved against the file's
     * directory.
     *
     * @throws ConfigException listing every problem
     */
    public static BrokerConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), List.of("the file does not exist; pass an existing --config or "
                    + "run without one to use the embedded defaults"));
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read it: " + e.getMessage()));
        }
        Path base = AtomicFiles.directoryOf(file);
        return parse(text, file.toString(), base.resolve("data"), base);
    }

    static BrokerConfig parse(String text, String source, Path defaultDataDir) {
        return parse(text, source, defaultDataDir, defaultDataDir.toAbsolutePath().getParent());
    }

    private static BrokerConfig parse(String text, String source, Path defaultDataDir, Path base) {
        ConfigNode root = YamlReader.read(text, source, new Substitutions(System.getenv(), base));
        List<String> problems = new ArrayList<>();
        if (!(root instanceof ConfigNode.MapNode map)) {
            throw new ConfigException(source, List.of("line " + root.line() + ": the file must be a mapping of settings"));
        }
        Section top = new Section("", map, problems);
        Path dataDir = top.path("dataDir", defaultDataDir, base);

        Section l = top.section("listener");
        // the frame limit follows the payload limit unless set: room for the largest payload and its metadata
        long payloadLimit = top.peekSize("queues", "maxMessageSize", 1L << 20);
        BrokerConfig.Listener listener = new BrokerConfig.Listener(
                l.string("host", "127.0.0.1"),
                l.integer("port", 7443, 0, 65535),
                l.duration("handshakeTimeout", Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(5)),
                l.duration("authTimeout", Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(5)),
                (int) l.size("maxFrameSize", Math.min(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE,
                        Math.max(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, payloadLimit + FRAME_METADATA_ROOM)),
                        ProtocolLimits.MIN_FRAME_SIZE_LIMIT, ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE),
                l.integer("maxConnections", 10_000, 1, 1_000_000),
                l.integer("maxUnauthenticatedConnections", 1000, 1, 1_000_000),
                l.integer("maxUnauthenticatedPerAddress", 32, 1, 1_000_000),
                l.integer("maxInFlightPublishes", 4096, 1, 1_000_000),
                l.size("maxInFlightPublishSize", 16L << 20, 64L << 10, 1L << 40),
                l.size("deliveryBufferSize", 1L << 20, 64L << 10, 1L << 30),
                l.size("consumerWindowSize", 16L << 20, 1L << 10, 1L << 40));
        if (listener.maxUnauthenticatedPerAddress() > listener.maxUnauthenticatedConnections()) {
            problems.add(l.where("maxUnauthenticatedPerAddress") + ": " + listener.maxUnauthenticatedPerAddress()
                    + " is more than listener.maxUnauthenticatedConnections (" + listener.maxUnauthenticatedConnections()
                    + ")");
        }
        if (listener.maxInFlightPublishBytes() < listener.maxFrameSize()) {
            problems.add(l.where("maxInFlightPublishSize") + ": " + listener.maxInFlightPublishBytes() + " bytes does "
                    + "not hold one frame of listener.maxFrameSize (" + listener.maxFrameSize() + ")");
        }
        l.finish();

        Section t = top.section("tls");
        BrokerConfig.ClientAuth clientAuth = t.choice("clientAuth", BrokerConfig.ClientAuth.NONE,
                BrokerConfig.ClientAuth.class);
        Path clientCa = t.path("clientCa", null, dataDir);
        if (clientAuth != BrokerConfig.ClientAuth.NONE && clientCa == null) {
            problems.add(t.where("clientAuth") + ": client certificates need tls.clientCa, the only CA they may chain to "
                    + "(the system trust store is never used)");
        }
        List<BrokerConfig.PrincipalRule> mapping = new ArrayList<>();
        for (Section m : t.list("principalMapping")) {
            BrokerConfig.PrincipalRule rule = null;
            int kinds = 0;
            for (BrokerConfig.PrincipalSource kind : BrokerConfig.PrincipalSource.values()) {
                String key = switch (kind) {
                    case SUBJECT -> "subject";
                    case SAN_DNS -> "sanDns";
                    case SAN_URI -> "sanUri";
                    case SAN_EMAIL -> "sanEmail";
                };
                String regex = m.string(key, null);
                if (regex == null) {
                    continue;
                }
                kinds++;
                try {
                    java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
                    if (pattern.matcher("").groupCount() < 1) {
                        problems.add(m.where(key) + ": the pattern needs a group that captures the principal");
                    }
                    rule = new BrokerConfig.PrincipalRule(kind, pattern);
                } catch (java.util.regex.PatternSyntaxException e) {
                    problems.add(m.where(key) + ": not a valid regular expression: " + e.getDescription());
                }
            }
            if (kinds != 1) {
                problems.add(m.where("subject") + ": a mapping rule has exactly one of subject, sanDns, sanUri, sanEmail");
            } else if (rule != null) {
                mapping.add(rule);
            }
            m.finish();
        }
        if (clientAuth != BrokerConfig.ClientAuth.NONE && mapping.isEmpty()) {
            mapping.add(new BrokerConfig.PrincipalRule(BrokerConfig.PrincipalSource.SUBJECT,
                    java.util.regex.Pattern.compile("CN=([^,]+)(,.*)?")));
        }
        BrokerConfig.Tls tls = new BrokerConfig.Tls(
                t.path("certificate", dataDir.resolve(BrokerConfig.Layout.SERVER_CERT), dataDir),
                t.path("privateKey", dataDir.resolve(BrokerConfig.Layout.SERVER_KEY), dataDir),
                t.choice("provider", TlsProvider.AUTO, TlsProvider.class),
                clientAuth, clientCa, t.path("crl", null, dataDir), mapping);
        if (t.has("protocols") || t.has("ciphers")) {
            problems.add(t.where("protocols") + ": protocols and cipher suites are fixed (TLS 1.3 and 1.2 with ECDHE "
                    + "and AEAD only) and cannot be configured");
        }
        t.finish();

        Section k = top.section("keys");
        String kekEnv = k.string("kekEnv", null);
        Path kekFile = k.path("kekFile", kekEnv == null ? dataDir.resolve(BrokerConfig.Layout.KEK_FILE) : null, dataDir);
        if (kekEnv != null && k.has("kekFile")) {
            problems.add(k.where("kekEnv") + ": set either keys.kekFile or keys.kekEnv, not both");
        }
        if (kekEnv != null && !kekEnv.matches("[A-Z_][A-Z0-9_]*")) {
            problems.add(k.where("kekEnv") + ": '" + kekEnv + "' is not an environment variable name (A-Z, 0-9, _)");
        }
        k.finish();

        Section s = top.section("store");
        Section r = s.section("retention");
        BrokerConfig.StoreSettings store = new BrokerConfig.StoreSettings(
                (int) s.size("segmentSize", 64L << 20, 1L << 20, 1L << 30),
                s.duration("subscriptionSyncInterval", Duration.ofMillis(10), Duration.ZERO, Duration.ofSeconds(1)),
                r.duration("maxAge", null, Duration.ofMinutes(1), Duration.ofDays(36500)),
                r.size("maxSize", 0, 0, Long.MAX_VALUE));
        r.finish();
        s.finish();

        Section a = top.section("auth");
        Section h = a.section("passwordHashing");
        int memory = (int) (h.size("memory", 19L << 20, 1, 4L << 30) / 1024);
        int iterations = h.integer("iterations", 2, 1, 100);
        int parallelism = h.integer("parallelism", 1, 1, 16);
        PasswordHashing hashing = PasswordHashing.OWASP_MINIMUM;
        if (memory < PasswordHashing.MIN_MEMORY_KIB || iterations < PasswordHashing.MIN_ITERATIONS) {
            problems.add(h.where("memory") + ": insecure password hashing (m=" + memory + " KiB, t=" + iterations
                    + "); the minimum is memory 19MiB and iterations 2 (OWASP)");
        } else {
            hashing = new PasswordHashing(memory, iterations, parallelism);
        }
        int hashThreads = h.integer("threads", Math.max(1, Runtime.getRuntime().availableProcessors()), 1, 64);
        int hashQueue = h.integer("queue", 64, 1, 10_000);
        h.finish();
        BrokerConfig.Jwt jwt = a.has("jwt") ? jwt(a.section("jwt"), dataDir, problems) : null;
        Section b = a.section("bruteForce");
        BrokerConfig.BruteForce bruteForce = new BrokerConfig.BruteForce(
                b.integer("addressFailures", 10, 1, 100_000),
                b.integer("accountFailures", 5, 1, 100),
                b.duration("maxBackoff", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofHours(24)),
                b.integer("lockoutFailures", 100, 1, 100),
                b.duration("lockoutDuration", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofDays(30)));
        b.finish();
        Section sc = a.section("scram");
        if (a.has("scramIterations")) {
            problems.add(a.where("scramIterations") + ": moved to auth.scram.iterations (at least "
                    + BrokerConfig.Auth.MIN_SCRAM_ITERATIONS + ")");
        }
        BrokerConfig.Auth auth = new BrokerConfig.Auth(
                a.path("usersFile", dataDir.resolve(BrokerConfig.Layout.USERS_FILE), dataDir),
                hashing, hashThreads, hashQueue,
                sc.integer("iterations", BrokerConfig.Auth.DEFAULT_SCRAM_ITERATIONS,
                        BrokerConfig.Auth.MIN_SCRAM_ITERATIONS, 10_000_000),
                jwt, bruteForce, sc.bool("enabled", true));
        sc.finish();
        a.finish();

        Section q = top.section("queues");
        int maxMessage = (int) q.size("maxMessageSize", 1L << 20, 1024,
                ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE - FRAME_METADATA_ROOM);
        if (maxMessage + FRAME_METADATA_ROOM > listener.maxFrameSize()) {
            problems.add(q.where("maxMessageSize") + ": a payload of " + maxMessage + " bytes does not fit in a frame of "
                    + "listener.maxFrameSize (" + listener.maxFrameSize() + ") with " + FRAME_METADATA_ROOM
                    + " bytes to spare for headers and metadata; raise listener.maxFrameSize or leave it unset");
        }
        QueueDefinition.Depth depth = depth(q, QueueDefinition.Depth.DEFAULT, problems);
        List<QueueDefinition> define = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (Section d : q.list("define")) {
            String name = d.string("name", null);
            if (name == null) {
                problems.add(d.where("name") + ": every queue needs a name");
                d.finish();
                continue;
            }
            try {
                boolean ownDepth = d.has("maxDepth") || d.has("maxDepthSize") || d.has("overflow");
                QueueDefinition.Depth own = ownDepth ? depth(d, depth, problems) : null;
                QueueDefinition qd = new QueueDefinition(name, d.integer("maxDeliveries", 0, 0, 1_000_000),
                        d.string("deadLetterQueue", ""), d.duration("ttl", Duration.ZERO, Duration.ZERO, Duration.ofDays(36500)),
                        d.bool("requireProducerSignatures", false), own);
                if (!names.add(name)) {
                    problems.add(d.where("name") + ": queue '" + name + "' is defined twice");
                }
                define.add(qd);
            } catch (IllegalArgumentException | org.securebroker.store.failure.StoreException e) {
                problems.add(d.where("name") + ": " + e.getMessage());
            }
            d.finish();
        }
        // a log frees disk a whole segment at a time, and its active segment rolls only when an append
        // does not fit: a byte limit below two segments could refuse every publish for good
        long minDepthBytes = 2L * store.segmentBytes();
        if (depth.maxBytes() > 0 && depth.maxBytes() < minDepthBytes) {
            problems.add(q.where("maxDepthSize") + ": " + depth.maxBytes() + " bytes is less than two segments ("
                    + minDepthBytes + " with store.segmentSize " + store.segmentBytes() + "); a queue frees disk a "
                    + "segment at a time. Use 0 (no limit) or at least " + minDepthBytes);
        }
        for (QueueDefinition d : define) {
            if (d.depth() != null && d.depth().maxBytes() > 0 && d.depth().maxBytes() < minDepthBytes) {
                problems.add("queues.define: queue '" + d.name() + "': maxDepthSize " + d.depth().maxBytes()
                        + " bytes is less than two segments (" + minDepthBytes + "); use 0 or at least " + minDepthBytes);
            }
        }
        BrokerConfig.Queues queues = new BrokerConfig.Queues(
                q.bool("autoCreate", false),
                q.duration("ackTimeout", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(12)),
                maxMessage,
                q.integer("dedupWindow", 4096, 16, 1_000_000),
                depth,
                define,
                q.duration("subscriptionIdleExpiry", BrokerConfig.Queues.DEFAULT_IDLE_EXPIRY, Duration.ZERO,
                        Duration.ofDays(36500)),
                q.duration("replayRetention", Duration.ZERO, Duration.ZERO, Duration.ofDays(36500)));
        q.finish();

        Section z = top.section("authorization");
        BrokerConfig.Authorization authorization = new BrokerConfig.Authorization(
                z.path("policyFile", dataDir.resolve(BrokerConfig.Layout.POLICY_FILE), dataDir),
                z.bool("disabledForBenchmarks", false));
        z.finish();

        Section u = top.section("audit");
        BrokerConfig.Audit audit = new BrokerConfig.Audit(
                u.path("dir", dataDir.resolve(BrokerConfig.Layout.AUDIT_DIR), dataDir),
                u.path("privateKey", dataDir.resolve(BrokerConfig.Layout.AUDIT_PRIVATE_KEY), dataDir),
                u.path("publicKey", dataDir.resolve(BrokerConfig.Layout.AUDIT_PUBLIC_KEY), dataDir),
                u.integer("checkpointEntries", 1000, 1, 1_000_000),
                u.duration("checkpointInterval", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofHours(24)),
                u.size("rotateSize", 64L << 20, 1L << 20, 1L << 40),
                u.duration("rotateAge", Duration.ofDays(1), Duration.ofMinutes(1), Duration.ofDays(366)),
                u.duration("allowAggregation", Duration.ofSeconds(60), Duration.ZERO, Duration.ofHours(1)));
        if (u.has("enabled")) {
            problems.add(u.where("enabled") + ": the audit log cannot be turned off; the broker refuses operations it "
                    + "cannot record");
        }
        u.finish();

        Section m = top.section("admin");
        BrokerConfig.Admin admin = new BrokerConfig.Admin(
                m.bool("enabled", true),
                m.string("host", "127.0.0.1"),
                m.integer("port", 7444, 0, 65535),
                m.bool("perQueueMetrics", false),
                m.choice("metricsAuthentication", BrokerConfig.MetricsAuthentication.REQUIRED,
                        BrokerConfig.MetricsAuthentication.class));
        if (admin.enabled() && admin.port() != 0 && admin.port() == listener.port()) {
            problems.add(m.where("port") + ": the admin listener needs a port of its own, not listener.port "
                    + listener.port());
        }
        m.finish();

        Section w = top.section("alerts");
        BrokerConfig.Alerts alerts = new BrokerConfig.Alerts(
                w.duration("window", Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofHours(24)),
                w.integer("authFailures", 20, 0, 1_000_000),
                w.integer("denials", 50, 0, 1_000_000),
                w.integer("malformedFrames", 10, 0, 1_000_000),
                w.bool("newSourceAddress", true),
                w.integer("rateFactor", 10, 0, 1_000_000),
                w.integer("rateMinimum", 1000, 0, 100_000_000));
        w.finish();

        Section g = top.section("integrity");
        BrokerConfig.Integrity integrity = new BrokerConfig.Integrity(
                g.path("privateKey", dataDir.resolve(BrokerConfig.Layout.SIGNING_PRIVATE_KEY), dataDir),
                g.path("publicKeys", dataDir.resolve(BrokerConfig.Layout.SIGNING_PUBLIC_KEYS), dataDir),
                g.path("producerKeys", dataDir.resolve(BrokerConfig.Layout.PRODUCER_KEYS), dataDir),
                g.bool("disabledForBenchmarks", false));
        g.finish();

        Section mem = top.section("memory");
        BrokerConfig.Memory memoryBudgets = new BrokerConfig.Memory(
                autoSize(mem, "inFlightSize", BrokerConfig.Memory.minimumFor(listener.maxFrameSize())),
                autoSize(mem, "deliverySize", BrokerConfig.Memory.minimumFor(listener.maxFrameSize())),
                autoSize(mem, "recentMessagesSize", 0));
        mem.finish();

        Section qs = top.section("quotas");
        BrokerConfig.PrincipalQuota defaults = principalQuota(qs, DEFAULT_PRINCIPAL_QUOTA);
        java.util.Map<String, BrokerConfig.PrincipalQuota> own = new java.util.LinkedHashMap<>();
        for (Section p : qs.list("principals")) {
            String name = p.string("name", null);
            if (name == null || name.isBlank()) {
                problems.add(p.where("name") + ": every entry names its principal");
            } else if (own.containsKey(name)) {
                problems.add(p.where("name") + ": principal '" + name + "' is listed twice");
            } else {
                own.put(name, principalQuota(p, defaults));
            }
            p.finish();
        }
        BrokerConfig.Quotas quotas = new BrokerConfig.Quotas(defaults, own);
        qs.finish();
        top.finish();
        if (!problems.isEmpty()) {
            throw new ConfigException(source, Substitutions.redact(problems, root));
        }
        return new BrokerConfig(dataDir, listener, tls, new BrokerConfig.Keys(kekFile, kekEnv), store, auth, queues,
                authorization, audit, admin, alerts, integrity, memoryBudgets, quotas);
    }

    /** What every principal gets unless configured: enough for a service, not enough to exhaust the broker. */
    public static final BrokerConfig.PrincipalQuota DEFAULT_PRINCIPAL_QUOTA =
            new BrokerConfig.PrincipalQuota(1000, 100, 1000, 1000, 0, 0);

    private static BrokerConfig.PrincipalQuota principalQuota(Section s, BrokerConfig.PrincipalQuota fallback) {
        return new BrokerConfig.PrincipalQuota(
                s.integer("connections", fallback.connections(), 0, 1_000_000),
                s.integer("queues", fallback.queues(), 0, 1_000_000),
                s.integer("subscriptions", fallback.subscriptions(), 0, 10_000_000),
                s.integer("consumers", fallback.consumers(), 0, 10_000_000),
                s.size("publishRate", fallback.publishRate(), 0, Long.MAX_VALUE / 2),
                s.size("publishByteRate", fallback.publishByteRate(), 0, Long.MAX_VALUE / 2));
    }

    private static QueueDefinition.Depth depth(Section s, QueueDefinition.Depth fallback, List<String> problems) {
        long messages = s.size("maxDepth", fallback.maxMessages(), 0, Long.MAX_VALUE / 2);
        long bytes = s.size("maxDepthSize", fallback.maxBytes(), 0, Long.MAX_VALUE / 2);
        String overflow = s.string("overflow", null);
        QueueDefinition.Overflow policy = fallback.overflow();
        if (overflow != null) {
            switch (overflow) {
                case "reject" -> policy = QueueDefinition.Overflow.REJECT;
                case "dead-letter-oldest" -> policy = QueueDefinition.Overflow.DEAD_LETTER_OLDEST;
                default -> problems.add(s.where("overflow") + ": '" + overflow + "' is not an overflow policy; "
                        + "write reject or dead-letter-oldest");
            }
        }
        return new QueueDefinition.Depth(messages, bytes, policy);
    }

    /** A size that may be left unset ("auto"): 0 then, resolved from the heap at start. */
    private static long autoSize(Section s, String key, long min) {
        String raw = s.has(key) ? s.string(key, "auto") : "auto";
        if ("auto".equals(raw)) {
            return 0;
        }
        return s.size(key, 0, Math.max(1, min), 1L << 50);
    }

    private static BrokerConfig.Jwt jwt(Section j, Path dataDir, List<String> problems) {
        String issuer = j.string("issuer", null);
        String audience = j.string("audience", null);
        if (issuer == null || issuer.isBlank()) {
            problems.add(j.where("issuer") + ": required: tokens must name their issuer (iss)");
        }
        if (audience == null || audience.isBlank()) {
            problems.add(j.where("audience") + ": required: tokens must name this broker as their audience (aud)");
        }
        List<BrokerConfig.JwtKey> keys = new ArrayList<>();
        Set<String> kids = new LinkedHashSet<>();
        for (Section k : j.list("keys")) {
            String kid = k.string("kid", null);
            Path publicKey = k.path("publicKey", null, dataDir);
            Path secret = k.path("secret", null, dataDir);
            if (kid == null || kid.isBlank()) {
                problems.add(k.where("kid") + ": every key needs a kid (key id)");
            } else if (!kids.add(kid)) {
                problems.add(k.where("kid") + ": kid '" + kid + "' appears twice");
            }
            if ((publicKey == null) == (secret == null)) {
                problems.add(k.where("publicKey") + ": a key has exactly one of publicKey (PEM file) or secret "
                        + "(file with an HMAC secret of at least 32 bytes)");
            }
            keys.add(new BrokerConfig.JwtKey(kid, publicKey, secret));
            k.finish();
        }
        Path jwks = j.path("jwks", null, dataDir);
        if (keys.isEmpty() && jwks == null) {
            problems.add(j.where("keys") + ": configure verification keys (keys or jwks); tokens are never accepted "
                    + "without verifying their signature");
        }
        List<String> types = new ArrayList<>();
        for (String type : j.strings("allowedTypes", List.of("JWT", "at+jwt"))) {
            types.add(type);
        }
        BrokerConfig.Jwt jwt = new BrokerConfig.Jwt(issuer, audience, keys, jwks, types,
                j.duration("maxLifetime", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofHours(24)),
                j.duration("clockSkew", Duration.ofSeconds(30), Duration.ZERO, Duration.ofSeconds(60)),
                j.string("principalClaim", "sub"),
                j.string("rolesClaim", BrokerConfig.Jwt.DEFAULT_ROLES_CLAIM));
        j.finish();
        return jwt;
    }

    /** A mapping being bound: remembers which keys were read so the rest can be reported as unknown. */
    private static final class Section {
        private final String path;
        private final ConfigNode.MapNode node;
        private final List<String> problems;
        private final Set<String> known = new LinkedHashSet<>();

        Section(String path, ConfigNode.MapNode node, List<String> problems) {
            this.path = path;
            this.node = node;
            this.problems = problems;
        }

        String key(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        String where(String name) {
            Integer line = node.keyLines().get(name);
            return "line " + (line != null ? line : node.line()) + ": " + key(name);
        }

        boolean has(String name) {
            known.add(name);
            return node.entries().containsKey(name);
        }

        private String scalar(String name) {
            known.add(name);
            ConfigNode value = node.entries().get(name);
            if (value == null) {
                return null;
            }
            if (!(value instanceof ConfigNode.ScalarNode s)) {
                problems.add(where(name) + ": expected a single value, found " + ConfigNode.kind(value));
                return null;
            }
            if (s.value() == null) {
                problems.add(where(name) + ": has no value; remove the key to use the default");
            }
            return s.value();
        }

        String string(String name, String fallback) {
            String v = scalar(name);
            return v == null ? fallback : v.strip();
        }

        int integer(String name, int fallback, int min, int max) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            try {
                long n = Long.parseLong(v.strip());
                if (n < min || n > max) {
                    problems.add(where(name) + ": " + n + " is out of range; allowed " + min + " to " + max);
                    return fallback;
                }
                return (int) n;
            } catch (NumberFormatException e) {
                problems.add(where(name) + ": '" + v + "' is not a whole number; allowed " + min + " to " + max);
                return fallback;
            }
        }

        List<String> strings(String name, List<String> fallback) {
            known.add(name);
            ConfigNode value = node.entries().get(name);
            if (value == null) {
                return fallback;
            }
            if (!(value instanceof ConfigNode.ListNode items)) {
                problems.add(where(name) + ": expected a list of values, found " + ConfigNode.kind(value));
                return fallback;
            }
            List<String> out = new ArrayList<>();
            for (ConfigNode item : items.items()) {
                if (item instanceof ConfigNode.ScalarNode scalar && scalar.value() != null) {
                    out.add(scalar.value().strip());
                } else {
                    problems.add("line " + item.line() + ": " + key(name) + ": expected a single value in the list");
                }
            }
            return out;
        }

        boolean bool(String name, boolean fallback) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> {
                    problems.add(where(name) + ": '" + v + "' is not true or false");
                    yield fallback;
                }
            };
        }

        long size(String name, long fallback, long min, long max) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            Matcher m = SIZE.matcher(v.strip());
            if (!m.matches()) {
                problems.add(where(name) + ": '" + v + "' is not a size; write a number of bytes or e.g. 512KiB, 64MiB, 1GiB");
                return fallback;
            }
            long bytes;
            try {
                bytes = bytes(m);
            } catch (ArithmeticException | NumberFormatException e) {
                problems.add(where(name) + ": '" + v + "' is too large");
                return fallback;
            }
            if (bytes < min || bytes > max) {
                problems.add(where(name) + ": " + bytes + " bytes is out of range; allowed " + min + " to " + max + " bytes");
                return fallback;
            }
            return bytes;
        }

        /**
         * A size in a sub-section, read ahead of its turn without recording anything: the value
         * when it parses, else {@code fallback} (the section's own reading reports the problem).
         */
        long peekSize(String sub, String name, long fallback) {
            if (!(node.entries().get(sub) instanceof ConfigNode.MapNode m)
                    || !(m.entries().get(name) instanceof ConfigNode.ScalarNode v) || v.value() == null) {
                return fallback;
            }
            Matcher sm = SIZE.matcher(v.value().strip());
            if (!sm.matches()) {
                return fallback;
            }
            try {
                return bytes(sm);
            } catch (ArithmeticException | NumberFormatException e) {
                return fallback;
            }
        }

        Duration duration(String name, Duration fallback, Duration min, Duration max) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            Duration d;
            try {
                d = parseDuration(v);
            } catch (IllegalArgumentException e) {
                problems.add(where(name) + ": " + e.getMessage());
                return fallback;
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                problems.add(where(name) + ": " + v + " is out of range; allowed " + Durations.format(min) + " to "
                        + Durations.format(max));
                return fallback;
            }
            return d;
        }

        <E extends Enum<E>> E choice(String name, E fallback, Class<E> type) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v.strip())) {
                    return e;
                }
            }
            List<String> allowed = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                allowed.add(e.name().toLowerCase(Locale.ROOT));
            }
            problems.add(where(name) + ": '" + v + "' is not one of " + allowed);
            return fallback;
        }

        Path path(String name, Path fallback, Path base) {
            String v = scalar(name);
            if (v == null) {
                return fallback;
            }
            if (v.isBlank()) {
                problems.add(where(name) + ": an empty path");
                return fallback;
            }
            return base.resolve(v.strip()).normalize();
        }

        Section section(String name) {
            known.add(name);
            ConfigNode value = node.entries().get(name);
            if (value == null || (value instanceof ConfigNode.ScalarNode s && (s.value() == null || s.value().isBlank()))) {
                int line = value == null ? node.line() : value.line();
                return new Section(key(name), new ConfigNode.MapNode(line, java.util.Map.of(), java.util.Map.of()), problems);
            }
            if (!(value instanceof ConfigNode.MapNode m)) {
                problems.add(where(name) + ": expected a mapping of settings, found " + ConfigNode.kind(value));
                return new Section(key(name), new ConfigNode.MapNode(value.line(), java.util.Map.of(), java.util.Map.of()),
                        problems);
            }
            return new Section(key(name), m, problems);
        }

        List<Section> list(String name) {
            known.add(name);
            ConfigNode value = node.entries().get(name);
            List<Section> out = new ArrayList<>();
            if (value == null) {
                return out;
            }
            if (!(value instanceof ConfigNode.ListNode items)) {
                problems.add(where(name) + ": expected a list, found " + ConfigNode.kind(value));
                return out;
            }
            for (int i = 0; i < items.items().size(); i++) {
                ConfigNode item = items.items().get(i);
                if (item instanceof ConfigNode.MapNode m) {
                    out.add(new Section(key(name) + "[" + i + "]", m, problems));
                } else {
                    problems.add("line " + item.line() + ": " + key(name) + "[" + i + "]: expected a mapping, found "
                            + ConfigNode.kind(item));
                }
            }
            return out;
        }

        void finish() {
            for (String k : node.entries().keySet()) {
                if (!known.contains(k)) {
                    String closest = ClosestKey.to(k, known);
                    problems.add(where(k) + ": unknown key" + (closest == null ? "" : " (did you mean " + key(closest)
                            + "?)") + "; allowed here: " + String.join(", ", known));
                }
            }
        }
    }
}
