package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditVerifier;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.crypto.KeyringFile;

/**
 * The audit log, verified with {@link AuditVerifier} and the configured public key, allowing the
 * unsigned tail a running broker's log has (only while a broker holds the log's lock): any
 * problem is high, each finding (entries that only a later run signed, after an unclean stop) is
 * medium, the verifier's warnings are info. A stopped broker whose log ends unsigned is high,
 * with the fix that seals it: start the broker. A missing or unusable public key is high (the
 * log cannot be verified), and so is a signing key that is not the public key's private half (new
 * checkpoints would not verify). No log at all is info while the broker has never run, and high
 * once the store exists: the broker has run, so its log was removed.
 *
 * <p>Thread-safety: stateless.
 */
public final class AuditLogCheck implements SecurityCheck {

    @Override
    public String name() {
        return "audit-log";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        List<Finding> out = new ArrayList<>();
        BrokerConfig config = context.config();
        BrokerConfig.Audit audit = config.audit();
        Path publicFile = audit.publicKey();
        String derive = "openssl pkey -in " + audit.privateKey() + " -pubout -out " + publicFile;
        if (!Files.exists(publicFile)) {
            out.add(Finding.high("audit-key-missing", publicFile.toString(), "the audit public key " + publicFile
                    + " does not exist: the audit log's signatures cannot be verified", derive));
            return out;
        }
        VerifyingKey publicKey;
        try {
            publicKey = AuditKeys.loadPublic(publicFile);
        } catch (IOException e) {
            out.add(Finding.high("audit-key-missing", publicFile.toString(), e.getMessage(), derive));
            return out;
        }
        keyPair(out, audit, publicKey, derive);

        Path dir = audit.dir();
        AuditVerifier.Report report = Files.isDirectory(dir)
                ? AuditVerifier.verify(dir, List.of(publicKey), null, true) : null;
        if (report == null || (!report.ok() && report.problem().kind() == AuditVerifier.ProblemKind.NO_LOG)) {
            out.add(noLog(config));
            return out;
        }
        if (!report.ok() && unsealedTail(report)) {
            AuditVerifier.Problem p = report.problem();
            out.add(Finding.high("audit-log-unsealed", dir.resolve(p.file()).toString(), "no broker is writing the "
                    + "audit log, and it ends without a final checkpoint: " + p + " (" + p.kind() + ")", "start the "
                    + "broker: it seals the tail with a recovery checkpoint first (docs/audit.md); if it should have "
                    + "stopped cleanly, find out why it did not"));
        } else if (!report.ok()) {
            AuditVerifier.Problem p = report.problem();
            out.add(Finding.high("audit-log-invalid", dir.resolve(p.file()).toString(), "the audit log fails "
                    + "verification at " + p + " (" + p.kind() + ")", "find out what happened before anything else "
                    + "(docs/audit.md); compare with the backup and your anchors: broker audit verify " + dir
                    + " --key " + publicFile + " --anchor ANCHOR (add --key for each earlier audit key)"));
        } else {
            out.add(Finding.info("audit-log-verified", dir.toString(), "the audit log verifies: " + report.files()
                    + " file(s), " + report.entries() + " entries, " + report.checkpoints() + " checkpoint(s)"
                    + (report.unsigned() > 0 ? ", " + report.unsigned() + " entries after the last checkpoint" : ""),
                    null));
        }
        for (AuditVerifier.Finding f : report.findings()) {
            out.add(Finding.medium("audit-log-signed-late", dir.resolve(f.file()).toString(), f.toString(), "review "
                    + "those entries against other records (broker audit show --dir " + dir + "); find out why the "
                    + "broker stopped uncleanly (" + f.kind() + ", docs/audit.md)"));
        }
        for (String warning : report.warnings()) {
            out.add(Finding.info("audit-log-warning", dir.toString(), warning, null));
        }
        return out;
    }

    /**
     * Whether the log failed only at its end, for a tail that no running broker excuses: it was
     * left by a broker that did not stop cleanly and has not started again.
     */
    private static boolean unsealedTail(AuditVerifier.Report report) {
        AuditVerifier.ProblemKind kind = report.problem().kind();
        return report.writer() == AuditVerifier.WriterState.NOT_RUNNING && (kind == AuditVerifier.ProblemKind.UNSIGNED_TAIL
                || kind == AuditVerifier.ProblemKind.NOT_FINAL || kind == AuditVerifier.ProblemKind.TORN_LINE);
    }

    /** The signing key must be the public key's private half; a key the check may not read is left to the key file check. */
    private static void keyPair(List<Finding> out, BrokerConfig.Audit audit, VerifyingKey publicKey,
                                String derive) throws IOException {
        Path privateFile = audit.privateKey();
        if (!Files.exists(privateFile) || !KeyringFile.permissionsIfLoose(privateFile).isEmpty()) {
            return;
        }
        String signing;
        try {
            signing = AuditKeys.loadPrivate(privateFile).id();
        } catch (IOException e) {
            out.add(Finding.high("audit-key-invalid", privateFile.toString(), e.getMessage(), "restore "
                    + privateFile + " from the backup of the secrets"));
            return;
        }
        String verifying = publicKey.id();
        if (!signing.equals(verifying)) {
            out.add(Finding.high("audit-key-mismatch", privateFile.toString(), "the audit signing key " + privateFile
                    + " (key id " + signing + ") is not the private half of " + audit.publicKey() + " (key id "
                    + verifying + "): checkpoints it signs do not verify with that public key", "keep the old public "
                    + "key for older checkpoints, then: " + derive));
        }
    }

    private static Finding noLog(BrokerConfig config) {
        Path dir = config.audit().dir();
        if (config.authorization().disabledForBenchmarks()) {
            return Finding.info("audit-log-missing", dir.toString(), "there is no audit log in " + dir
                    + ": authorization.disabledForBenchmarks turns it off", null);
        }
        if (Files.exists(config.storeDir())) {
            return Finding.high("audit-log-missing", dir.toString(), "there is no audit log in " + dir + ", but the "
                    + "store " + config.storeDir() + " exists: the broker has run, so its log was removed or moved",
                    "restore " + dir + " from the backup (with audit.dir pointing to it)");
        }
        return Finding.info("audit-log-missing", dir.toString(), "there is no audit log in " + dir + " yet: the "
                + "broker has not run", null);
    }
}
