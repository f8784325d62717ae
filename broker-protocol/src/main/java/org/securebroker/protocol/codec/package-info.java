/**
 * Turns frames into bytes and back: the stateless {@link org.securebroker.protocol.codec.FrameCodec},
 * and the Netty handlers that put it in a pipeline (a bounded, stateful decoder and a shared encoder).
 */
package org.securebroker.protocol.codec;
