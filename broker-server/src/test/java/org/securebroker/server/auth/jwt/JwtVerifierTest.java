package org.securebroker.server.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.securebroker.server.config.BrokerConfig;

class JwtVerifierTest {

    static final String ISSUER = "https://idp.example";
    static final String AUDIENCE = "securebroker";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static KeyPair rsa;
    static KeyPair ec;
    static KeyPair ed;
    static KeyPair attacker;
    static byte[] hmac;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() {
        rsa = JwtForge.rsa(2048);
        ec = JwtForge.ecP256();
        ed = JwtForge.ed25519();
        attacker = JwtForge.rsa(2048);
        hmac = JwtForge.secret(32);
    }

    // ---- helpers

    private static BrokerConfig.Jwt config(List<BrokerConfig.JwtKey> keys, Path jwks) {
        return new BrokerConfig.Jwt(ISSUER, AUDIENCE, keys, jwks, List.of("JWT", "at+jwt"), Duration.ofHours(1),
                Duration.ofSeconds(30), "sub", "roles");
    }

    private BrokerConfig.JwtKey pemKey(String kid, KeyPair pair) throws Exception {
        return new BrokerConfig.JwtKey(kid, JwtForge.writePem(dir, kid + ".pem", pair.getPublic()), null);
    }

    private BrokerConfig.JwtKey secretKey(String kid, byte[] secret) throws Exception {
        return new BrokerConfig.JwtKey(kid, null, JwtForge.writeSecret(dir, kid + ".secret", secret));
    }

    private JwtVerifier verifier(BrokerConfig.JwtKey... keys) {
        return JwtVerifier.load(config(List.of(keys), null), CLOCK);
    }

    /** A verifier trusting only the RSA key, kid "rsa". */
    private JwtVerifier rsaVerifier() throws Exception {
        return verifier(pemKey("rsa", rsa));
    }

    private static JwtForge.Token valid() {
        return JwtForge.token(ISSUER, AUDIENCE, "alice", NOW, 300);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(JwtVerifier verifier, String token) {
        return assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(JwtRejectedException.class);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertLoadFails(BrokerConfig.Jwt config) {
        return assertThatThrownBy(() -> JwtVerifier.load(config, CLOCK)).isInstanceOf(IllegalStateException.class);
    }

    // ---- accepted

    @Test
    void shouldAcceptRs256SignedByTheConfiguredRsaKey() throws Exception {
        VerifiedToken token = rsaVerifier().verify(valid().kid("rsa").signRs256(rsa.getPrivate()));
        assertThat(token).isEqualTo(new VerifiedToken("alice", List.of(), NOW.plusSeconds(300).toEpochMilli(), "rsa"));
    }

    @Test
    void shouldAcceptTokenWithoutKidWhenOneKeyIsConfigured() throws Exception {
        assertThat(rsaVerifier().verify(valid().signRs256(rsa.getPrivate())).keyId()).isEqualTo("rsa");
    }

    @Test
    void shouldAcceptEs256InJoseSignatureFormat() throws Exception {
        JwtVerifier verifier = verifier(pemKey("ec", ec));
        assertThat(verifier.verify(valid().kid("ec").signEs256(ec.getPrivate())).principal()).isEqualTo("alice");
    }

    @Test
    void shouldAcceptEdDsa() throws Exception {
        JwtVerifier verifier = verifier(pemKey("ed", ed));
        assertThat(verifier.verify(valid().kid("ed").signEdDsa(ed.getPrivate())).principal()).isEqualTo("alice");
    }

    @Test
    void shouldAcceptHs256WithAConfiguredSecret() throws Exception {
        JwtVerifier verifier = verifier(secretKey("hs", hmac));
        assertThat(verifier.verify(valid().kid("hs").signHs256(hmac)).principal()).isEqualTo("alice");
    }

    @Test
    void shouldPickTheKeyByKidAcrossConfiguredKeysAndJwks() throws Exception {
        Map<String, java.security.PublicKey> published = new LinkedHashMap<>();
        published.put("jwks-rsa", rsa.getPublic());
        published.put("jwks-ec", ec.getPublic());
        published.put("jwks-ed", ed.getPublic());
        Path jwks = JwtForge.writeJwks(dir, "keys.jwks", published);
        JwtVerifier verifier = JwtVerifier.load(config(List.of(secretKey("hs", hmac)), jwks), CLOCK);

        assertThat(verifier.verify(valid().kid("jwks-rsa").signRs256(rsa.getPrivate())).keyId()).isEqualTo("jwks-rsa");
        assertThat(verifier.verify(valid().kid("jwks-ec").signEs256(ec.getPrivate())).keyId()).isEqualTo("jwks-ec");
        assertThat(verifier.verify(valid().kid("jwks-ed").signEdDsa(ed.getPrivate())).keyId()).isEqualTo("jwks-ed");
        assertThat(verifier.verify(valid().kid("hs").signHs256(hmac)).keyId()).isEqualTo("hs");
    }

    @Test
    void shouldAcceptTokenExpiredWithinTheClockSkew() throws Exception {
        String token = valid().issuedAt(NOW.minusSeconds(600)).expiresAt(NOW.minusSeconds(20)).signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).expiresAtMillis()).isEqualTo(NOW.minusSeconds(20).toEpochMilli());
    }

    @Test
    void shouldAcceptNotBeforeAndIssuedAtWithinTheClockSkew() throws Exception {
        String token = valid().issuedAt(NOW.plusSeconds(20)).notBefore(NOW.plusSeconds(20)).signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).principal()).isEqualTo("alice");
    }

    @Test
    void shouldReadRolesFromAnArrayClaim() throws Exception {
        String token = valid().claim("roles", List.of("admin", "ops")).signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).roles()).containsExactly("admin", "ops");
    }

    @Test
    void shouldReadRolesFromASpaceSeparatedString() throws Exception {
        String token = valid().claim("roles", "admin  ops").signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).roles()).containsExactly("admin", "ops");
    }

    @Test
    void shouldTakeThePrincipalFromACustomClaim() throws Exception {
        BrokerConfig.Jwt custom = new BrokerConfig.Jwt(ISSUER, AUDIENCE, List.of(pemKey("rsa", rsa)), null,
                List.of("JWT"), Duration.ofHours(1), Duration.ofSeconds(30), "preferred_username", "groups");
        String token = valid().claim("preferred_username", "bob").claim("groups", List.of("dev"))
                .signRs256(rsa.getPrivate());
        VerifiedToken verified = JwtVerifier.load(custom, CLOCK).verify(token);
        assertThat(verified.principal()).isEqualTo("bob");
        assertThat(verified.roles()).containsExactly("dev");
    }

    @Test
    void shouldAcceptAnAudienceArrayContainingTheBroker() throws Exception {
        String token = valid().claim("aud", List.of("other", AUDIENCE)).signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).principal()).isEqualTo("alice");
    }

    @Test
    void shouldCompareTypeCaseInsensitivelyWithOrWithoutTheApplicationPrefix() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertThat(verifier.verify(valid().header("typ", "jwt").signRs256(rsa.getPrivate()))).isNotNull();
        assertThat(verifier.verify(valid().header("typ", "application/AT+JWT").signRs256(rsa.getPrivate()))).isNotNull();
    }

    // ---- unsecured tokens and algorithm confusion

    @ParameterizedTest
    @ValueSource(strings = {"none", "None", "NONE", "nOnE"})
    void shouldRejectUnsecuredTokensInEveryLetterCase(String none) throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertRejected(verifier, valid().unsecured(none)).hasMessageContaining("unsecured token (alg '" + none + "')");
        assertRejected(verifier, valid().withSignature(none, "x".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("unsecured token");
        String noSignaturePart = valid().signingInput(none);
        assertRejected(verifier, noSignaturePart).hasMessageContaining("not a compact JWS: expected 3");
    }

    @Test
    void shouldRejectHs256MadeWithTheRsaPublicKeyDerBytesAsAlgorithmConfusion() throws Exception {
        String token = valid().kid("rsa").signHs256(rsa.getPublic().getEncoded());
        assertRejected(rsaVerifier(), token).hasMessageContaining("algorithm confusion: alg 'HS256' (HMAC) on key 'rsa'");
    }

    @Test
    void shouldRejectHs256MadeWithTheRsaPublicKeyPemTextAsAlgorithmConfusion() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        byte[] pemBytes = Files.readAllBytes(dir.resolve("rsa.pem"));
        assertRejected(verifier, valid().kid("rsa").signHs256(pemBytes)).hasMessageContaining("algorithm confusion");
        byte[] pemWithoutNewline = JwtForge.pem(rsa.getPublic()).strip().getBytes(StandardCharsets.US_ASCII);
        assertRejected(verifier, valid().signHs256(pemWithoutNewline)).hasMessageContaining("algorithm confusion");
    }

    @Test
    void shouldRejectHs256OnAnEcKeyAsAlgorithmConfusion() throws Exception {
        JwtVerifier verifier = verifier(pemKey("ec", ec));
        assertRejected(verifier, valid().signHs256(ec.getPublic().getEncoded()))
                .hasMessageContaining("algorithm confusion");
    }

    @Test
    void shouldRejectAnotherSignatureAlgorithmThanTheKeysPinnedOne() throws Exception {
        assertRejected(rsaVerifier(), valid().signEs256(ec.getPrivate()))
                .hasMessageContaining("alg 'ES256' is not allowed for key 'rsa', which verifies RS256 only");
        assertRejected(verifier(secretKey("hs", hmac)), valid().signRs256(rsa.getPrivate()))
                .hasMessageContaining("alg 'RS256' is not allowed for key 'hs', which verifies HS256 only");
        assertRejected(rsaVerifier(), valid().withSignature("rs256", new byte[256]))
                .hasMessageContaining("alg 'rs256' is not allowed");
    }

    // ---- signature

    @Test
    void shouldRejectAStrippedSignature() throws Exception {
        String token = JwtForge.stripSignature(valid().signRs256(rsa.getPrivate()));
        assertRejected(rsaVerifier(), token).hasMessage("signature does not verify: the signature is missing");
    }

    @Test
    void shouldRejectATamperedPayload() throws Exception {
        String token = JwtForge.tamperClaim(valid().signRs256(rsa.getPrivate()), "sub", "admin");
        assertRejected(rsaVerifier(), token).hasMessage("signature does not verify with key 'rsa'");
    }

    @Test
    void shouldRejectAKnownKidSignedByTheAttackersKey() throws Exception {
        String token = valid().kid("rsa").signRs256(attacker.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("signature does not verify with key 'rsa'");
    }

    @Test
    void shouldRejectAnUnknownKid() throws Exception {
        String token = valid().kid("attacker").signRs256(attacker.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("unknown kid 'attacker'");
    }

    @Test
    void shouldRequireKidWhenSeveralKeysAreConfigured() throws Exception {
        JwtVerifier verifier = verifier(pemKey("rsa", rsa), pemKey("ec", ec));
        assertRejected(verifier, valid().signRs256(rsa.getPrivate()))
                .hasMessage("header has no 'kid'; it is required because 2 keys are configured");
    }

    @Test
    void shouldRejectAGuessableHmacSecretAgainstAProperlyConfiguredKey() throws Exception {
        String token = valid().signHs256("secret".getBytes(StandardCharsets.US_ASCII));
        assertRejected(verifier(secretKey("hs", hmac)), token).hasMessage("signature does not verify with key 'hs'");
    }

    // ---- keys from the token

    @ParameterizedTest
    @ValueSource(strings = {"jku", "x5u"})
    void shouldRejectKeyUrlsInTheHeader(String name) throws Exception {
        String token = valid().kid("rsa").header(name, "https://attacker.example/keys").signRs256(attacker.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("header '" + name + "' refused: verification keys are "
                + "configured, never taken from a token");
    }

    @Test
    void shouldRejectAnEmbeddedJwk() throws Exception {
        String token = valid().kid("rsa").header("jwk", JwtForge.jwk("rsa", attacker.getPublic()))
                .signRs256(attacker.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("header 'jwk' refused");
    }

    @Test
    void shouldRejectAnEmbeddedCertificateChain() throws Exception {
        String fakeCert = Base64.getEncoder().encodeToString(attacker.getPublic().getEncoded());
        String token = valid().header("x5c", List.of(fakeCert)).signRs256(attacker.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("header 'x5c' refused");
    }

    @Test
    void shouldRejectCriticalExtensions() throws Exception {
        String token = valid().header("crit", List.of("b64")).header("b64", false).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("header 'crit' refused: no JWS extensions are supported");
    }

    // ---- claims

    @Test
    void shouldRejectAnExpiredToken() throws Exception {
        String token = valid().issuedAt(NOW.minusSeconds(900)).expiresAt(NOW.minusSeconds(31)).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("token expired at 2026-03-01T11:59:29Z");
    }

    @Test
    void shouldRejectATokenNotValidYet() throws Exception {
        String token = valid().claim("iat", null).notBefore(NOW.plusSeconds(31)).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("token is not valid yet: nbf is 2026-03-01T12:00:31Z");
    }

    @Test
    void shouldRejectATokenIssuedInTheFuture() throws Exception {
        String token = valid().issuedAt(NOW.plusSeconds(31)).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("token is issued in the future");
    }

    @Test
    void shouldRejectATokenWithoutExpiry() throws Exception {
        String token = valid().claim("exp", null).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("claim 'exp' is missing: tokens must expire");
    }

    @Test
    void shouldRejectTheWrongIssuer() throws Exception {
        String token = valid().claim("iss", "https://attacker.example").signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("wrong issuer: iss 'https://attacker.example' is not the "
                + "configured issuer '" + ISSUER + "'");
    }

    @Test
    void shouldRejectAMissingIssuer() throws Exception {
        String token = valid().claim("iss", null).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("claim 'iss' (issuer) is missing");
    }

    @Test
    void shouldRejectTheWrongAudience() throws Exception {
        String token = valid().claim("aud", List.of("other-service")).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("wrong audience: aud [other-service] does not contain '"
                + AUDIENCE + "'");
    }

    @Test
    void shouldRejectAMissingAudience() throws Exception {
        String token = valid().claim("aud", null).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("claim 'aud' (audience) is missing");
    }

    @Test
    void shouldRejectTheWrongType() throws Exception {
        String token = valid().header("typ", "dpop+jwt").signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("typ 'dpop+jwt' is not allowed; allowed types: [JWT, at+jwt]");
    }

    @Test
    void shouldRejectAMissingType() throws Exception {
        String token = valid().header("typ", null).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("header has no 'typ'; allowed types: [JWT, at+jwt]");
    }

    @Test
    void shouldRejectALifetimeOverTheMaximum() throws Exception {
        String token = valid().expiresAt(NOW.plus(Duration.ofHours(1)).plusSeconds(1)).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessageStartingWith("lifetime over the maximum: the token lives "
                + "PT1H1S (exp - iat)");
    }

    @Test
    void shouldMeasureLifetimeFromNowWhenIatIsMissing() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        String ok = valid().claim("iat", null).expiresAt(NOW.plus(Duration.ofMinutes(59))).signRs256(rsa.getPrivate());
        assertThat(verifier.verify(ok).principal()).isEqualTo("alice");
        String tooLong = valid().claim("iat", null).expiresAt(NOW.plus(Duration.ofHours(2))).signRs256(rsa.getPrivate());
        assertRejected(verifier, tooLong).hasMessageContaining("lifetime over the maximum").hasMessageContaining("exp - now");
    }

    @Test
    void shouldRejectAMissingOrNonStringPrincipal() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertRejected(verifier, valid().claim("sub", null).signRs256(rsa.getPrivate()))
                .hasMessage("principal claim 'sub' is missing");
        BrokerConfig.Jwt custom = new BrokerConfig.Jwt(ISSUER, AUDIENCE, List.of(pemKey("rsa", rsa)), null,
                List.of("JWT"), Duration.ofHours(1), Duration.ofSeconds(30), "uid", null);
        assertRejected(JwtVerifier.load(custom, CLOCK), valid().claim("uid", 42).signRs256(rsa.getPrivate()))
                .hasMessage("principal claim 'uid' must be a non-empty string");
        assertRejected(verifier, valid().claim("sub", List.of("a")).signRs256(rsa.getPrivate()))
                .hasMessageContaining("a registered claim (iss, sub, aud, exp, nbf, iat, jti) has the wrong type");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\u0430lice",        // Cyrillic a: looks like "alice"
        "b\u03bfb",          // Greek omicron: looks like "bob"
        "\uff41lice",        // fullwidth a
        "alice\u2028admin",  // line separator
        "alice\u202eecila",  // right-to-left override
        "ali\u0007ce",       // control character
        "alice smith",
        "-alice"})
    void shouldRejectAPrincipalThatIsNotAValidUserName(String principal) throws Exception {
        String token = valid().claim("sub", principal).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token)
                .hasMessageStartingWith("principal claim 'sub' ('")
                .hasMessageContaining("is not a valid user name: 1-128 characters of letters, digits")
                .satisfies(e -> assertThat(e.getMessage()).as("printable ASCII only").matches("\\p{Print}+"));
    }

    @Test
    void shouldAcceptAPrincipalWithEveryCharacterAUserNameMayHave() throws Exception {
        String token = valid().claim("sub", "svc.orders_eu-1@example.org").signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).principal()).isEqualTo("svc.orders_eu-1@example.org");
    }

    @ParameterizedTest
    @ValueSource(strings = {"exp", "nbf", "iat"})
    void shouldRejectATimeClaimThatIsAStringOfDigits(String claim) throws Exception {
        long value = claim.equals("exp") ? NOW.plusSeconds(300).getEpochSecond() : NOW.minusSeconds(10).getEpochSecond();
        String token = valid().claim(claim, Long.toString(value)).signRs256(rsa.getPrivate());
        assertRejected(rsaVerifier(), token).hasMessage("claim '" + claim + "' must be a JSON number (NumericDate: "
                + "seconds since 1970-01-01T00:00:00Z, RFC 7519); it is a string");
    }

    @Test
    void shouldRejectATimeClaimThatIsADateStringOrAnotherJsonType() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertRejected(verifier, valid().claim("exp", NOW.plusSeconds(300).toString()).signRs256(rsa.getPrivate()))
                .hasMessageContaining("claim 'exp' must be a JSON number").hasMessageEndingWith("it is a string");
        assertRejected(verifier, valid().claim("nbf", true).signRs256(rsa.getPrivate()))
                .hasMessageContaining("claim 'nbf' must be a JSON number").hasMessageEndingWith("it is a boolean");
        assertRejected(verifier, valid().claim("iat", List.of(NOW.getEpochSecond())).signRs256(rsa.getPrivate()))
                .hasMessageContaining("claim 'iat' must be a JSON number").hasMessageEndingWith("it is a array");
    }

    @Test
    void shouldAcceptAFractionalNumericDate() throws Exception {
        String token = valid().claim("iat", NOW.getEpochSecond() - 0.5).signRs256(rsa.getPrivate());
        assertThat(rsaVerifier().verify(token).principal()).isEqualTo("alice");
    }

    @Test
    void shouldRejectDuplicateClaims() throws Exception {
        String[] parts = valid().signHs256(hmac).split("\\.", -1);
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String twice = JwtForge.base64url(claims.replaceFirst("\\{", "{\"sub\":\"admin\","));
        String token = JwtForge.signHs256(parts[0] + "." + twice, hmac);
        assertRejected(verifier(secretKey("hmac", hmac)), token).hasMessageStartingWith("payload is not a JSON object")
                .hasMessageContaining("sub");
    }

    @Test
    void shouldRejectEveryNonCanonicalBase64urlSpellingOfAValidToken() throws Exception {
        JwtVerifier verifier = verifier(secretKey("hmac", hmac));
        // a claim of the right length makes every part end inside a base64 quantum (room for padding and
        // stray bits), and a signature with '-' or '_' has a spelling in the standard alphabet
        String[] parts = null;
        for (int n = 0; parts == null; n++) {
            String[] p = valid().kid("hmac").claim("pad", "x".repeat(n)).signHs256(hmac).split("\\.", -1);
            boolean partial = p[0].length() % 4 != 0 && p[1].length() % 4 != 0 && p[2].length() % 4 != 0;
            if (partial && (p[2].contains("-") || p[2].contains("_"))) {
                parts = p;
            }
        }
        String header = parts[0];
        String payload = parts[1];
        String signature = parts[2];
        assertThat(verifier.verify(header + "." + payload + "." + signature).principal()).isEqualTo("alice");
        Map<String, String> spellings = new LinkedHashMap<>();
        spellings.put("padded header", JwtForge.signHs256(padded(header) + "." + payload, hmac));
        spellings.put("padded payload", JwtForge.signHs256(header + "." + padded(payload), hmac));
        spellings.put("padded signature", header + "." + payload + "." + padded(signature));
        spellings.put("stray bits in the header", JwtForge.signHs256(strayBits(header) + "." + payload, hmac));
        spellings.put("stray bits in the payload", JwtForge.signHs256(header + "." + strayBits(payload), hmac));
        spellings.put("stray bits in the signature", header + "." + payload + "." + strayBits(signature));
        spellings.put("standard alphabet in the signature", header + "." + payload + "."
                + signature.replace('-', '+').replace('_', '/'));
        spellings.put("line break in the payload", JwtForge.signHs256(header + "."
                + payload.substring(0, 8) + "\n" + payload.substring(8), hmac));
        List<String> notRefusedAsSuch = new ArrayList<>();
        for (Map.Entry<String, String> s : spellings.entrySet()) {
            try {
                verifier.verify(s.getValue());
                notRefusedAsSuch.add(s.getKey() + ": accepted");
            } catch (JwtRejectedException e) {
                if (!e.getMessage().contains("base64url")) {
                    notRefusedAsSuch.add(s.getKey() + ": " + e.getMessage());
                }
            }
        }
        assertThat(notRefusedAsSuch).isEmpty();
    }

    /** The part with the padding that standard base64 would add. */
    private static String padded(String part) {
        return part + "=".repeat((4 - part.length() % 4) % 4);
    }

    /** The part with the lowest bit of its last character set: a bit no byte uses, so it decodes to the same bytes. */
    private static String strayBits(String part) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(part.charAt(part.length() - 1));
        assertThat(last & 1).as("a canonical encoding leaves unused bits zero").isZero();
        String changed = part.substring(0, part.length() - 1) + alphabet.charAt(last | 1);
        assertThat(Base64.getUrlDecoder().decode(changed)).isEqualTo(Base64.getUrlDecoder().decode(part));
        return changed;
    }

    @Test
    void shouldRejectRolesThatAreNotStrings() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertRejected(verifier, valid().claim("roles", Map.of("admin", true)).signRs256(rsa.getPrivate()))
                .hasMessage("roles claim 'roles' must be an array of strings or a space-separated string");
        assertRejected(verifier, valid().claim("roles", List.of("ops", 7)).signRs256(rsa.getPrivate()))
                .hasMessage("roles claim 'roles' must hold non-empty strings only");
    }

    // ---- shape

    @Test
    void shouldRejectEncryptedTokens() throws Exception {
        assertRejected(rsaVerifier(), "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d")
                .hasMessage("encrypted tokens (JWE) are not accepted; send a signed JWS");
    }

    @Test
    void shouldRejectDuplicateHeaderMembers() throws Exception {
        String header = JwtForge.base64url("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"alg\":\"none\"}");
        String token = valid().signRs256(rsa.getPrivate());
        String forged = header + token.substring(token.indexOf('.'));
        assertRejected(rsaVerifier(), forged).hasMessageStartingWith("header is not a JSON object");
    }

    @Test
    void shouldRejectOverlongAndEmptyTokens() throws Exception {
        JwtVerifier verifier = rsaVerifier();
        assertRejected(verifier, "").hasMessage("token is empty");
        assertRejected(verifier, "a".repeat(JwtVerifier.MAX_TOKEN_CHARS + 1)).hasMessageContaining("at most 8192");
    }

    @Test
    void shouldNotEchoTheTokenInTheReason() throws Exception {
        String token = valid().claim("iss", "x".repeat(500)).signRs256(rsa.getPrivate());
        assertThatThrownBy(() -> rsaVerifier().verify(token)).satisfies(e -> {
            assertThat(e.getMessage()).doesNotContain(token).hasSizeLessThan(200);
        });
    }

    // ---- load()

    @Test
    void shouldRefuseAMissingKeyFile() {
        assertLoadFails(config(List.of(new BrokerConfig.JwtKey("a", dir.resolve("nope.pem"), null)), null))
                .hasMessage("auth.jwt.keys[kid=a].publicKey: " + dir.resolve("nope.pem") + " does not exist");
    }

    @Test
    void shouldRefuseAFileThatIsNotAPemPublicKey() throws Exception {
        Path file = Files.writeString(dir.resolve("junk.pem"), "not a key\n");
        assertLoadFails(config(List.of(new BrokerConfig.JwtKey("a", file, null)), null))
                .hasMessageContaining("auth.jwt.keys[kid=a].publicKey: " + file + " is not a PEM public key");
    }

    @Test
    void shouldRefuseAPrivateKeyWhereAPublicKeyBelongs() throws Exception {
        Path file = Files.writeString(dir.resolve("private.pem"), JwtForge.pem("PRIVATE KEY", rsa.getPrivate().getEncoded()));
        assertLoadFails(config(List.of(new BrokerConfig.JwtKey("a", file, null)), null))
                .hasMessageContaining("holds a private key");
    }

    @Test
    void shouldRefuseRsaKeysShorterThan2048Bits() throws Exception {
        assertLoadFails(config(List.of(pemKey("small", JwtForge.rsa(1024))), null))
                .hasMessageContaining("auth.jwt.keys[kid=small].publicKey").hasMessageContaining("is a 1024-bit RSA key");
    }

    @Test
    void shouldRefuseEcKeysNotOnP256() throws Exception {
        assertLoadFails(config(List.of(pemKey("p384", JwtForge.ec("secp384r1"))), null))
                .hasMessageContaining("is an EC key on secp384r1, not P-256");
    }

    @Test
    void shouldRefuseUnsupportedKeyTypes() throws Exception {
        KeyPair x25519 = java.security.KeyPairGenerator.getInstance("X25519").generateKeyPair();
        assertLoadFails(config(List.of(pemKey("x", x25519)), null))
                .hasMessageContaining("holds an unsupported key type (X25519/X448 key agreement)");
    }

    @Test
    void shouldRefuseAnHmacSecretShorterThan32Bytes() throws Exception {
        assertLoadFails(config(List.of(secretKey("weak", JwtForge.secret(16))), null))
                .hasMessageContaining("auth.jwt.keys[kid=weak].secret").hasMessageContaining("holds a 16-byte HMAC secret");
    }

    @Test
    void shouldRefuseAnHmacSecretThatIsNotBase64() throws Exception {
        Path file = Files.writeString(dir.resolve("raw.secret"), "this is not base64 at all!!\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertLoadFails(config(List.of(new BrokerConfig.JwtKey("raw", null, file)), null))
                .hasMessageContaining("is not base64 text");
    }

    @Test
    void shouldRefuseAnHmacSecretReadableByOthers() throws Exception {
        BrokerConfig.JwtKey key = secretKey("loose", hmac);
        Files.setPosixFilePermissions(key.secret(), PosixFilePermissions.fromString("rw-r--r--"));
        assertLoadFails(config(List.of(key), null)).hasMessageContaining("auth.jwt.keys[kid=loose].secret")
                .hasMessageContaining("accessible by group or others").hasMessageContaining("chmod 600");
    }

    @Test
    void shouldRefuseAMalformedJwksFile() throws Exception {
        Path notJson = Files.writeString(dir.resolve("bad.jwks"), "{\"keys\": [");
        assertLoadFails(config(List.of(), notJson)).hasMessageContaining("auth.jwt.jwks: " + notJson + " is not valid JSON");
        Path noKeys = Files.writeString(dir.resolve("nokeys.jwks"), "{\"key\": []}");
        assertLoadFails(config(List.of(), noKeys)).hasMessageContaining("is not a JWKS file");
    }

    @Test
    void shouldRefuseJwksEntriesWithoutKid() throws Exception {
        Map<String, Object> entry = new LinkedHashMap<>(JwtForge.jwk("x", rsa.getPublic()));
        entry.remove("kid");
        Path jwks = JwtForge.writeJwks(dir, "nokid.jwks", List.of(entry));
        assertLoadFails(config(List.of(), jwks)).hasMessageContaining("keys[0] has no kid");
    }

    @Test
    void shouldRefuseJwksPrivateKeys() throws Exception {
        Map<String, Object> entry = new LinkedHashMap<>(JwtForge.jwk("priv", ec.getPublic()));
        entry.put("d", JwtForge.base64url(new byte[32]));
        Path jwks = JwtForge.writeJwks(dir, "private.jwks", List.of(entry));
        assertLoadFails(config(List.of(), jwks)).hasMessageContaining("(kid 'priv') is a private key (it has 'd')");
    }

    @Test
    void shouldRefuseJwksSymmetricKeys() throws Exception {
        Map<String, Object> entry = Map.of("kty", "oct", "kid", "sym", "k", JwtForge.base64url(JwtForge.secret(32)));
        Path jwks = JwtForge.writeJwks(dir, "oct.jwks", List.of(entry));
        assertLoadFails(config(List.of(), jwks)).hasMessageContaining("(kid 'sym') is a symmetric 'oct' key");
    }

    @Test
    void shouldRefuseJwksKeysWithAnotherAlgorithm() throws Exception {
        Map<String, Object> entry = new LinkedHashMap<>(JwtForge.jwk("pss", rsa.getPublic()));
        entry.put("alg", "PS256");
        Path jwks = JwtForge.writeJwks(dir, "pss.jwks", List.of(entry));
        assertLoadFails(config(List.of(), jwks)).hasMessageContaining("has alg 'PS256', but RSA keys verify RS256 only");
    }

    @Test
    void shouldRefuseAKidUsedTwiceAcrossKeysAndJwks() throws Exception {
        Path jwks = JwtForge.writeJwks(dir, "dup.jwks", Map.of("a", ec.getPublic()));
        assertLoadFails(config(List.of(pemKey("a", rsa)), jwks))
                .hasMessageContaining("kid 'a' is used by auth.jwt.keys[kid=a].publicKey already");
    }

    @Test
    void shouldRefuseAConfigurationWithoutKeys() {
        assertLoadFails(config(List.of(), null)).hasMessageContaining("auth.jwt: no verification keys");
    }

    @Test
    void shouldNotPrintKeysInToString() throws Exception {
        JwtVerifier verifier = verifier(pemKey("rsa", rsa), secretKey("hs", hmac));
        String text = verifier.toString();
        assertThat(text).contains("kid 'rsa'").contains("kid 'hs'");
        String modulus = ((java.security.interfaces.RSAPublicKey) rsa.getPublic()).getModulus().toString();
        List<String> forbidden = new ArrayList<>(List.of(modulus.substring(0, 20),
                Base64.getEncoder().encodeToString(hmac), JwtForge.base64url(hmac)));
        forbidden.add(modulus.substring(0, 12));
        for (String secret : forbidden) {
            assertThat(text).doesNotContain(secret);
        }
    }
}
