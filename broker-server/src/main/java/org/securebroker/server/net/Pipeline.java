package org.securebroker.server.net;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.util.function.Supplier;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.codec.FrameEncoder;
import org.securebroker.server.session.ConnectionListener;
import org.securebroker.server.session.SessionHandler;

/**
 * The pipeline of a client listener, in data-path order:
 *
 * <pre>
 * tls-detect  ->  tls (SslHandler, replaces tls-detect)  ->  frame-decoder  ->  frame-encoder  ->  session
 * </pre>
 *
 * The frame decoder starts at the pre-authentication limit (64 KiB) and the session raises it to
 * the negotiated maximum after AUTH_OK. The decoder asks the session whether each frame fits the
 * connection's and the broker's in-flight memory before it receives the frame's body.
 *
 * <p>Thread-safety: the initializer is sharable; each handler it adds is per channel except the
 * stateless encoder.
 */
public final class Pipeline extends ChannelInitializer<SocketChannel> {

    public static final String TLS_DETECT = "tls-detect";
    public static final String TLS = "tls";
    public static final String FRAME_DECODER = "frame-decoder";
    public static final String FRAME_ENCODER = "frame-encoder";
    public static final String SESSION = "session";

    private final Supplier<SslContext> sslContext;
    private final long handshakeTimeoutMillis;
    private final Supplier<SessionHandler> sessions;
    private final ConnectionListener listener;

    /**
     * @param sslContext read for every new connection, so reloaded certificates apply to new
     *     connections while existing ones continue
     */
    public Pipeline(Supplier<SslContext> sslContext, long handshakeTimeoutMillis, Supplier<SessionHandler> sessions,
                    ConnectionListener listener) {
        this.sslContext = sslContext;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.sessions = sessions;
        this.listener = listener;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        SessionHandler session = sessions.get();
        ch.pipeline()
                .addLast(TLS_DETECT, new TlsRequiredHandler(sslContext.get(), handshakeTimeoutMillis, listener))
                .addLast(FRAME_DECODER, new FrameDecoder(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE, session.admission()))
                .addLast(FRAME_ENCODER, FrameEncoder.INSTANCE)
                .addLast(SESSION, session);
    }
}
