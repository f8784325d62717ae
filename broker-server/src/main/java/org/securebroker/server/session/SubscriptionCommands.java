package org.securebroker.server.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionInfo;
import org.securebroker.protocol.frame.SubscriptionListFrame;
import org.securebroker.server.access.SessionAccess;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.queue.Consumer;
import org.securebroker.server.queue.SubscriptionAdmin;
import org.securebroker.server.rbac.Action;

/**
 * A session's subscription lifecycle commands (protocol version 2): list, delete, purge, browse,
 * seek, reject. Each is authorized through {@link SessionAccess} as every command is, so every
 * decision is audited; those that change state (delete, purge, seek) are made only once their
 * authorization is durable in the audit log. The change itself is audited by the engine's events.
 *
 * <p>Thread-safety: called on the session's event loop; answers are written from completions.
 */
final class SubscriptionCommands {

    private final SubscriptionAdmin subscriptions;
    private final SessionAccess access;
    private final Replies replies;

    SubscriptionCommands(SubscriptionAdmin subscriptions, SessionAccess access, Replies replies) {
        this.subscriptions = subscriptions;
        this.access = access;
        this.replies = replies;
    }

    void list(ListSubscriptionsFrame list) {
        int correlationId = list.correlationId();
        access.require(Action.CONSUME, list.queue());
        replies.answer(correlationId, subscriptions.list(list.queue()), found -> {
            List<SubscriptionInfo> out = new ArrayList<>(found.size());
            for (SubscriptionAdmin.Status s : found) {
                out.add(new SubscriptionInfo(s.name(), s.consumers(), s.pending(), s.inFlight(), s.cursor(),
                        s.lastActiveMillis(), s.expiresAtMillis()));
            }
            return new SubscriptionListFrame(correlationId, out);
        });
    }

    void delete(DeleteSubscriptionFrame delete) {
        int correlationId = delete.correlationId();
        String principal = access.principal();
        CompletableFuture<Void> deleted = access.requireRecorded(Action.CONSUME, delete.queue())
                .thenCompose(seq -> subscriptions.delete(delete.queue(), delete.subscription(), principal));
        replies.answer(correlationId, deleted, v -> new OkFrame(correlationId));
    }

    void purge(PurgeQueueFrame purge) {
        int correlationId = purge.correlationId();
        String principal = access.principal();
        CompletableFuture<Long> purged = access.requireRecorded(Action.PURGE, purge.queue())
                .thenCompose(seq -> subscriptions.purge(purge.queue(), principal));
        replies.answer(correlationId, purged, n -> new PurgeOkFrame(correlationId, n));
    }

    void browse(BrowseFrame browse) {
        int correlationId = browse.correlationId();
        access.require(Action.CONSUME, browse.queue());
        replies.answer(correlationId, subscriptions.browse(browse.queue(), browse.fromOffset(), browse.maxMessages(),
                browse.maxBytes()), result -> {
            List<BrowsedMessage> out = new ArrayList<>(result.messages().size());
            for (SubscriptionAdmin.Browsed b : result.messages()) {
                MessageEnvelope m = b.message();
                out.add(new BrowsedMessage(b.offset(), m.brokerTimestampMillis(), m.producerPrincipal(),
                        m.producerId(), m.sequence(), m.headers(), m.payload(), m.producerSignature(), m.brokerSeal()));
            }
            return new BrowseResultFrame(correlationId, result.nextOffset(), out);
        });
    }

    void seek(SeekFrame seek) {
        int correlationId = seek.correlationId();
        String principal = access.principal();
        SubscriptionAdmin.SeekKind kind = seek.kind() == SeekFrame.Kind.TIME ? SubscriptionAdmin.SeekKind.TIME
                : SubscriptionAdmin.SeekKind.OFFSET;
        CompletableFuture<Long> moved = access.requireRecorded(Action.CONSUME, seek.queue())
                .thenCompose(seq -> subscriptions.seek(seek.queue(), seek.subscription(), kind, seek.value(),
                        principal));
        replies.answer(correlationId, moved, offset -> new SeekOkFrame(correlationId, offset));
    }

    /** Answers only a refusal, as NACK does. */
    void reject(RejectFrame reject, Consumer consumer) {
        int correlationId = reject.correlationId();
        access.require(Action.CONSUME, consumer.queue());
        subscriptions.reject(consumer, reject.offset(), reject.reason(), access.principal()).whenComplete((v, error) -> {
            if (error != null) {
                replies.failure(correlationId, error);
            }
        });
    }
}
