package org.securebroker.server.session;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.audit.AuditUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers to a session's requests: the success frame, or an ERROR with the request's
 * correlation id. A failure the client may hear about ({@link RequestException}, an audit log
 * that cannot be written) is passed on with its code and message; anything else is logged and
 * answered INTERNAL_ERROR, so no internal detail reaches the client.
 *
 * <p>Thread-safety: thread-safe (writes go through the channel, which hands them to its event loop).
 */
final class Replies {

    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

    private final ChannelHandlerContext ctx;

    Replies(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** When {@code future} completes: the frame {@code ok} makes of its value, or the failure. */
    <T> void answer(int correlationId, CompletableFuture<T> future, Function<T, Frame> ok) {
        future.whenComplete((value, error) -> {
            if (error == null) {
                ctx.writeAndFlush(ok.apply(value), ctx.voidPromise());
            } else {
                failure(correlationId, error);
            }
        });
    }

    void failure(int correlationId, Throwable error) {
        Throwable cause = Futures.cause(error);
        if (cause instanceof RequestException e) {
            error(correlationId, e.code(), e.getMessage());
        } else if (cause instanceof AuditUnavailableException) {
            error(correlationId, ErrorCode.AUDIT_UNAVAILABLE, "the audit log cannot be written; the broker refuses "
                    + "operations it cannot record, and this one was not done");
        } else {
            LOG.error("{}: request {} failed", ctx.channel().remoteAddress(), correlationId, cause);
            error(correlationId, ErrorCode.INTERNAL_ERROR, "internal error");
        }
    }

    void error(int correlationId, ErrorCode code, String message) {
        ctx.writeAndFlush(new ErrorFrame(correlationId, code.code(), message), ctx.voidPromise());
    }
}
