package org.securebroker.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The TLS client certificate: a PEM certificate chain (leaf first) and its unencrypted PKCS#8
 * PEM private key ({@code BEGIN PRIVATE KEY}), EC or RSA. Loading checks that the key belongs to
 * the leaf certificate, so a mismatch is reported at {@code connect()} instead of as a TLS alert.
 * The key file's bytes are overwritten after parsing; {@link #toString()} shows only the
 * certificate's subject.
 *
 * <p>Thread-safety: immutable.
 *
 * @param chain the certificate chain, leaf first
 * @param privateKey the leaf certificate's private key
 */
record ClientCertificate(List<X509Certificate> chain, PrivateKey privateKey) {

    private static final String BEGIN = "-----BEGIN ";
    private static final String PKCS8_LABEL = "PRIVATE KEY-----";

    public ClientCertificate {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the certificate chain is empty");
        }
    }

    /** The leaf (client) certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * Reads and checks the chain and key; every problem goes to {@code problems}, each starting
     * with {@code clientCertificate:}, and the result is then empty.
     */
    public static Optional<ClientCertificate> load(Path chainPem, Path keyPem, List<String> problems) {
        int before = problems.size();
        List<X509Certificate> chain = readChain(chainPem, problems);
        PrivateKey key = chain.isEmpty() ? null : readKey(keyPem, chain.get(0), problems);
        if (key != null && !belongsTo(key, chain.get(0))) {
            problems.add("clientCertificate: the private key in " + keyPem
                    + " does not belong to the certificate in " + chainPem);
        }
        if (problems.size() > before || key == null) {
            return Optional.empty();
        }
        return Optional.of(new ClientCertificate(chain, key));
    }

    private static List<X509Certificate> readChain(Path file, List<String> problems) {
        List<X509Certificate> result = new ArrayList<>();
        try (var in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            for (Certificate c : certs) {
                result.add((X509Certificate) c);
            }
            if (result.isEmpty()) {
                problems.add("clientCertificate: " + file + " contains no certificate");
            }
        } catch (IOException | CertificateException e) {
            problems.add("clientCertificate: cannot read " + file + ": " + e.getMessage());
        }
        return result;
    }

    private static PrivateKey readKey(Path file, X509Certificate leaf, List<String> problems) {
        byte[] pem;
        try {
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            problems.add("clientCertificate: cannot read " + file + ": " + e.getMessage());
            return null;
        }
        byte[] der = null;
        try {
            int begin = indexOf(pem, (BEGIN + PKCS8_LABEL).getBytes(StandardCharsets.US_ASCII), 0);
            if (begin < 0) {
                problems.add("clientCertificate: " + file + " " + describeOtherKeyFormat(pem));
                return null;
            }
            int bodyStart = begin + BEGIN.length() + PKCS8_LABEL.length();
            int end = indexOf(pem, ("-----END " + PKCS8_LABEL).getBytes(StandardCharsets.US_ASCII), bodyStart);
            if (end < 0) {
                problems.add("clientCertificate: " + file + " has no END PRIVATE KEY line");
                return null;
            }
            byte[] body = Arrays.copyOfRange(pem, bodyStart, end);
            try {
                der = Base64.getMimeDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                problems.add("clientCertificate: the private key in " + file + " is not valid base64");
                return null;
            } finally {
                Arrays.fill(body, (byte) 0);
            }
            String algorithm = leaf.getPublicKey().getAlgorithm();
            if (!algorithm.equals("EC") && !algorithm.equals("RSA")) {
                problems.add("clientCertificate: the certificate's key is " + algorithm + "; only EC and RSA are supported");
                return null;
            }
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                problems.add("clientCertificate: " + file + " does not hold a PKCS#8 " + algorithm
                        + " private key matching the certificate");
                return null;
            }
        } finally {
            Arrays.fill(pem, (byte) 0);
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
    }

    private static String describeOtherKeyFormat(byte[] pem) {
        if (indexOf(pem, "BEGIN ENCRYPTED PRIVATE KEY".getBytes(StandardCharsets.US_ASCII), 0) >= 0) {
            return "holds an encrypted private key; only unencrypted PKCS#8 is supported"
                    + " (openssl pkcs8 -topk8 -nocrypt)";
        }
        if (indexOf(pem, "BEGIN EC PRIVATE KEY".getBytes(StandardCharsets.US_ASCII), 0) >= 0
                || indexOf(pem, "BEGIN RSA PRIVATE KEY".getBytes(StandardCharsets.US_ASCII), 0) >= 0) {
            return "holds a key in the traditional OpenSSL format; convert it to PKCS#8"
                    + " (openssl pkcs8 -topk8 -nocrypt)";
        }
        return "contains no PEM private key (BEGIN PRIVATE KEY)";
    }

    private static final byte[] KEY_PAIR_CHALLENGE = "securebroker key pair check".getBytes(StandardCharsets.US_ASCII);

    /** Whether {@code key} signs what the leaf certificate's public key verifies. */
    private static boolean belongsTo(PrivateKey key, X509Certificate leaf) {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        // any fixed bytes do: a key pair verifies them or not
        byte[] challenge = KEY_PAIR_CHALLENGE;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public String toString() {
        return "ClientCertificate[" + leaf().getSubjectX500Principal().getName() + "]";
    }
}
