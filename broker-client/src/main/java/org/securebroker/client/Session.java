package org.securebroker.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.EncoderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated connection: correlation ids, the requests waiting for answers, and the
 * routing of the broker's frames.
 *
 * <p>Correlation ids count up from where the handshake stopped, skipping 0, which the broker
 * uses for frames it initiates. An ERROR echoing an id fails only that request. ACK, NACK and
 * CREDIT are answered only when they fail; their ids are remembered (a bounded number of them)
 * so that such an ERROR can be logged with what it refers to.
 *
 * <p>Thread-safety: confined to the connection's event loop.
 */
final class Session implements ConnectionHandler.SessionListener {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final int REMEMBERED_ONE_WAY_REQUESTS = 1024;

    /** Receives what the session does not handle itself. Called on the event loop. */
    interface Owner {
        void onDeliver(Session session, DeliverFrame frame);

        void onCancel(Session session, CancelFrame frame);

        void onSessionClosed(Session session, BrokerException reason);

        /** The session's channel can take writes again (publishes waiting may go out). */
        void onWritable(Session session);
    }

    private final Channel channel;
    private final HandshakeResult handshake;
    private final BrokerAddress address;
    private final Owner owner;
    private final Map<Integer, PendingRequest> pending = new HashMap<>();
    private final Map<Integer, FrameType> oneWay = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, FrameType> eldest) {
            return size() > REMEMBERED_ONE_WAY_REQUESTS;
        }
    };
    private int nextCorrelationId;
    private boolean closed;

    Session(Channel channel, HandshakeResult handshake, BrokerAddress address, Owner owner) {
        this.channel = channel;
        this.handshake = handshake;
        this.address = address;
        this.owner = owner;
        this.nextCorrelationId = handshake.nextCorrelationId();
    }

    int maxFrameSize() {
        return handshake.maxFrameSize();
    }

    /** The protocol version negotiated in HELLO. */
    int version() {
        return handshake.version();
    }

    String principal() {
        return handshake.principal();
    }

    /** The mechanism the connection authenticated with. */
    String mechanism() {
        return handshake.mechanism();
    }

    /** The deadline from the handshake's AUTH_OK (epoch milliseconds), or 0 for none. */
    long sessionExpiresAtMillis() {
        return handshake.sessionExpiresAtMillis();
    }

    BrokerAddress address() {
        return address;
    }

    private int nextId() {
        int id = nextCorrelationId++;
        if (id == 0) {
            id = nextCorrelationId++;
        }
        return id;
    }

    /**
     * Sends a request whose answer (or ERROR) completes {@code result}; fails it with TIMEOUT if
     * no answer comes within {@code timeout}. Does not flush.
     */
    void call(IntFunction<Frame> request, Class<? extends Frame> expectedReply,
              CompletableFuture<Frame> result, Duration timeout) {
        int id = nextId();
        Frame frame = request.apply(id);
        Call call = new Call(frame.type(), expectedReply, result);
        pending.put(id, call);
        call.timeout(channel.eventLoop().schedule(() -> {
            if (pending.remove(id, call)) {
                call.fail(new BrokerException(ErrorCode.TIMEOUT, frame.type() + " got no answer from "
                        + address + " within " + timeout.toMillis() + " ms"));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS));
        channel.write(frame, channel.voidPromise());
    }

    /** Sends one PUBLISH frame for {@code batch}. Does not flush. */
    void publish(PublishBatch batch, String producerId) {
        int id = nextId();
        pending.put(id, batch);
        channel.write(batch.toFrame(id, producerId)).addListener((ChannelFuture f) -> {
            if (!f.isSuccess() && f.cause() instanceof EncoderException && pending.remove(id, batch)) {
                // Sizes are checked before batching, so this is a client bug; do not resend it.
                batch.fail(new BrokerException(ErrorCode.INVALID_REQUEST,
                        "could not encode " + batch.describe() + ": " + f.cause().getMessage(), f.cause()));
            }
        });
    }

    /** Sends a request that is answered only if it fails (ACK, NACK, CREDIT). Does not flush. */
    void sendOneWay(IntFunction<Frame> request) {
        int id = nextId();
        Frame frame = request.apply(id);
        oneWay.put(id, frame.type());
        channel.write(frame, channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    /**
     * Whether the channel's outbound buffer is below its high-water mark; writes made meanwhile
     * count at once, so a writer that checks before each frame stops within one frame of it.
     */
    boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void onWritable() {
        owner.onWritable(this);
    }

    boolean isClosed() {
        return closed;
    }

    /** Removes and returns every request still waiting for an answer. */
    List<PendingRequest> drainPending() {
        List<PendingRequest> all = new ArrayList<>(pending.values());
        pending.clear();
        return all;
    }

    /** Sends CLOSE(NONE) and closes the connection; the returned future completes when closed. */
    ChannelFuture closeGracefully() {
        closed = true;
        if (channel.isActive()) {
            channel.writeAndFlush(CloseFrame.normal("client closed"))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
        return channel.closeFuture();
    }

    /** Closes the connection at once (without CLOSE). */
    void abort() {
        closed = true;
        channel.close();
    }

    @Override
    public void onFrame(Frame frame) {
        if (frame instanceof DeliverFrame deliver) {
            owner.onDeliver(this, deliver);
        } else if (frame instanceof ErrorFrame error) {
            onError(error);
        } else if (frame instanceof CancelFrame cancel) {
            owner.onCancel(this, cancel);
        } else if (frame instanceof PongFrame) {
            LOG.trace("PONG from {}", address);
        } else {
            PendingRequest request = pending.remove(frame.correlationId());
            if (request != null) {
                request.complete(frame);
            } else if (frame instanceof SubscribeOkFrame ok) {
                // The SUBSCRIBE timed out or its subscription was closed meanwhile: detach it.
                LOG.debug("Detaching consumer {} whose SUBSCRIBE is no longer wanted", ok.consumerId());
                sendOneWay(id -> new UnsubscribeFrame(id, ok.consumerId()));
                flush();
            } else {
                LOG.debug("Ignoring {} #{} from {}: no request waits for it", frame.type(),
                        Integer.toUnsignedString(frame.correlationId()), address);
            }
        }
    }

    private void onError(ErrorFrame error) {
        int id = error.correlationId();
        PendingRequest request = pending.remove(id);
        if (request != null) {
            request.fail(BrokerException.fromWire(error.code(),
                    "broker refused " + request.describe() + ": " + error.message()));
            return;
        }
        FrameType type = oneWay.remove(id);
        LOG.warn("Broker {} reported {} ({}) for {} #{}: {}", address, ErrorCode.describe(error.code()),
                error.code(), type != null ? type : "an earlier request", Integer.toUnsignedString(id),
                error.message());
    }

    @Override
    public void onClosed(BrokerException reason) {
        closed = true;
        owner.onSessionClosed(this, reason);
    }
}
