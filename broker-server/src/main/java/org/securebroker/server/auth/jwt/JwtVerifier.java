package org.securebroker.server.auth.jwt;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.IncorrectClaimException;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.JwtParserBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.MalformedJwtException;
import io.jsonwebtoken.MissingClaimException;
import io.jsonwebtoken.PrematureJwtException;
import io.jsonwebtoken.UnsupportedJwtException;
import io.jsonwebtoken.security.SecureDigestAlgorithm;
import io.jsonwebtoken.security.SignatureException;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.Durations;
import org.securebroker.server.identity.PrincipalNames;

/**
 * Verifies JWT bearer tokens (compact JWS, RFC 7515/7519) against a fixed set of keys, following
 * the JWT best current practices (RFC 8725).
 *
 * <p>The algorithm is pinned by the key, never chosen by the token: RSA keys (2048 bits or more)
 * verify RS256 only, EC P-256 keys ES256 only, Ed25519 keys EdDSA only and HMAC secrets HS256
 * only; the {@code alg} header must name the key's algorithm exactly. With one key a token may
 * omit {@code kid}; with more, {@code kid} is required and looked up in the configured map. Keys
 * are never taken from the token ({@code jku}, {@code x5u}, {@code jwk}, {@code x5c} are refused)
 * and no extensions are supported ({@code crit} is refused). {@code typ} is required and must be
 * one of the allowed types (case-insensitive; {@code application/at+jwt} equals {@code at+jwt}).
 *
 * <p>Each of the three parts must be canonical base64url (RFC 7515, 2: the URL-safe alphabet,
 * no padding, no stray bits in the last character), so that one signed token has exactly one
 * spelling. The time claims {@code exp}, {@code nbf} and {@code iat}, where present, must be JSON
 * numbers (RFC 7519 NumericDate); the JWS library would read other forms too.
 *
 * <p>The header is checked here first, so that each attack gets a precise reason; jjwt then
 * verifies the signature with the pinned key and algorithm only, and {@code exp}, {@code nbf},
 * {@code iss} and {@code aud}. Then: {@code exp} is required, {@code iat} may not be in the future,
 * the lifetime ({@code exp} minus {@code iat}, else {@code nbf}, else now) is bounded, the principal
 * claim is a valid user name ({@link PrincipalNames}: the names the users file accepts, so no
 * look-alike letters, control characters or line separators) and the roles claim, if configured and present, is an array of
 * strings or a space-separated string. Clock skew applies to {@code exp}, {@code nbf} and
 * {@code iat}.
 *
 * <p>Thread-safety: immutable; {@link #verify} may be called concurrently.
 */
public final class JwtVerifier {

    /** Longer tokens are refused before anything is decoded. */
    public static final int MAX_TOKEN_CHARS = 8192;
    static final int MAX_ROLES = 64;
    static final int MAX_ROLE_CHARS = 128;
    /** Header parameters that would let a token bring its own key (RFC 8725, 3.10). */
    private static final List<String> KEY_SOURCE_HEADERS = List.of("jku", "x5u", "jwk", "x5c");
    private static final List<String> PART_NAMES = List.of("header", "payload", "signature");
    /** The claims that hold a NumericDate (RFC 7519, 2 and 4.1.4-6). */
    private static final List<String> TIME_CLAIMS = List.of("exp", "nbf", "iat");
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final BrokerConfig.Jwt config;
    private final Clock clock;
    private final Map<String, VerificationKey> keys;
    private final Map<String, JwtParser> parsers;
    private final Set<String> allowedTypes;
    private final long skewMillis;
    private final long maxLifetimeMillis;

    private JwtVerifier(BrokerConfig.Jwt config, Clock clock, Map<String, VerificationKey> keys) {
        this.config = config;
        this.clock = clock;
        this.keys = keys;
        this.skewMillis = config.clockSkew().toMillis();
        this.maxLifetimeMillis = config.maxLifetime().toMillis();
        Set<String> types = new LinkedHashSet<>();
        config.allowedTypes().forEach(t -> types.add(normalizeType(t)));
        this.allowedTypes = Set.copyOf(types);
        Map<String, JwtParser> byKid = new LinkedHashMap<>();
        keys.forEach((kid, key) -> byKid.put(kid, parser(key)));
        this.parsers = Map.copyOf(byKid);
    }

    /**
     * Reads every key now.
     *
     * @throws IllegalStateException naming the config key, kid or file and what is wrong with it
     */
    public static JwtVerifier load(BrokerConfig.Jwt config, Clock clock) {
        if (config.issuer() == null || config.issuer().isBlank()) {
            throw new IllegalStateException("auth.jwt.issuer: required: tokens must name their issuer (iss)");
        }
        if (config.audience() == null || config.audience().isBlank()) {
            throw new IllegalStateException("auth.jwt.audience: required: tokens must name this broker as their "
                    + "audience (aud)");
        }
        if (config.allowedTypes().isEmpty()) {
            throw new IllegalStateException("auth.jwt.allowedTypes: list at least one typ, e.g. JWT or at+jwt");
        }
        if (config.clockSkew().isNegative() || config.clockSkew().compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalStateException("auth.jwt.clockSkew: " + Durations.format(config.clockSkew())
                    + " is out of range; allowed 0s to 60s");
        }
        if (config.maxLifetime().isNegative() || config.maxLifetime().isZero()) {
            throw new IllegalStateException("auth.jwt.maxLifetime: must be positive");
        }
        if (config.principalClaim() == null || config.principalClaim().isBlank()) {
            throw new IllegalStateException("auth.jwt.principalClaim: name the claim that holds the principal, "
                    + "e.g. sub");
        }
        return new JwtVerifier(config, clock, VerificationKeys.load(config));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private JwtParser parser(VerificationKey key) {
        JwtParserBuilder builder = Jwts.parser()
                .sig().clear().add((SecureDigestAlgorithm) key.algorithm().jjwt()).and()
                .zip().clear().and()
                .clock(() -> Date.from(clock.instant()))
                .clockSkewSeconds(config.clockSkew().toSeconds())
                .requireIssuer(config.issuer())
                .requireAudience(config.audience());
        if (key.key() instanceof PublicKey publicKey) {
            builder.verifyWith(publicKey);
        } else {
            builder.verifyWith((SecretKey) key.key());
        }
        return builder.build();
    }

    /**
     * Verifies a compact JWS and returns what it says about its bearer.
     *
     * @throws JwtRejectedException with a log-safe reason naming the check that failed
     */
    public VerifiedToken verify(String compact) throws JwtRejectedException {
        if (compact == null || compact.isEmpty()) {
            throw new JwtRejectedException("token is empty");
        }
        if (compact.length() > MAX_TOKEN_CHARS) {
            throw new JwtRejectedException("token has " + compact.length() + " characters; at most " + MAX_TOKEN_CHARS
                    + " are accepted");
        }
        String[] parts = compact.split("\\.", -1);
        if (parts.length == 5) {
            throw new JwtRejectedException("encrypted tokens (JWE) are not accepted; send a signed JWS");
        }
        if (parts.length != 3) {
            throw new JwtRejectedException("not a compact JWS: expected 3 dot-separated parts, found " + parts.length);
        }
        for (int i = 0; i < parts.length; i++) {
            checkCanonical(PART_NAMES.get(i), parts[i]);
        }
        JsonNode header = header(parts[0]);
        String alg = header.path("alg").isTextual() ? header.get("alg").asText() : null;
        if (alg == null || alg.isEmpty()) {
            throw new JwtRejectedException("header has no 'alg' string");
        }
        if (alg.strip().equalsIgnoreCase("none")) {
            throw new JwtRejectedException("unsecured token (alg '" + printable(alg) + "') refused: only signed tokens "
                    + "are accepted");
        }
        for (String name : KEY_SOURCE_HEADERS) {
            if (header.has(name)) {
                throw new JwtRejectedException("header '" + name + "' refused: verification keys are configured, never "
                        + "taken from a token");
            }
        }
        if (header.has("crit")) {
            throw new JwtRejectedException("header 'crit' refused: no JWS extensions are supported");
        }
        if (header.has("zip")) {
            throw new JwtRejectedException("header 'zip' refused: compressed tokens are not accepted");
        }
        if (header.has("cty")) {
            throw new JwtRejectedException("header 'cty' refused: the payload must be a JWT claims set, not nested "
                    + "content");
        }
        checkType(header.get("typ"));
        VerificationKey key = key(header.get("kid"));
        PinnedAlgorithm pinned = key.algorithm();
        if (!alg.equals(pinned.joseName())) {
            if (pinned.asymmetric() && alg.toUpperCase(Locale.ROOT).startsWith("HS")) {
                throw new JwtRejectedException("algorithm confusion: alg '" + printable(alg) + "' (HMAC) on key '"
                        + printable(key.kid()) + "', a public " + pinned.keyKind() + " key that verifies "
                        + pinned.joseName() + " only");
            }
            throw new JwtRejectedException("alg '" + printable(alg) + "' is not allowed for key '"
                    + printable(key.kid()) + "', which verifies " + pinned.joseName() + " only");
        }
        if (parts[2].isEmpty()) {
            throw new JwtRejectedException("signature does not verify: the signature is missing");
        }
        checkTimeClaims(parts[1]);
        Claims claims = signedClaims(compact, key);
        return checkClaims(claims, key);
    }

    /**
     * Refuses a part that is not exactly what base64url without padding would produce for its
     * bytes: a character outside {@code A-Z a-z 0-9 - _} (padding {@code =}, the standard
     * alphabet's {@code + /}, white space), an impossible length, or set bits after the last byte
     * (which decoders ignore, so they would give the same token another spelling).
     */
    static void checkCanonical(String name, String part) throws JwtRejectedException {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_';
            if (!allowed) {
                throw new JwtRejectedException(name + " is not base64url: " + character(c) + " at position " + i
                        + "; allowed are A-Z, a-z, 0-9, '-' and '_', without padding");
            }
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new JwtRejectedException(name + " is not base64url: " + part.length() + " characters cannot encode "
                    + "whole bytes", e);
        }
        if (!BASE64URL.encodeToString(bytes).equals(part)) {
            throw new JwtRejectedException(name + " is not canonical base64url: its last character carries bits "
                    + "beyond the encoded bytes; only the one canonical spelling of a token is accepted");
        }
    }

    private static String character(char c) {
        return c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    /**
     * RFC 7519 defines {@code exp}, {@code nbf} and {@code iat} as JSON numbers; jjwt would also
     * take strings (ISO 8601 or digits), so the payload is read here before jjwt sees it.
     */
    private static void checkTimeClaims(String encoded) throws JwtRejectedException {
        JsonNode payload;
        try {
            payload = JSON.readTree(Base64.getUrlDecoder().decode(encoded));
        } catch (IOException e) {
            throw new JwtRejectedException("payload is not a JSON object (" + printable(jsonProblem(e)) + ")", e);
        }
        if (payload == null || !payload.isObject()) {
            throw new JwtRejectedException("payload is not a JSON object");
        }
        for (String name : TIME_CLAIMS) {
            JsonNode value = payload.get(name);
            if (value != null && !value.isNumber()) {
                throw new JwtRejectedException("claim '" + name + "' must be a JSON number (NumericDate: seconds since "
                        + "1970-01-01T00:00:00Z, RFC 7519); it is a " + value.getNodeType().toString()
                        .toLowerCase(Locale.ROOT));
            }
        }
    }

    private static JsonNode header(String encoded) throws JwtRejectedException {
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new JwtRejectedException("header is not base64url", e);
        }
        JsonNode header;
        try {
            header = JSON.readTree(json);
        } catch (IOException e) {
            throw new JwtRejectedException("header is not a JSON object (" + printable(jsonProblem(e)) + ")", e);
        }
        if (header == null || !header.isObject()) {
            throw new JwtRejectedException("header is not a JSON object");
        }
        return header;
    }

    private void checkType(JsonNode typ) throws JwtRejectedException {
        if (typ == null) {
            throw new JwtRejectedException("header has no 'typ'; allowed types: " + config.allowedTypes());
        }
        if (!typ.isTextual() || !allowedTypes.contains(normalizeType(typ.asText()))) {
            throw new JwtRejectedException("typ '" + printable(typ.asText()) + "' is not allowed; allowed types: "
                    + config.allowedTypes());
        }
    }

    /** RFC 7515, 4.1.9: a typ without '/' means {@code application/} + typ; compared case-insensitively. */
    private static String normalizeType(String type) {
        String t = type.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("application/") && t.indexOf('/', "application/".length()) < 0) {
            t = t.substring("application/".length());
        }
        return t;
    }

    private VerificationKey key(JsonNode kid) throws JwtRejectedException {
        if (kid == null) {
            if (keys.size() == 1) {
                return keys.values().iterator().next();
            }
            throw new JwtRejectedException("header has no 'kid'; it is required because " + keys.size()
                    + " keys are configured");
        }
        if (!kid.isTextual()) {
            throw new JwtRejectedException("header 'kid' is not a string");
        }
        VerificationKey key = keys.get(kid.asText());
        if (key == null) {
            throw new JwtRejectedException("unknown kid '" + printable(kid.asText()) + "'");
        }
        return key;
    }

    private Claims signedClaims(String compact, VerificationKey key) throws JwtRejectedException {
        try {
            return parsers.get(key.kid()).parseSignedClaims(compact).getPayload();
        } catch (SignatureException e) {
            throw new JwtRejectedException("signature does not verify with key '" + printable(key.kid()) + "'", e);
        } catch (ExpiredJwtException e) {
            throw new JwtRejectedException("token expired at " + e.getClaims().getExpiration().toInstant() + " (now "
                    + clock.instant() + ", clock skew " + config.clockSkew().toSeconds() + " s)", e);
        } catch (PrematureJwtException e) {
            throw new JwtRejectedException("token is not valid yet: nbf is " + e.getClaims().getNotBefore().toInstant()
                    + " (now " + clock.instant() + ", clock skew " + config.clockSkew().toSeconds() + " s)", e);
        } catch (MissingClaimException e) {
            throw new JwtRejectedException(claimReason(e.getClaimName(), null) + " is missing", e);
        } catch (IncorrectClaimException e) {
            throw new JwtRejectedException(claimReason(e.getClaimName(), e.getClaims()), e);
        } catch (MalformedJwtException e) {
            throw new JwtRejectedException("token is malformed: a part is not base64url JSON, or a registered claim "
                    + "(iss, sub, aud, exp, nbf, iat, jti) has the wrong type", e);
        } catch (UnsupportedJwtException e) {
            throw new JwtRejectedException("token is not a signed JWT claims set", e);
        } catch (JwtException | IllegalArgumentException e) {
            throw new JwtRejectedException("token refused by the JWS library (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private String claimReason(String name, Claims claims) {
        if ("iss".equals(name)) {
            return claims == null ? "claim 'iss' (issuer)" : "wrong issuer: iss '" + printable(claims.getIssuer())
                    + "' is not the configured issuer '" + config.issuer() + "'";
        }
        if ("aud".equals(name)) {
            return claims == null ? "claim 'aud' (audience)" : "wrong audience: aud "
                    + printable(String.valueOf(claims.getAudience())) + " does not contain '" + config.audience() + "'";
        }
        return "claim '" + printable(name) + "' is wrong";
    }

    private VerifiedToken checkClaims(Claims claims, VerificationKey key) throws JwtRejectedException {
        long now = clock.millis();
        Instant exp = instant(claims.getExpiration());
        if (exp == null) {
            throw new JwtRejectedException("claim 'exp' is missing: tokens must expire");
        }
        Instant iat = instant(claims.getIssuedAt());
        if (iat != null && iat.toEpochMilli() > now + skewMillis) {
            throw new JwtRejectedException("token is issued in the future: iat is " + iat + " (now "
                    + Instant.ofEpochMilli(now) + ", clock skew " + config.clockSkew().toSeconds() + " s)");
        }
        Instant nbf = instant(claims.getNotBefore());
        long start = iat != null ? iat.toEpochMilli() : nbf != null ? nbf.toEpochMilli() : now;
        long lifetime = exp.toEpochMilli() - start;
        if (lifetime > maxLifetimeMillis) {
            throw new JwtRejectedException("lifetime over the maximum: the token lives " + Duration.ofMillis(lifetime)
                    + " (exp - " + (iat != null ? "iat" : nbf != null ? "nbf" : "now") + "); at most "
                    + config.maxLifetime() + " is allowed");
        }
        return new VerifiedToken(principal(claims), roles(claims), exp.toEpochMilli(), key.kid());
    }

    /** jjwt hands out the time claims as {@code Date}; everything past this boundary uses {@code Instant}. */
    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    private String principal(Claims claims) throws JwtRejectedException {
        String name = config.principalClaim();
        Object value = claims.get(name);
        if (value == null) {
            throw new JwtRejectedException("principal claim '" + name + "' is missing");
        }
        if (!(value instanceof String principal) || principal.isBlank()) {
            throw new JwtRejectedException("principal claim '" + name + "' must be a non-empty string");
        }
        if (!PrincipalNames.isValid(principal)) {
            throw new JwtRejectedException("principal claim '" + name + "' ('" + printable(principal) + "') is not a "
                    + "valid user name: " + PrincipalNames.RULE);
        }
        return principal;
    }

    private List<String> roles(Claims claims) throws JwtRejectedException {
        String name = config.rolesClaim();
        Object value = name == null ? null : claims.get(name);
        if (value == null) {
            return List.of();
        }
        List<String> roles = new ArrayList<>();
        if (value instanceof String text) {
            for (String role : text.strip().split("\\s+", -1)) { // empty pieces are skipped below
                if (!role.isEmpty()) {
                    roles.add(role);
                }
            }
        } else if (value instanceof Collection<?> list) {
            for (Object role : list) {
                if (!(role instanceof String text) || text.isBlank()) {
                    throw new JwtRejectedException("roles claim '" + name + "' must hold non-empty strings only");
                }
                roles.add(text);
            }
        } else {
            throw new JwtRejectedException("roles claim '" + name + "' must be an array of strings or a space-separated "
                    + "string");
        }
        if (roles.size() > MAX_ROLES) {
            throw new JwtRejectedException("roles claim '" + name + "' lists " + roles.size() + " roles; at most "
                    + MAX_ROLES + " are accepted");
        }
        for (String role : roles) {
            if (role.length() > MAX_ROLE_CHARS || role.chars().anyMatch(Character::isISOControl)) {
                throw new JwtRejectedException("roles claim '" + name + "' has a role longer than " + MAX_ROLE_CHARS
                        + " characters or with control characters");
            }
        }
        return roles;
    }

    /** A short, printable rendering of a value from the token, for reasons that end up in logs. */
    static String printable(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 64; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (value.length() > 64) {
            out.append("...");
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "JwtVerifier[issuer=" + config.issuer() + ", audience=" + config.audience() + ", keys=" + keys.values()
                + "]";
    }

    /** Jackson's description of a JSON problem, without the location dump of the whole input. */
    static String jsonProblem(IOException e) {
        return e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
    }
}
