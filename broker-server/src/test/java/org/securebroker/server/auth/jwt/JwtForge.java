package org.securebroker.server.auth.jwt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hand-builds JWTs, including the malformed and malicious ones a verifier must refuse, with plain
 * JCA, Jackson and base64url: no JOSE library, since those refuse to build attacks. Also writes
 * the key files a verifier is configured with (PEM public keys, base64 HMAC secrets, JWKS).
 *
 * <pre>{@code
 * String token = JwtForge.token().kid("a").claim("sub", "alice").expiresAt(now.plusSeconds(300))
 *         .signRs256(rsa.getPrivate());
 * }</pre>
 *
 * <p>Thread-safety: the static methods are thread-safe; a {@link Token} is not.
 */
public final class JwtForge {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private JwtForge() {
    }

    /** A token with header {@code {"typ":"JWT"}} and no claims. */
    public static Token token() {
        return new Token().header("typ", "JWT");
    }

    /** A token with {@code typ=JWT} and the usual claims: iss, aud, sub, iat = now, exp = now + seconds. */
    public static Token token(String issuer, String audience, String subject, Instant now, long seconds) {
        return token().claim("iss", issuer).claim("aud", audience).claim("sub", subject).issuedAt(now)
                .expiresAt(now.plusSeconds(seconds));
    }

    /** A token being built: its header and claims are arbitrary JSON values, in insertion order. */
    public static final class Token {
        private final Map<String, Object> header = new LinkedHashMap<>();
        private final Map<String, Object> claims = new LinkedHashMap<>();

        private Token() {
            header.put("alg", null);
        }

        /** Sets a header parameter; {@code null} removes it. */
        public Token header(String name, Object value) {
            if (value == null) {
                header.remove(name);
            } else {
                header.put(name, value);
            }
            return this;
        }

        public Token kid(String kid) {
            return header("kid", kid);
        }

        /** Sets a claim; {@code null} removes it. */
        public Token claim(String name, Object value) {
            if (value == null) {
                claims.remove(name);
            } else {
                claims.put(name, value);
            }
            return this;
        }

        public Token issuedAt(Instant at) {
            return claim("iat", at.getEpochSecond());
        }

        public Token notBefore(Instant at) {
            return claim("nbf", at.getEpochSecond());
        }

        public Token expiresAt(Instant at) {
            return claim("exp", at.getEpochSecond());
        }

        /** Header {@code alg=RS256}, signed with SHA256withRSA. */
        public String signRs256(PrivateKey key) {
            return signWith("RS256", "SHA256withRSA", key);
        }

        /** Header {@code alg=ES256}, signed with ECDSA P-256 in the JOSE format (raw R || S, 64 bytes, not DER). */
        public String signEs256(PrivateKey key) {
            return signWith("ES256", "SHA256withECDSAinP1363Format", key);
        }

        /** Header {@code alg=EdDSA}, signed with Ed25519. */
        public String signEdDsa(PrivateKey key) {
            return signWith("EdDSA", "Ed25519", key);
        }

        /**
         * Header {@code alg=HS256}, HMAC-SHA256 with these key bytes, whatever they are: a public
         * key's DER or PEM bytes make the RS256-to-HS256 algorithm-confusion attack.
         */
        public String signHs256(byte[] secret) {
            return JwtForge.signHs256(signingInput("HS256"), secret);
        }

        /** An unsecured token with this spelling of {@code alg} (e.g. {@code nOnE}) and an empty signature. */
        public String unsecured(String alg) {
            return signingInput(alg) + ".";
        }

        /** Header and payload with {@code alg} set, and the given signature bytes, which may be anything. */
        public String withSignature(String alg, byte[] signature) {
            return signingInput(alg) + "." + base64url(signature);
        }

        /** {@code base64url(header) + "." + base64url(claims)} with {@code alg} set. */
        public String signingInput(String alg) {
            header.put("alg", alg);
            return base64url(json(header)) + "." + base64url(json(claims));
        }

        private String signWith(String alg, String jcaAlgorithm, PrivateKey key) {
            String input = signingInput(alg);
            try {
                Signature signature = Signature.getInstance(jcaAlgorithm);
                signature.initSign(key);
                signature.update(input.getBytes(StandardCharsets.US_ASCII));
                return input + "." + base64url(signature.sign());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * {@code signingInput + "." + base64url(HMAC-SHA256(secret, signingInput))}: signs the text as
     * it is, however header and payload are spelled.
     */
    public static String signHs256(String signingInput, byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return signingInput + "." + base64url(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The token with its signature removed (the trailing dot stays): {@code header.payload.}. */
    public static String stripSignature(String token) {
        return token.substring(0, token.lastIndexOf('.') + 1);
    }

    /** The token with one claim changed and its original header and signature kept. */
    public static String tamperClaim(String token, String name, Object value) {
        String[] parts = token.split("\\.", -1);
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> claims = JSON.readValue(Base64.getUrlDecoder().decode(parts[1]), LinkedHashMap.class);
            claims.put(name, value);
            return parts[0] + "." + base64url(json(claims)) + "." + parts[2];
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- keys

    public static KeyPair rsa(int bits) {
        return generate("RSA", generator -> generator.initialize(bits));
    }

    public static KeyPair ecP256() {
        return generate("EC", generator -> generator.initialize(new ECGenParameterSpec("secp256r1")));
    }

    public static KeyPair ec(String curve) {
        return generate("EC", generator -> generator.initialize(new ECGenParameterSpec(curve)));
    }

    public static KeyPair ed25519() {
        return generate("Ed25519", generator -> generator.initialize(NamedParameterSpec.ED25519));
    }

    /** {@code bytes} random bytes. */
    public static byte[] secret(int bytes) {
        byte[] secret = new byte[bytes];
        new java.security.SecureRandom().nextBytes(secret);
        return secret;
    }

    private interface Init {
        void apply(KeyPairGenerator generator) throws GeneralSecurityException;
    }

    private static KeyPair generate(String algorithm, Init init) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            init.apply(generator);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- encodings and files

    /** A public key as PEM text ("BEGIN PUBLIC KEY", SubjectPublicKeyInfo, 64-character lines). */
    public static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    /** DER bytes as PEM text with this label. */
    public static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    /** Writes {@link #pem(PublicKey)} to {@code dir/name} and returns the file. */
    public static Path writePem(Path dir, String name, PublicKey key) throws IOException {
        return writeText(dir.resolve(name), pem(key));
    }

    /** Writes a secret as base64 text and a newline to {@code dir/name}, readable by its owner only. */
    public static Path writeSecret(Path dir, String name, byte[] secret) throws IOException {
        Path file = writeText(dir.resolve(name), Base64.getEncoder().encodeToString(secret) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Writes a JWKS file with these public keys, by kid, to {@code dir/name}. */
    public static Path writeJwks(Path dir, String name, Map<String, PublicKey> keys) throws IOException {
        List<Map<String, Object>> entries = new java.util.ArrayList<>();
        keys.forEach((kid, key) -> entries.add(jwk(kid, key)));
        return writeJwks(dir, name, entries);
    }

    /** Writes a JWKS file with these entries, as given, to {@code dir/name}. */
    public static Path writeJwks(Path dir, String name, List<Map<String, Object>> entries) throws IOException {
        return writeText(dir.resolve(name), json(Map.of("keys", entries)));
    }

    /** A public JWK (RFC 7517/7518/8037) for an RSA, EC P-256 or Ed25519 public key. */
    public static Map<String, Object> jwk(String kid, PublicKey key) {
        Map<String, Object> jwk = new LinkedHashMap<>();
        if (key instanceof RSAPublicKey rsa) {
            jwk.put("kty", "RSA");
            jwk.put("n", base64url(unsigned(rsa.getModulus(), 0)));
            jwk.put("e", base64url(unsigned(rsa.getPublicExponent(), 0)));
        } else if (key instanceof ECPublicKey ec) {
            jwk.put("kty", "EC");
            jwk.put("crv", "P-256");
            jwk.put("x", base64url(unsigned(ec.getW().getAffineX(), 32)));
            jwk.put("y", base64url(unsigned(ec.getW().getAffineY(), 32)));
        } else if (key instanceof EdECPublicKey) {
            byte[] spki = key.getEncoded();
            jwk.put("kty", "OKP");
            jwk.put("crv", "Ed25519");
            jwk.put("x", base64url(Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
        } else {
            throw new IllegalArgumentException("no JWK form for " + key.getAlgorithm());
        }
        jwk.put("kid", kid);
        return jwk;
    }

    private static byte[] unsigned(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        if (length > bytes.length) {
            byte[] padded = new byte[length];
            System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
            return padded;
        }
        return bytes;
    }

    public static String base64url(byte[] bytes) {
        return B64URL.encodeToString(bytes);
    }

    public static String base64url(String text) {
        return base64url(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Compact JSON for any Jackson-serializable value. */
    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path writeText(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }
}
