package org.securebroker.protocol.frame;

/**
 * RELOAD (0x24, client to server, admin): reloads the broker's TLS material from its files.
 * Empty body. Answered by OK, or by ERROR naming what could not be loaded.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 */
public record ReloadFrame(int correlationId) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.RELOAD;
    }
}
