package org.securebroker.server.auth.jwt;

import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.PrincipalNames;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.PrivateDirectories;

/**
 * The development token-signing key that {@code broker init} creates, and the tokens
 * {@code broker token mint} signs with it: a development aid for trying the JWT mechanism, not an
 * identity provider. The embedded default configuration (no config file) trusts the key's public
 * half with the settings of {@link #config(Path)}; a configuration file never does implicitly.
 *
 * <p>Thread-safety: stateless.
 */
public final class DevTokens {

    public static final String ISSUER = "securebroker-dev";
    public static final String AUDIENCE = "securebroker";
    public static final String KEY_ID = "dev";
    public static final String TYPE = "JWT";
    public static final String ROLES_CLAIM = BrokerConfig.Jwt.DEFAULT_ROLES_CLAIM;
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
    /** The longest a minted token may live; also the embedded configuration's maximum lifetime. */
    public static final Duration MAX_TTL = Duration.ofHours(1);
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    /** What a minted token says. */
    public record Request(String issuer, String audience, String keyId, String subject, List<String> roles,
                          Duration ttl) {
        public Request {
            roles = List.copyOf(roles);
        }
    }

    private DevTokens() {
    }

    /** The JWT settings that trust the development key {@code publicKey}. */
    public static BrokerConfig.Jwt config(Path publicKey) {
        return new BrokerConfig.Jwt(ISSUER, AUDIENCE, List.of(new BrokerConfig.JwtKey(KEY_ID, publicKey, null)), null,
                List.of("JWT", "at+jwt"), MAX_TTL, CLOCK_SKEW, "sub", ROLES_CLAIM);
    }

    /**
     * Creates an Ed25519 key pair: the public key as PEM (SubjectPublicKeyInfo), the private key
     * as PKCS#8 PEM readable by its owner only.
     */
    public static void createKeyPair(Path publicKeyFile, Path privateKeyFile, SecureRandom random) throws IOException {
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(NamedParameterSpec.ED25519, random);
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate Ed25519 keys", e);
        }
        LocalCa.writePrivateKey(privateKeyFile, pair.getPrivate());
        writePublicKey(publicKeyFile, pair.getPublic());
    }

    /** Writes a public key as PEM (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"); public keys are not secret. */
    public static void writePublicKey(Path file, PublicKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(key);
        }
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
        Files.writeString(file, out.toString(), StandardCharsets.US_ASCII);
    }

    /**
     * Signs a token with header {@code typ=JWT} and {@code kid}, and claims {@code iss},
     * {@code aud}, {@code sub}, {@code iat}, {@code exp} and {@code roles}. The algorithm follows
     * the key: EdDSA for Ed25519, ES256 for EC P-256, RS256 for RSA.
     *
     * @throws IllegalArgumentException if the subject is empty or not a valid user name, the TTL
     *     is not positive or over {@link #MAX_TTL}, or the key is of another kind
     */
    public static String mint(PrivateKey key, Request request, Clock clock) {
        if (request.subject() == null || request.subject().isBlank()) {
            throw new IllegalArgumentException("the subject must not be empty");
        }
        if (!PrincipalNames.isValid(request.subject())) {
            throw new IllegalArgumentException("the subject '" + request.subject() + "' is not a valid user name, so "
                    + "the broker would refuse the token: use " + PrincipalNames.RULE);
        }
        if (request.ttl().isNegative() || request.ttl().isZero() || request.ttl().compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("the TTL must be positive and at most " + MAX_TTL.toMinutes()
                    + "m; got " + request.ttl());
        }
        Instant now = clock.instant();
        JwtBuilder builder = Jwts.builder()
                .header().type(TYPE).keyId(request.keyId()).and()
                .issuer(request.issuer())
                .audience().add(request.audience()).and()
                .subject(request.subject())
                .issuedAt(Date.from(now))
                .expiration(Date.from(now.plus(request.ttl())));
        if (!request.roles().isEmpty()) {
            builder.claim(ROLES_CLAIM, request.roles());
        }
        if (key instanceof EdECPrivateKey) {
            builder.signWith(key, Jwts.SIG.EdDSA);
        } else if (key instanceof ECPrivateKey) {
            builder.signWith(key, Jwts.SIG.ES256);
        } else if (key instanceof RSAPrivateKey) {
            builder.signWith(key, Jwts.SIG.RS256);
        } else {
            throw new IllegalArgumentException("unsupported signing key type " + key.getAlgorithm()
                    + "; use an Ed25519, EC P-256 or RSA (>= 2048 bits) private key");
        }
        return builder.compact();
    }
}
