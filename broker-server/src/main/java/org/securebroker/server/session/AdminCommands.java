package org.securebroker.server.session;

import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.Names;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.access.SessionAccess;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.rbac.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's administrative commands: creating and deleting queues, listing them, reloading.
 * Each change is made only once its authorization is durable in the audit log, and is recorded
 * when done, with fingerprints of the state before and after, before the client hears the answer.
 *
 * <p>Thread-safety: called on the session's event loop; completions hop back to it.
 */
final class AdminCommands {

    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);
    private static final Action[] QUEUE_ACTIONS = {Action.PUBLISH, Action.CONSUME, Action.CREATE, Action.DELETE,
            Action.PURGE};

    private final ChannelHandlerContext ctx;
    private final QueueEngine engine;
    private final SessionAccess access;
    private final SessionHandler.Reloader reloader;
    private final Replies replies;

    AdminCommands(ChannelHandlerContext ctx, QueueEngine engine, SessionAccess access, SessionHandler.Reloader reloader,
                  Replies replies) {
        this.ctx = ctx;
        this.engine = engine;
        this.access = access;
        this.reloader = reloader;
        this.replies = replies;
    }

    void createQueue(CreateQueueFrame create) {
        int correlationId = create.correlationId();
        // authorized before validated: an unauthorized principal is refused (and audited) whatever the name;
        // the allow is recorded, durably, by requireRecorded below
        if (!access.permits(Action.CREATE, create.queue())) {
            access.require(Action.CREATE, create.queue());
        }
        access.requireValidName(Action.CREATE, Names.Kind.QUEUE, create.queue());
        if (!create.deadLetterQueue().isEmpty()) {
            // dead-lettering publishes into that queue on the principal's behalf
            access.require(Action.PUBLISH, create.deadLetterQueue());
            access.requireValidName(Action.PUBLISH, Names.Kind.QUEUE, create.deadLetterQueue());
        }
        QueueDefinition definition;
        try {
            definition = new QueueDefinition(create.queue(), (int) Math.min(Integer.MAX_VALUE, create.maxDeliveries()),
                    create.deadLetterQueue(), Duration.ofMillis(create.defaultTtlMillis()),
                    create.requireProducerSignatures());
        } catch (RuntimeException e) {
            throw new RequestException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        if (definition.hasDeadLetterQueue()) {
            if (!engine.exists(definition.deadLetterQueue())) {
                access.require(Action.CREATE, definition.deadLetterQueue());
            }
        }
        // counted against this principal's queues quota and recorded as its owner
        String principal = access.principal();
        CompletableFuture<Void> created = access.requireRecorded(Action.CREATE, definition.name())
                .thenCompose(seq -> engine.createQueue(definition, principal));
        CompletableFuture<Void> recorded = recordChange(created, "admin.queue.create", Action.CREATE, definition.name(),
                null, AuditEvent.fingerprint(definition.toString()));
        replies.answer(correlationId, recorded, v -> new OkFrame(correlationId));
    }

    void deleteQueue(DeleteQueueFrame delete) {
        int correlationId = delete.correlationId();
        String name = delete.queue();
        if (access.permits(Action.DELETE, name)) {
            // a denial is recorded and answered by requireRecorded below, before the name is looked at
            access.requireValidName(Action.DELETE, Names.Kind.QUEUE, name);
        }
        String before = engine.definition(name).map(d -> AuditEvent.fingerprint(d.toString())).orElse(null);
        CompletableFuture<Void> deleted = access.requireRecorded(Action.DELETE, name)
                .thenCompose(seq -> engine.deleteQueue(name));
        CompletableFuture<Void> recorded = recordChange(deleted, "admin.queue.delete", Action.DELETE, name, before, null);
        replies.answer(correlationId, recorded, v -> new OkFrame(correlationId));
    }

    /**
     * Records an administrative change once it is done (or failed: then "after" is "before"), on
     * the event loop and before the client hears the answer.
     */
    private CompletableFuture<Void> recordChange(CompletableFuture<Void> change, String type, Action action,
                                                 String resource, String before, String after) {
        return change.whenComplete((v, error) -> ctx.executor().execute(() -> access.record(AuditEvent.of(type)
                .action(action.wireName())
                .resource(resource)
                .reason(error == null ? null : "failed: " + Futures.cause(error).getMessage())
                .detail("before", before)
                .detail("after", error == null ? after : before))));
    }

    /** Lists the queues the principal holds some right on; the others stay invisible to it. */
    void listQueues(int correlationId) {
        List<QueueInfo> visible = new ArrayList<>();
        List<QueueInfo> all = engine.listQueues();
        for (QueueInfo q : all) {
            for (Action a : QUEUE_ACTIONS) {
                if (access.permits(a, q.name())) {
                    visible.add(q);
                    break;
                }
            }
        }
        access.record(AuditEvent.of("authz.allow").action("list").resource("queues").decision("allow")
                .policy(access.policyVersion()).detail("shown", visible.size()).detail("hidden", all.size() - visible.size()));
        ctx.writeAndFlush(new QueueListFrame(correlationId, visible));
    }

    /**
     * Reloads (TLS material, JWT keys, policy) off the event loop, since it reads files, once the
     * authorization to do so is durable; the answer names what failed, if anything.
     */
    void reload(int correlationId, String who) {
        access.requireRecorded(Action.ADMIN, Action.BROKER_RESOURCE)
                .thenRunAsync(reloader::reload)
                .whenComplete((v, error) -> {
                    Throwable cause = error == null ? null : Futures.cause(error);
                    if (cause == null) {
                        LOG.info("{}: '{}' reloaded the TLS material, JWT keys and policy", ctx.channel().remoteAddress(),
                                who);
                        ctx.writeAndFlush(new OkFrame(correlationId), ctx.voidPromise());
                    } else if (cause instanceof IllegalStateException) {
                        LOG.warn("{}: reload requested by '{}' failed: {}", ctx.channel().remoteAddress(), who,
                                cause.getMessage());
                        replies.error(correlationId, ErrorCode.INVALID_REQUEST, "reload failed, the previous material "
                                + "stays in force: " + cause.getMessage());
                    } else {
                        replies.failure(correlationId, cause);
                    }
                });
    }
}
