package org.securebroker.client;

/**
 * An ACK or NACK decided by the application, waiting for the I/O thread to send it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the delivery's offset
 * @param nackDelayMillis the NACK's redelivery delay, or {@link #ACK} for an acknowledgement
 */
record Settlement(long offset, long nackDelayMillis) {

    static final long ACK = -1;

    boolean isAck() {
        return nackDelayMillis == ACK;
    }
}
