package org.securebroker.client;

/**
 * An ACK, NACK or REJECT decided by the application, waiting for the I/O thread to send it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the delivery's offset
 * @param nackDelayMillis the NACK's redelivery delay, {@link #ACK} for an acknowledgement, or
 *     {@link #REJECT} for a rejection
 * @param rejectReason the REJECT's reason; null for anything else
 */
record Settlement(long offset, long nackDelayMillis, String rejectReason) {

    static final long ACK = -1;
    static final long REJECT = -2;

    Settlement(long offset, long nackDelayMillis) {
        this(offset, nackDelayMillis, null);
    }

    static Settlement reject(long offset, String reason) {
        return new Settlement(offset, REJECT, reason);
    }

    boolean isAck() {
        return nackDelayMillis == ACK;
    }

    boolean isReject() {
        return nackDelayMillis == REJECT;
    }
}
