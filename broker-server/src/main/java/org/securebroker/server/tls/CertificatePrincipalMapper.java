package org.securebroker.server.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import javax.security.auth.x500.X500Principal;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.PrincipalRule;
import org.securebroker.server.identity.PrincipalNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a verified client certificate into a broker principal by the configured rules
 * ({@code tls.principalMapping}), tried in order; the first rule that matches decides.
 *
 * <ul>
 *   <li>{@code SUBJECT}: the pattern must match the whole subject DN in RFC 2253 form
 *       ({@code CN=alice,O=Example}; the most specific RDN comes first);
 *   <li>{@code SAN_DNS}, {@code SAN_URI}, {@code SAN_EMAIL}: the pattern must match the whole of
 *       one subject alternative name of that kind (dNSName, uniformResourceIdentifier,
 *       rfc822Name), tried in the certificate's order.
 * </ul>
 *
 * Group 1 of the match is the principal. A rule whose group 1 is absent or is not a valid user
 * name ({@link PrincipalNames#validate}) does not match, and the next rule is tried. The mapper does
 * not verify the certificate: {@link ClientCertificateVerifier} did that in the handshake.
 *
 * <p>Thread-safety: immutable.
 */
public final class CertificatePrincipalMapper {

    private static final Logger LOG = LoggerFactory.getLogger(CertificatePrincipalMapper.class);
    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;

    private final List<PrincipalRule> rules;

    /** @param rules tried in order; an empty list maps no certificate */
    public CertificatePrincipalMapper(List<PrincipalRule> rules) {
        this.rules = List.copyOf(rules);
    }

    public List<PrincipalRule> rules() {
        return rules;
    }

    /** The principal of the first rule that matches {@code leaf}, or empty if none does. */
    public Optional<String> principal(X509Certificate leaf) {
        for (PrincipalRule rule : rules) {
            Optional<String> principal = rule.source() == BrokerConfig.PrincipalSource.SUBJECT
                    ? match(rule, leaf.getSubjectX500Principal().getName(X500Principal.RFC2253))
                    : matchAlternativeNames(rule, leaf);
            if (principal.isPresent()) {
                return principal;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> matchAlternativeNames(PrincipalRule rule, X509Certificate leaf) {
        int type = switch (rule.source()) {
            case SAN_DNS -> SAN_DNS;
            case SAN_URI -> SAN_URI;
            case SAN_EMAIL -> SAN_EMAIL;
            case SUBJECT -> throw new IllegalArgumentException("not a subject alternative name rule");
        };
        Collection<List<?>> names;
        try {
            names = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            LOG.info("certificate {}: its subject alternative names cannot be read; no SAN rule matches it",
                    ClientCertificateVerifier.name(leaf));
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        for (List<?> name : names) {
            if (name.size() >= 2 && name.get(0) instanceof Integer t && t == type && name.get(1) instanceof String value) {
                Optional<String> principal = match(rule, value);
                if (principal.isPresent()) {
                    return principal;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> match(PrincipalRule rule, String value) {
        Matcher m = rule.pattern().matcher(value);
        if (!m.matches() || m.groupCount() < 1 || m.group(1) == null) {
            return Optional.empty();
        }
        String principal = m.group(1);
        try {
            PrincipalNames.validate(principal);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.of(principal);
    }
}
