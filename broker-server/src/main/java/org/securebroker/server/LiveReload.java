package org.securebroker.server;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.admin.AnomalyDetector;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigChanges;
import org.securebroker.server.config.ConfigException;
import org.securebroker.server.config.ConfigLoader;
import org.securebroker.server.integrity.IntegrityKeys;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.session.SessionHandler;
import org.securebroker.server.tls.ClientCertificateVerifier;
import org.securebroker.server.tls.RevokedCertificateException;
import org.securebroker.server.tls.TlsMaterial;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.request.Futures;
import org.securebroker.store.Store;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running broker re-reads without a restart, and what follows from it: the configuration
 * file's live settings, the TLS material, the JWT keys, the key file (a rotated KEK, with the
 * data keys rewrapped in the background), the policy and the users file. A change that takes
 * rights away is pushed to every session at once (a consumer that lost its right is cancelled);
 * a user removed or disabled loses its connections. Every reload, applied or refused, is audited.
 *
 * <p>Thread-safety: thread-safe; reloads run on the housekeeping thread, on SIGHUP and for RELOAD.
 */
final class LiveReload {

    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private final TlsMaterial tls;
    private final Mechanisms mechanisms;
    private final PolicyHolder policies;
    private final QueueEngine engine;
    private final Store store;
    private final UserStore users;
    private final AccessControl access;
    private final AnomalyDetector anomalies;
    private final BrokerAudit brokerAudit;
    private final Collection<Channel> channels;
    private final AuditLog audit;
    private final IntegrityKeys integrity;
    private final WatchedFiles watched;
    private final ExecutorService rewrapper = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "broker-rewrap");
        t.setDaemon(true);
        return t;
    });
    /**
     * Saves the record of watched files once a change is audited: off the audit writer, whose
     * futures complete on its own thread, and in the order the changes were noticed.
     */
    private final ExecutorService recordWriter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "broker-watched-files");
        t.setDaemon(true);
        return t;
    });
    private volatile BrokerConfig config;
    private volatile Path configFile;
    private volatile Keyring keyring;

    LiveReload(BrokerConfig config, Keyring keyring, TlsMaterial tls, Mechanisms mechanisms, PolicyHolder policies,
               Store store, UserStore users, AccessControl access, AnomalyDetector anomalies, BrokerAudit brokerAudit,
               Collection<Channel> channels, AuditLog audit, IntegrityKeys integrity, QueueEngine engine,
               WatchedFiles watched) {
        this.audit = audit;
        this.watched = watched;
        this.engine = engine;
        this.integrity = integrity;
        this.config = config;
        this.keyring = keyring;
        this.tls = tls;
        this.mechanisms = mechanisms;
        this.policies = policies;
        this.store = store;
        this.users = users;
        this.access = access;
        this.anomalies = anomalies;
        this.brokerAudit = brokerAudit;
        this.channels = channels;
        policies.addListener(this::policyChanged);
    }

    /** The configuration in force (live settings as last reloaded). */
    BrokerConfig config() {
        return config;
    }

    /** Picks up a changed producer-keys file (polled). */
    void reloadProducerKeysIfChanged() {
        try {
            producerKeysChanged(integrity.reloadProducerKeys(false));
        } catch (RuntimeException e) {
            producerKeysRefused(e);
        }
    }

    private void producerKeysChanged(ProducerKeys keys) {
        if (keys != null) {
            Path file = config.integrity().producerKeys();
            WatchedFiles.Seen before = watched.keys();
            WatchedFiles.Seen now = WatchedFiles.ofKeys(keys);
            brokerAudit.event(AuditEvent.of("key.producer.reload").decision("allow").resource(file.toString())
                    .detail("principals", keys.all().size()).detail("keys", keys.keyCount()));
            watched.seeKeys(now);
            // the record moves on only once the change is in the audit log: a crash before leaves it
            // to the next start, which audits it as made while stopped
            brokerAudit.producerKeysChanged(WatchedFiles.differences(before, now),
                    WatchedFiles.attribution(file, before.digest(), now.digest()), false, file.toString(), now.digest())
                    .thenRunAsync(() -> watched.saveKeys(now), recordWriter);
        }
    }

    private void producerKeysRefused(RuntimeException e) {
        LOG.warn("producer keys not reloaded, the previous ones stay: {}", e.getMessage());
        brokerAudit.event(AuditEvent.of("key.producer.reload").decision("deny").reason("refused: " + e.getMessage()));
    }

    /** Picks up changed TLS files (polled); a refusal is logged by the TLS material. */
    void reloadTlsIfChanged() {
        if (tls.reloadIfChanged()) {
            brokerAudit.event(AuditEvent.of("tls.reload").reason("files changed")
                    .detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate())));
            closeRevokedSessions();
        }
    }

    /**
     * Picks up a new audit signing key ('broker keys rotate audit'): the log is sealed with a
     * checkpoint under the old key, and later checkpoints are signed with the new one.
     */
    private void reloadAuditKey() {
        if (audit == null) {
            return;
        }
        Path file = config.audit().privateKey();
        SigningKey key;
        try {
            key = AuditKeys.loadPrivate(file);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the audit signing key " + file + " cannot be used: " + e.getMessage(), e);
        }
        String previous = audit.keyId();
        String id = key.id();
        if (id.equals(previous)) {
            return;
        }
        long sealed;
        try {
            sealed = audit.rotateKey(key).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the audit log could not switch to key " + id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while switching the audit key", e);
        }
        brokerAudit.event(AuditEvent.of("key.audit.rotate").decision("allow").resource(id).detail("previous", previous)
                .detail("sealedAt", sealed));
    }

    /** Lets a rewrap in progress finish (up to 30 s), and a record of watched files being saved. */
    void close() {
        rewrapper.shutdown();
        recordWriter.shutdown();
        try {
            rewrapper.awaitTermination(30, TimeUnit.SECONDS);
            recordWriter.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reloads what can change while the broker runs: first the configuration file (all of it is
     * validated; if it is invalid nothing at all changes), then the TLS material, the JWT keys,
     * the key file and the policy. Each part is validated before it replaces the old one; a part
     * that fails keeps its old state.
     *
     * @throws IllegalStateException naming what could not be reloaded
     */
    void reload() {
        reloadConfig();
        List<String> problems = new ArrayList<>();
        try {
            tls.reload();
            brokerAudit.event(AuditEvent.of("tls.reload").detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate())));
            closeRevokedSessions();
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("tls.reload").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            mechanisms.reload();
            if (config.auth().jwt() != null) {
                brokerAudit.event(AuditEvent.of("key.jwt.reload"));
            }
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.jwt.reload").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            reloadAuditKey();
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.audit.rotate").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            IntegrityKeys.Change change = integrity.reloadSigningKey();
            if (change != null) {
                brokerAudit.event(AuditEvent.of("key.signing.rotate").decision("allow").resource(change.newId())
                        .detail("previous", change.previousId()));
            }
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.signing.rotate").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            producerKeysChanged(integrity.reloadProducerKeys(true));
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            producerKeysRefused(e);
        }
        try {
            reloadKeyring();
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.kek.rotate").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            if (!policies.reload()) {
                brokerAudit.event(AuditEvent.of("policy.reload").decision("allow").policy(policies.current().version())
                        .reason("unchanged"));
            }
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            policyRefused(e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        LOG.info("reloaded the TLS material, the policy ({}){}", policies.current().version(),
                config.auth().jwt() == null ? "" : " and the JWT keys");
    }

    /**
     * Picks up a key file that gained a KEK ('broker keys rotate kek'): the store wraps new data
     * keys with the new current KEK at once, and a background task rewraps the existing ones,
     * one queue at a time while traffic continues. Each step is audited. Keys from an
     * environment variable cannot change while the broker runs.
     */
    private void reloadKeyring() {
        if (config.keys().fromEnvironment()) {
            return;
        }
        Keyring fresh = KeyringFile.load(config.keys().kekFile());
        Keyring old = keyring;
        if (fresh.ids().equals(old.ids()) && fresh.current().id().equals(old.current().id())) {
            return;
        }
        store.updateKeyring(fresh);
        keyring = fresh;
        LOG.info("key-encryption key '{}' is current (was '{}'); rewrapping data keys in the background",
                fresh.current().id(), old.current().id());
        brokerAudit.event(AuditEvent.of("key.kek.rotate").decision("allow").resource(fresh.current().id())
                .detail("previous", old.current().id()));
        rewrapper.execute(() -> {
            try {
                engine.resealCatalog().join();
            } catch (RuntimeException e) {
                LOG.error("the queue catalog stays authenticated under the previous KEK, so keep that KEK in the key "
                        + "file: {}", Futures.cause(e).getMessage());
            }
            try {
                int moved = store.rewrapDataKeys((done, all) -> {
                    LOG.info("rewrapping data keys under '{}': {} of {} queues done", fresh.current().id(), done, all);
                    brokerAudit.event(AuditEvent.of("key.kek.rewrap").resource(fresh.current().id())
                            .detail("queuesDone", done).detail("queues", all));
                });
                brokerAudit.event(AuditEvent.of("key.kek.rewrapped").resource(fresh.current().id())
                        .detail("dataKeys", moved).detail("stillInUse", String.join(",", store.kekIdsInUse())));
            } catch (RuntimeException e) {
                LOG.error("rewrapping data keys under '{}' failed; the old KEKs stay in use: {}", fresh.current().id(),
                        e.getMessage());
                brokerAudit.event(AuditEvent.of("key.kek.rewrapped").decision("deny").resource(fresh.current().id())
                        .reason("failed: " + e.getMessage()));
            }
        });
    }

    /**
     * The configuration file the broker was started from; {@link #reload()} re-reads it. Without
     * one (the embedded defaults) there is nothing to re-read.
     */
    void configFile(Path file) {
        this.configFile = file;
    }

    /**
     * Re-reads the configuration file, validates all of it, and applies what can change while
     * running ({@code alerts.*}, {@code audit.allowAggregation}); settings that need a restart are
     * named in the log and the audit log and keep their running values.
     *
     * @throws IllegalStateException listing every problem of an invalid file; nothing changes then
     */
    private void reloadConfig() {
        Path file = configFile;
        if (file == null) {
            return;
        }
        BrokerConfig fresh;
        try {
            fresh = ConfigLoader.load(file);
        } catch (ConfigException e) {
            LOG.warn("the configuration {} was refused; nothing was reloaded: {}", file, e.getMessage());
            brokerAudit.event(AuditEvent.of("config.reload").decision("deny").resource(file.toString())
                    .reason("refused, nothing was reloaded: " + e.getMessage()));
            throw new IllegalStateException(e.getMessage(), e);
        }
        BrokerConfig old = config;
        List<String> applied = new ArrayList<>();
        if (!fresh.alerts().equals(old.alerts())) {
            anomalies.configure(fresh.alerts());
            applied.add("alerts");
        }
        if (!fresh.audit().allowAggregation().equals(old.audit().allowAggregation())) {
            access.allowAggregation(fresh.audit().allowAggregation());
            applied.add("audit.allowAggregation");
        }
        if (!fresh.quotas().equals(old.quotas())) {
            engine.quotas(fresh.quotas());
            applied.add("quotas");
        }
        List<String> restart = ConfigChanges.needingRestart(old, fresh);
        BrokerConfig.Audit a = old.audit();
        config = old.withAlerts(fresh.alerts()).withQuotas(fresh.quotas()).withAudit(new BrokerConfig.Audit(a.dir(), a.privateKey(), a.publicKey(),
                a.checkpointEntries(), a.checkpointInterval(), a.rotateBytes(), a.rotateAge(),
                fresh.audit().allowAggregation()));
        if (!restart.isEmpty()) {
            LOG.warn("configuration {}: {} changed but take(s) effect only after a restart; running with the old values",
                    file, String.join(", ", restart));
        }
        if (!applied.isEmpty() || !restart.isEmpty()) {
            LOG.info("configuration {} reloaded: applied {}", file, applied.isEmpty() ? "nothing" : applied);
        }
        brokerAudit.event(AuditEvent.of("config.reload").decision("allow").resource(file.toString())
                .detail("applied", String.join(",", applied))
                .detail("pendingRestart", restart.isEmpty() ? null : String.join(",", restart)));
    }

    void reloadPolicyIfChanged() {
        try {
            policies.reloadIfChanged();
        } catch (RuntimeException e) {
            policyRefused(e);
        }
    }

    private void policyRefused(RuntimeException e) {
        LOG.warn("the policy file {} was refused; the policy in force ({}) stays: {}",
                config.authorization().policyFile(), policies.current().version(), e.getMessage());
        brokerAudit.event(AuditEvent.of("policy.reload").decision("deny").policy(policies.current().version())
                .reason("refused, the policy in force stays: " + e.getMessage()));
    }

    /** A new policy is in force: cached decisions go, and consumers that lost their right are cancelled. */
    private void policyChanged(Policy policy) {
        LOG.info("policy {} is in force (from {})", policy.version(), config.authorization().policyFile());
        brokerAudit.event(AuditEvent.of("policy.reload").decision("allow").policy(policy.version()));
        rightsChanged();
    }

    private void rightsChanged() {
        access.invalidate();
        for (Channel ch : channels) {
            SessionHandler session = ch.pipeline().get(SessionHandler.class);
            if (session != null) {
                ch.eventLoop().execute(session::rightsChanged);
            }
        }
    }

    /**
     * After the CRLs changed: every connection whose client certificate (or a certificate of its
     * chain) is now revoked is closed with CLOSE AUTHENTICATION_FAILED, as a removed user's is,
     * and recorded as {@code auth.revoked}. A certificate is the credential of the whole
     * connection, whatever mechanism the session then authenticated with.
     */
    private void closeRevokedSessions() {
        ClientCertificateVerifier verifier = tls.clientVerifier().orElse(null);
        if (verifier == null) {
            return;
        }
        for (Channel ch : channels) {
            X509Certificate[] chain = peerChain(ch);
            RevokedCertificateException revoked = chain == null ? null : verifier.revocation(chain).orElse(null);
            if (revoked == null) {
                continue;
            }
            SessionHandler session = ch.pipeline().get(SessionHandler.class);
            Identity identity = session == null ? null : session.identity();
            LOG.info("closing the connection from {}{}: {}", ch.remoteAddress(),
                    identity == null ? "" : " of '" + identity.principal() + "'", revoked.reason());
            brokerAudit.certificateRevoked(ch, identity, revoked.serial(), revoked.issuer());
            ch.writeAndFlush(new CloseFrame(0, ErrorCode.AUTHENTICATION_FAILED, "the client certificate was revoked"))
                    .addListener(f -> ch.close());
        }
    }

    /** The client certificate chain the connection's handshake accepted, or null if it has none. */
    private static X509Certificate[] peerChain(Channel ch) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            return null;
        }
        try {
            Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
            X509Certificate[] chain = new X509Certificate[peer.length];
            for (int i = 0; i < peer.length; i++) {
                if (!(peer[i] instanceof X509Certificate x)) {
                    return null;
                }
                chain[i] = x;
            }
            return chain;
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }

    /**
     * Picks up users file changes; connections of users that were removed or disabled are closed.
     * The change is found by comparing the users in force with those last seen here, not by
     * whether this call reloaded the file: a login may have reloaded it first.
     */
    void reloadUsers() {
        try {
            users.reloadIfChanged();
            String digest = users.digest();
            WatchedFiles.Seen before = watched.users();
            if (digest.equals(before.digest())) {
                return;
            }
            Collection<User> all = users.all();
            WatchedFiles.Seen now = WatchedFiles.ofUsers(digest, all);
            LOG.info("users file {} reloaded", users.file());
            java.util.Map<String, User> byName = new java.util.TreeMap<>();
            all.forEach(u -> byName.put(u.name(), u));
            watched.seeUsers(now);
            // as for the producer keys: the record moves on once the change is in the audit log
            brokerAudit.usersChanged(WatchedFiles.differences(before, now), byName,
                    WatchedFiles.attribution(users.file(), before.digest(), digest), false, digest)
                    .thenRunAsync(() -> watched.saveUsers(now), recordWriter);
            rightsChanged();
            for (Channel ch : channels) {
                SessionHandler session = ch.pipeline().get(SessionHandler.class);
                Identity identity = session == null ? null : session.identity();
                if (identity == null || !identity.user()) {
                    continue;
                }
                String principal = identity.principal();
                User u = users.find(principal).orElse(null);
                if (u == null || u.disabled()) {
                    LOG.info("closing the connection of '{}' from {}: the user was {}", principal, ch.remoteAddress(),
                            u == null ? "removed" : "disabled");
                    ch.writeAndFlush(new ErrorFrame(0, ErrorCode.AUTHENTICATION_FAILED.code(),
                            "the user's access was revoked")).addListener(f -> ch.close());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not reload the users file: {}", e.getMessage());
        }
    }
}
