package org.securebroker.server.auth.jwt;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.Jwks;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.crypto.KeyringFile;

/**
 * Reads the configured verification keys: PEM public keys, HMAC secrets and a JWKS file, each
 * checked for a safe type and size, into a fixed map by kid.
 *
 * <p>HMAC secret files hold the secret as base64 text (standard or URL-safe alphabet, padding
 * optional, surrounding whitespace ignored) that decodes to at least 32 bytes, e.g. the output
 * of {@code openssl rand -base64 32}; like other secrets they must not be accessible by group or
 * others.
 *
 * <p>Thread-safety: stateless.
 */
final class VerificationKeys {

    static final int MIN_RSA_BITS = 2048;
    static final int MAX_RSA_BITS = 16384;
    static final int MIN_HMAC_BYTES = 32;
    private static final long MAX_PEM_BYTES = 64 * 1024;
    private static final long MAX_SECRET_BYTES = 4 * 1024;
    private static final long MAX_JWKS_BYTES = 1024 * 1024;
    /** JWK members that only private or symmetric keys have (RFC 7518, 6.2.2, 6.3.2, 6.4; RFC 8037). */
    private static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private VerificationKeys() {
    }

    /**
     * @throws IllegalStateException naming the config key, kid and file of the first problem
     */
    static Map<String, VerificationKey> load(BrokerConfig.Jwt config) {
        Map<String, VerificationKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < config.keys().size(); i++) {
            BrokerConfig.JwtKey k = config.keys().get(i);
            if (k.kid() == null || k.kid().isBlank()) {
                throw new IllegalStateException("auth.jwt.keys[" + i + "].kid: every key needs a kid (key id)");
            }
            String where = "auth.jwt.keys[kid=" + k.kid() + "]";
            if ((k.publicKey() == null) == (k.secret() == null)) {
                throw new IllegalStateException(where + ": a key has exactly one of publicKey (PEM file) or secret "
                        + "(file with a base64 HMAC secret of at least " + MIN_HMAC_BYTES + " bytes)");
            }
            VerificationKey key = k.publicKey() != null
                    ? publicKeyFromPem(k.kid(), where + ".publicKey", k.publicKey())
                    : hmacSecret(k.kid(), where + ".secret", k.secret());
            add(keys, key);
        }
        if (config.jwks() != null) {
            for (VerificationKey key : jwks(config.jwks())) {
                add(keys, key);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException("auth.jwt: no verification keys (configure keys or jwks); tokens are never "
                    + "accepted without verifying their signature");
        }
        return Collections.unmodifiableMap(keys);
    }

    private static void add(Map<String, VerificationKey> keys, VerificationKey key) {
        VerificationKey previous = keys.putIfAbsent(key.kid(), key);
        if (previous != null) {
            throw new IllegalStateException(key.source() + ": kid '" + key.kid() + "' is used by " + previous.source()
                    + " already; every kid must name one key");
        }
    }

    private static VerificationKey publicKeyFromPem(String kid, String where, Path file) {
        String text = new String(read(where, file, MAX_PEM_BYTES), StandardCharsets.US_ASCII);
        Object object;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            object = parser.readObject();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(where + ": " + file + " is not a PEM public key (" + e.getMessage() + ")", e);
        }
        if (object instanceof SubjectPublicKeyInfo info) {
            return publicKey(kid, where, where + ": " + file, info);
        }
        if (object instanceof PrivateKeyInfo || object instanceof PEMKeyPair || object instanceof PEMEncryptedKeyPair
                || object instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new IllegalStateException(where + ": " + file + " holds a private key; configure only the public key "
                    + "(BEGIN PUBLIC KEY), e.g. from: openssl pkey -in KEY -pubout");
        }
        if (object instanceof X509CertificateHolder) {
            throw new IllegalStateException(where + ": " + file + " holds a certificate, not a public key; extract the "
                    + "key with: openssl x509 -in CERT -pubkey -noout");
        }
        throw new IllegalStateException(where + ": " + file + " is not a PEM public key (expected a BEGIN PUBLIC KEY "
                + "block" + (object == null ? ", found none" : ", found " + object.getClass().getSimpleName()) + ")");
    }

    /**
     * Decides the algorithm from the key's SubjectPublicKeyInfo and checks its size or curve.
     * Allowed: RSA of 2048 to 16384 bits (RS256), EC on P-256 (ES256), Ed25519 (EdDSA).
     */
    private static VerificationKey publicKey(String kid, String source, String subject, SubjectPublicKeyInfo info) {
        ASN1ObjectIdentifier type = info.getAlgorithm().getAlgorithm();
        PinnedAlgorithm algorithm;
        String factory;
        if (type.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            algorithm = PinnedAlgorithm.RS256;
            factory = "RSA";
        } else if (type.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            ASN1Encodable curve = info.getAlgorithm().getParameters();
            if (!SECObjectIdentifiers.secp256r1.equals(curve)) {
                throw new IllegalStateException(subject + " is an EC key on " + curveName(curve)
                        + ", not P-256; EC keys must be on P-256 (ES256)");
            }
            algorithm = PinnedAlgorithm.ES256;
            factory = "EC";
        } else if (type.equals(EdECObjectIdentifiers.id_Ed25519)) {
            algorithm = PinnedAlgorithm.EDDSA;
            factory = "Ed25519";
        } else {
            throw new IllegalStateException(subject + " holds an unsupported key type (" + keyTypeName(type)
                    + "); allowed: RSA >= " + MIN_RSA_BITS + " bits (RS256), EC P-256 (ES256), Ed25519 (EdDSA)");
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance(factory).generatePublic(new X509EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(subject + " holds a damaged " + algorithm.keyKind() + " public key ("
                    + e.getMessage() + ")", e);
        }
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
                throw new IllegalStateException(subject + " is a " + bits + "-bit RSA key; RSA keys must have "
                        + MIN_RSA_BITS + " to " + MAX_RSA_BITS + " bits");
            }
        }
        return new VerificationKey(kid, key, algorithm, source);
    }

    private static String curveName(ASN1Encodable curve) {
        if (curve instanceof ASN1ObjectIdentifier oid) {
            String name = ECNamedCurveTable.getName(oid);
            return name != null ? name : oid.getId();
        }
        return "explicitly encoded curve parameters";
    }

    private static String keyTypeName(ASN1ObjectIdentifier type) {
        if (type.equals(EdECObjectIdentifiers.id_Ed448)) {
            return "Ed448";
        }
        if (type.equals(EdECObjectIdentifiers.id_X25519) || type.equals(EdECObjectIdentifiers.id_X448)) {
            return "X25519/X448 key agreement";
        }
        if (type.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
            return "RSASSA-PSS";
        }
        return "OID " + type.getId();
    }

    private static VerificationKey hmacSecret(String kid, String where, Path file) {
        byte[] raw = read(where, file, MAX_SECRET_BYTES);
        try {
            KeyringFile.checkPermissions(file);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
        String text = new String(raw, StandardCharsets.US_ASCII).strip();
        Arrays.fill(raw, (byte) 0);
        byte[] secret;
        try {
            boolean urlSafe = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
            secret = (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + ": " + file + " is not base64 text; it must hold the HMAC secret as "
                    + "base64 of at least " + MIN_HMAC_BYTES + " random bytes, e.g. from: openssl rand -base64 32", e);
        }
        try {
            if (secret.length < MIN_HMAC_BYTES) {
                throw new IllegalStateException(where + ": " + file + " holds a " + secret.length + "-byte HMAC secret; "
                        + "HS256 needs at least " + MIN_HMAC_BYTES + " bytes (256 bits), e.g. from: openssl rand -base64 32");
            }
            return new VerificationKey(kid, new SecretKeySpec(secret, "HmacSHA256"), PinnedAlgorithm.HS256, where);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** Reads a JWKS file: public signature keys only, each with a kid. */
    private static List<VerificationKey> jwks(Path file) {
        String where = "auth.jwt.jwks";
        JsonNode root;
        try {
            root = JSON.readTree(read(where, file, MAX_JWKS_BYTES));
        } catch (IOException e) {
            throw new IllegalStateException(where + ": " + file + " is not valid JSON: " + JwtVerifier.jsonProblem(e),
                    e);
        }
        JsonNode entries = root == null ? null : root.get("keys");
        if (root == null || !root.isObject() || entries == null || !entries.isArray()) {
            throw new IllegalStateException(where + ": " + file + " is not a JWKS file: expected an object with a "
                    + "\"keys\" array (RFC 7517, 5)");
        }
        List<VerificationKey> keys = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            keys.add(jwk(where + ": " + file + ": keys[" + i + "]", entries.get(i)));
        }
        return keys;
    }

    private static VerificationKey jwk(String where, JsonNode entry) {
        if (!entry.isObject()) {
            throw new IllegalStateException(where + " is not a JSON object");
        }
        JsonNode kidNode = entry.get("kid");
        if (kidNode == null || !kidNode.isTextual() || kidNode.asText().isBlank()) {
            throw new IllegalStateException(where + " has no kid; every key in a JWKS file needs one, because tokens "
                    + "name their key by kid");
        }
        String kid = kidNode.asText();
        String at = where + " (kid '" + kid + "')";
        String kty = entry.path("kty").asText("");
        if (kty.equals("oct")) {
            throw new IllegalStateException(at + " is a symmetric 'oct' key; a JWKS file holds public keys only "
                    + "(configure an HMAC secret under auth.jwt.keys[].secret)");
        }
        for (String member : PRIVATE_MEMBERS) {
            if (entry.has(member)) {
                throw new IllegalStateException(at + " is a private key (it has '" + member + "'); a JWKS file holds "
                        + "public keys only");
            }
        }
        JsonNode use = entry.get("use");
        if (use != null && !use.asText().equals("sig")) {
            throw new IllegalStateException(at + " has use '" + use.asText() + "'; only signature keys (use 'sig') "
                    + "verify tokens");
        }
        Key key;
        try {
            Jwk<?> jwk = Jwks.parser().build().parse(entry.toString());
            key = jwk.toKey();
        } catch (RuntimeException e) {
            throw new IllegalStateException(at + " cannot be read as a public key: " + e.getMessage(), e);
        }
        if (!(key instanceof PublicKey publicKey)) {
            throw new IllegalStateException(at + " is not a public key; a JWKS file holds public keys only");
        }
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded());
        } catch (RuntimeException e) {
            throw new IllegalStateException(at + " has no X.509 encoding (" + publicKey.getAlgorithm() + ")", e);
        }
        VerificationKey verificationKey = publicKey(kid, at, at, info);
        JsonNode alg = entry.get("alg");
        if (alg != null && !alg.asText().equals(verificationKey.algorithm().joseName())) {
            throw new IllegalStateException(at + " has alg '" + alg.asText() + "', but " + verificationKey.algorithm()
                    .keyKind() + " keys verify " + verificationKey.algorithm().joseName() + " only");
        }
        return verificationKey;
    }

    private static byte[] read(String where, Path file, long maxBytes) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException(where + ": " + file + (Files.exists(file) ? " is not a regular file"
                        : " does not exist"));
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new IllegalStateException(where + ": " + file + " has " + size + " bytes; at most " + maxBytes
                        + " are allowed");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException(where + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
