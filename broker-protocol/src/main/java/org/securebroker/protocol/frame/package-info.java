/**
 * The frames of protocol versions 1 and 2 as immutable records, one per frame type, plus the value
 * types they carry ({@link org.securebroker.protocol.frame.Bytes},
 * {@link org.securebroker.protocol.frame.Headers}).
 */
package org.securebroker.protocol.frame;
