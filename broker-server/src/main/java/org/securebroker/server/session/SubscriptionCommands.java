package org.securebroker.server.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.WireSizes;
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
import org.securebroker.server.request.RequestException;

/**
 * A session's subscription lifecycle commands (protocol version 2): list, delete, purge, browse,
 * seek, reject. Each is authorized through {@link SessionAccess} as every command is, so every
 * decision is audited; those that change state (delete, purge, seek) are made only once their
 * authorization is durable in the audit log. The change itself is audited by the engine's events.
 *
 * <p>Deleting or moving a subscription is for its owner (the principal that created it, as the
 * queue catalog records it), with {@code consume} on the queue, and for operators, with
 * {@code delete} on the queue; a subscription without a recorded owner is for operators only.
 * On a queue shared by tenants, one tenant cannot take away or rewind another's subscription.
 *
 * <p>Answers are filled up to the session's negotiated frame size: a listing in pages, a browse
 * to what one frame holds.
 *
 * <p>Thread-safety: called on the session's event loop; answers are written from completions.
 */
final class SubscriptionCommands {

    private final SubscriptionAdmin subscriptions;
    private final SessionAccess access;
    private final Replies replies;
    private final Executor loop;
    private final int maxFrameSize;

    /**
     * @param loop the session's event loop, where {@link SessionAccess} is used
     * @param maxFrameSize the frame size negotiated with the client
     */
    SubscriptionCommands(SubscriptionAdmin subscriptions, SessionAccess access, Replies replies, Executor loop,
                         int maxFrameSize) {
        this.subscriptions = subscriptions;
        this.access = access;
        this.replies = replies;
        this.loop = loop;
        this.maxFrameSize = maxFrameSize;
    }

    void list(ListSubscriptionsFrame list) {
        int correlationId = list.correlationId();
        access.require(Action.CONSUME, list.queue());
        long room = (long) maxFrameSize - WireSizes.SUBSCRIPTION_LIST_OVERHEAD;
        replies.answer(correlationId, subscriptions.list(list.queue(), list.after(), room), page -> {
            List<SubscriptionInfo> out = new ArrayList<>(page.subscriptions().size());
            for (SubscriptionAdmin.Status s : page.subscriptions()) {
                out.add(new SubscriptionInfo(s.name(), s.consumers(), s.pending(), s.inFlight(), s.cursor(),
                        s.lastActiveMillis(), s.expiresAtMillis()));
            }
            return new SubscriptionListFrame(correlationId, out, page.more());
        });
    }

    void delete(DeleteSubscriptionFrame delete) {
        int correlationId = delete.correlationId();
        String principal = access.principal();
        CompletableFuture<Void> deleted = requireOwnerOrOperator(delete.queue(), delete.subscription(), "delete")
                .thenCompose(owner -> subscriptions.delete(delete.queue(), delete.subscription(), principal, owner));
        replies.answer(correlationId, deleted, v -> new OkFrame(correlationId));
    }

    /**
     * Authorizes deleting or moving a subscription: its owner needs {@code consume} on the queue,
     * anyone else {@code delete}. A principal with neither is refused before the owner is looked
     * up; otherwise the decision, allow or deny, is made and audited on the event loop once the
     * owner is known. The future completes when an allow is durable in the audit log, with the
     * owner the change must still find when it is made (the principal itself), or null when the
     * principal may change any subscription of the queue.
     */
    private CompletableFuture<String> requireOwnerOrOperator(String queue, String subscription, String verb) {
        if (!access.permits(Action.CONSUME, queue) && !access.permits(Action.DELETE, queue)) {
            access.require(Action.CONSUME, queue); // refused and audited, nothing looked up
        }
        String principal = access.principal();
        return subscriptions.owner(queue, subscription).thenComposeAsync(owner -> {
            if (!owner.isEmpty() && owner.equals(principal) && access.permits(Action.CONSUME, queue)) {
                return access.requireRecorded(Action.CONSUME, queue).thenApply(seq -> principal);
            }
            try {
                return access.requireRecorded(Action.DELETE, queue).thenApply(seq -> (String) null);
            } catch (RequestException e) {
                if (e.code() != ErrorCode.NOT_AUTHORIZED) {
                    throw e;
                }
                throw new RequestException(ErrorCode.NOT_AUTHORIZED, "'" + principal + "' may not " + verb
                        + " subscription '" + subscription + "' of queue '" + queue + "': "
                        + (owner.isEmpty() ? "no owner is recorded for it" : "another principal owns it")
                        + "; only its owner (with consume on the queue) or a principal with delete on the queue may");
            }
        }, loop);
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
        long frameRoom = (long) maxFrameSize - WireSizes.BROWSE_RESULT_OVERHEAD;
        replies.answer(correlationId, subscriptions.browse(browse.queue(), browse.fromOffset(), browse.maxMessages(),
                browse.maxBytes(), frameRoom), result -> {
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
        CompletableFuture<Long> moved = requireOwnerOrOperator(seek.queue(), seek.subscription(), "move")
                .thenCompose(owner -> subscriptions.seek(seek.queue(), seek.subscription(), kind, seek.value(),
                        principal, owner));
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
