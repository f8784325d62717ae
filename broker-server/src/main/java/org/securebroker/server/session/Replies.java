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
import org.securebroker.store.failure.StoreException;
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

    /** The longest message an ERROR carries, in characters (3 bytes each at most in UTF-8). */
    static final int MAX_MESSAGE = 1000;

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
        } else if (RequestException.isDiskFull(cause)) {
            error(correlationId, ErrorCode.STORE_FULL, RequestException.DISK_FULL_MESSAGE);
        } else if (cause instanceof StoreException e && RequestException.fromStore(e).code() != ErrorCode.INTERNAL_ERROR) {
            // the queue engine translates store failures; one that slipped through still gets its meaning
            RequestException r = RequestException.fromStore(e);
            error(correlationId, r.code(), r.getMessage());
        } else {
            LOG.error("{}: request {} failed", ctx.channel().remoteAddress(), correlationId, cause);
            error(correlationId, ErrorCode.INTERNAL_ERROR, "internal error");
        }
    }

    /**
     * Sends an ERROR. The message is cut to {@value #MAX_MESSAGE} characters (an ERROR must fit in
     * the smallest frame size a client may negotiate) and a missing one replaced by the code's
     * default, so that encoding the answer can never fail and leave the request unanswered.
     */
    void error(int correlationId, ErrorCode code, String message) {
        String text = message == null || message.isEmpty() ? code.defaultMessage() : message;
        if (text.length() > MAX_MESSAGE) {
            int cut = MAX_MESSAGE - 3;
            if (Character.isHighSurrogate(text.charAt(cut - 1))) {
                cut--;
            }
            text = text.substring(0, cut) + "...";
        }
        ctx.writeAndFlush(new ErrorFrame(correlationId, code.code(), text), ctx.voidPromise());
    }
}
