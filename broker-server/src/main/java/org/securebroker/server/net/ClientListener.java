package org.securebroker.server.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.server.limits.ConnectionSlots;
import org.securebroker.server.session.ConnectionSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound client listener: the accept and I/O event loops, the set of open connections and the
 * gate every new connection passes before it gets a {@link Pipeline}: refused while the broker
 * stops, while nothing could be audited, or when no unauthenticated {@link ConnectionSlots slot}
 * is free for it (its source address, or all addresses together, at their bound). A refused
 * connection is closed before its TLS handshake starts, so a flood costs the broker an accept and
 * a close per connection; the slots report each refusal, and no line is logged per refusal. An
 * accepted connection carries its slot ({@link ConnectionSlot}), which the session trades for an
 * authenticated one at login and which is released when the connection closes, whoever closes it.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ClientListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientListener.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel serverChannel;
    private final ConnectionSlots slots;
    private volatile boolean closed;

    /**
     * Binds {@code host:port}.
     *
     * @param slots the connection slots every accepted connection takes one of
     * @param auditWritable false while the audit log cannot be written: connections are refused then
     * @throws InterruptedException if interrupted while binding
     * @throws RuntimeException if the address cannot be bound (a {@link java.net.BindException} for a port in use)
     */
    public static ClientListener bind(String host, int port, ConnectionSlots slots, BooleanSupplier auditWritable,
                                      Pipeline pipeline) throws InterruptedException {
        return new ClientListener(host, port, slots, auditWritable, pipeline);
    }

    private ClientListener(String host, int port, ConnectionSlots slots, BooleanSupplier auditWritable,
                           Pipeline pipeline) throws InterruptedException {
        this.slots = slots;
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("broker-accept", true),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("broker-io", true), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        boolean writable = auditWritable.getAsBoolean();
                        if (closed || !writable) {
                            LOG.warn("refusing a connection from {}: {}", ch.remoteAddress(), closed
                                    ? "the broker is stopping"
                                    : "the audit log cannot be written, so nothing could be recorded");
                            ch.close();
                            return;
                        }
                        InetSocketAddress remote = ch.remoteAddress();
                        Optional<ConnectionSlots.Slot> slot = remote == null ? Optional.empty()
                                : slots.accept(remote.getAddress());
                        if (slot.isEmpty()) {
                            // reported by the slots (counted, the first of an episode audited and logged):
                            // a line per refusal here would let a flood fill the disk
                            ch.close();
                            return;
                        }
                        ConnectionSlot.attach(ch, slot.get());
                        ch.closeFuture().addListener(done -> slot.get().release());
                        channels.add(ch);
                        ch.pipeline().addLast(pipeline);
                    }
                });
        try {
            this.serverChannel = bootstrap.bind(host, port).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The port the listener is bound to. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The connection slots this listener hands out. */
    public ConnectionSlots slots() {
        return slots;
    }

    /** Whether the listening socket is bound and open. */
    public boolean isActive() {
        return serverChannel.isActive();
    }

    /** The open client connections: a live, read-only view (only this listener adds and closes them). */
    public Collection<Channel> channels() {
        return Collections.unmodifiableCollection(channels);
    }

    /** Stops accepting, tells every connection the broker is shutting down, closes them and stops the event loops. */
    @Override
    public void close() {
        closed = true;
        serverChannel.close().awaitUninterruptibly();
        channels.writeAndFlush(new ErrorFrame(0, ErrorCode.SHUTTING_DOWN.code(), "the broker is shutting down"));
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
