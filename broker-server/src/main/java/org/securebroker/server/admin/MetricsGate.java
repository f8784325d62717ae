package org.securebroker.server.admin;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.auth.AuthMechanism;
import org.securebroker.server.auth.AuthStep;
import org.securebroker.server.auth.ConnectionInfo;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.identity.MechanismNames;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.rbac.Decision;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.Subject;

/**
 * Who may read {@code /metrics}: a scraper proves who it is with the client certificate it
 * presented in the TLS handshake (EXTERNAL, mapped to a principal as the client listener maps
 * it), or else with HTTP Basic credentials of a user of the users file (PLAIN: the login throttle
 * first, then Argon2id on the bounded hashing pool, never on the admin event loop). The principal
 * then needs {@code read-metrics} on {@code metrics} or {@code admin} on {@code broker} in the
 * policy in force. Failed authentications and denials are audited ({@code auth.failure},
 * {@code authz.deny}); successful scrapes are not, so a scrape every few seconds does not flood the
 * audit log.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MetricsGate {

    /** Sent with 401: what a scraper must present. */
    public static final String CHALLENGE = "Basic realm=\"securebroker metrics\", charset=\"UTF-8\"";
    private static final String SCRAPE = "admin listener /metrics";

    /**
     * What the gate decided.
     *
     * @param status 200 to serve the metrics; 401 (authenticate), 403 (not allowed) or 429 (retry
     *     later) to refuse
     * @param message for the scraper: never says which part of the credentials was wrong
     * @param principal who is scraping, or null
     */
    public record Verdict(int status, String message, String principal) {
        static Verdict allowed(String principal) {
            return new Verdict(200, "", principal);
        }

        public boolean allowed() {
            return status == 200;
        }
    }

    private final Mechanisms mechanisms;
    private final AccessControl access;

    private MetricsGate(Mechanisms mechanisms, AccessControl access) {
        this.mechanisms = mechanisms;
        this.access = access;
    }

    /** Asks every scraper who it is (the default). */
    public static MetricsGate authenticating(Mechanisms mechanisms, AccessControl access) {
        return new MetricsGate(mechanisms, access);
    }

    /** Lets anyone who reaches the admin listener read the metrics ({@code admin.metricsAuthentication: none}). */
    public static MetricsGate open() {
        return new MetricsGate(null, null);
    }

    /** Whether scrapers are asked who they are. */
    public boolean authenticates() {
        return mechanisms != null;
    }

    /**
     * Decides a request.
     *
     * @param clientCertificates the chain the TLS layer verified, empty if none was presented
     * @param authorization the request's {@code Authorization} header, or null
     * @return completed at once, or on the hashing pool for a password
     */
    public CompletableFuture<Verdict> check(InetAddress address, List<X509Certificate> clientCertificates,
                                            String authorization) {
        if (mechanisms == null) {
            return CompletableFuture.completedFuture(Verdict.allowed(null));
        }
        ConnectionInfo connection = new ConnectionInfo(address, clientCertificates);
        String source = String.valueOf(address);
        if (connection.hasClientCertificate()) {
            return exchange(MechanismNames.EXTERNAL, connection, new byte[0], source);
        }
        byte[] plain = authorization == null ? null : plainResponse(authorization);
        if (plain == null) {
            if (authorization != null) {
                access.record(AuditEvent.of("auth.failure").source(source).mechanism(MechanismNames.PLAIN)
                        .reason(SCRAPE + ": malformed Authorization header (expected Basic with user:password)")
                        .build());
            }
            return CompletableFuture.completedFuture(new Verdict(401,
                    "authentication required: HTTP Basic with a user of the broker, or a client certificate", null));
        }
        return exchange(MechanismNames.PLAIN, connection, plain, source);
    }

    private CompletableFuture<Verdict> exchange(String mechanism, ConnectionInfo connection, byte[] response,
                                                String source) {
        Optional<AuthMechanism> found = mechanisms.find(mechanism, connection);
        if (found.isEmpty()) {
            Arrays.fill(response, (byte) 0);
            return CompletableFuture.completedFuture(new Verdict(401, "authentication required", null));
        }
        return found.get().start(connection).next(response).thenApply(step -> decide(step, mechanism, source));
    }

    private Verdict decide(AuthStep step, String mechanism, String source) {
        if (step instanceof AuthStep.Failure f) {
            access.record(AuditEvent.of("auth.failure").principal(f.account()).source(source).mechanism(mechanism)
                    .reason(SCRAPE + ": " + f.reason()).build());
            return f.code() == ErrorCode.TOO_MANY_ATTEMPTS ? new Verdict(429, f.clientMessage(), null)
                    : new Verdict(401, "authentication failed", null);
        }
        if (!(step instanceof AuthStep.Success success)) {
            return new Verdict(401, "authentication failed", null);
        }
        Subject subject = Subject.of(success.identity());
        if (!access.enforced()) {
            return Verdict.allowed(subject.principal());
        }
        Policy policy = access.policy();
        Decision metrics = policy.decide(subject, Action.READ_METRICS, Action.METRICS_RESOURCE);
        if (metrics.allowed() || policy.decide(subject, Action.ADMIN, Action.BROKER_RESOURCE).allowed()) {
            return Verdict.allowed(subject.principal());
        }
        access.record(AuditEvent.of("authz.deny").principal(subject.principal()).source(source).mechanism(mechanism)
                .action(Action.READ_METRICS.wireName()).resource(Action.METRICS_RESOURCE).decision("deny")
                .rule(metrics.ruleId()).policy(policy.version()).reason(SCRAPE).build());
        return new Verdict(403, "'" + subject.principal() + "' may not read the metrics (needs "
                + Action.READ_METRICS.wireName() + " on " + Action.METRICS_RESOURCE + ")", subject.principal());
    }

    /**
     * The PLAIN response ({@code NUL user NUL password}) for an HTTP Basic header, or null if the
     * header is not Basic with base64 of UTF-8 {@code user:password}. Intermediate copies of the
     * password are wiped.
     */
    static byte[] plainResponse(String authorization) {
        String header = authorization.strip();
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("basic")) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(header.substring(space + 1).strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(decoded));
            if (chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
        } catch (CharacterCodingException e) {
            Arrays.fill(decoded, (byte) 0);
            return null;
        }
        int colon = -1;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                colon = i;
                break;
            }
            if (decoded[i] == 0) {
                break;
            }
        }
        if (colon <= 0 || colon == decoded.length - 1) {
            Arrays.fill(decoded, (byte) 0);
            return null;
        }
        byte[] plain = new byte[decoded.length + 1];
        plain[0] = 0;
        System.arraycopy(decoded, 0, plain, 1, colon);
        plain[colon + 1] = 0;
        System.arraycopy(decoded, colon + 1, plain, colon + 2, decoded.length - colon - 1);
        Arrays.fill(decoded, (byte) 0);
        return plain;
    }
}
