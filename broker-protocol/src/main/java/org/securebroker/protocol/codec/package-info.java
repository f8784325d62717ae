/**
 * Turns frames into bytes and back: the stateless {@link org.securebroker.protocol.codec.FrameCodec},
 * the Netty handlers that put it in a pipeline (a bounded, stateful decoder and a shared encoder),
 * and the encoded sizes a sender computes before encoding ({@link org.securebroker.protocol.codec.WireSizes}).
 */
package org.securebroker.protocol.codec;
