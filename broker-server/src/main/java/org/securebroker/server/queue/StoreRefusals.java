package org.securebroker.server.queue;

import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.StoreHealth;
import org.securebroker.store.failure.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client is told when the engine's write (an append, a subscription's creation, the
 * queue catalog) fails, and the counting and logging that go with it. The rules:
 *
 * <ul>
 *   <li>A full disk is {@code STORE_FULL} (retriable) on every path: a store failure of kind
 *       {@code DISK_FULL}; any failure whose causes include a "No space left on device" I/O error
 *       (a segment roll, a key file, the catalog file); and an {@code IO_ERROR} during a disk-full
 *       episode, that is while the store reports {@link StoreHealth#DISK_FULL} or since the last
 *       refusal for a full disk with no append stored after it (an append that followed a
 *       disk-full write in the same group commit fails so, and nothing of it was stored). It is
 *       counted, not logged per request: the broker logs each disk-full episode once, from the
 *       store's health changes.
 *   <li>A failed store is {@code STORE_UNAVAILABLE}; the store logged its failure once.
 *   <li>A log that does not add up is {@code QUEUE_UNAVAILABLE}, naming the queue, never a file.
 *   <li>Anything without a client meaning is {@code INTERNAL_ERROR} and is logged at ERROR here,
 *       with what was being done, since the client hears no detail.
 * </ul>
 *
 * <p>Thread-safety: thread-safe.
 */
final class StoreRefusals {

    private static final Logger LOG = LoggerFactory.getLogger(QueueEngine.class);

    private final Store store;
    private final LongAdder storeFull = new LongAdder();
    /** A write was refused for a full disk and no append was stored since. */
    private volatile boolean diskFullEpisode;

    StoreRefusals(Store store) {
        this.store = store;
    }

    /**
     * The refusal for {@code error}, which failed {@code doing} on {@code queue}. Call it once per
     * refused request: each {@code STORE_FULL} it returns is counted.
     */
    RequestException refusal(String queue, String doing, Throwable error) {
        Throwable cause = Futures.cause(error);
        RequestException r;
        if (cause instanceof RequestException known) {
            r = known;
        } else if (RequestException.isDiskFull(cause) || (cause instanceof StoreException se
                && se.kind() == StoreException.Kind.IO_ERROR
                && (diskFullEpisode || store.health() == StoreHealth.DISK_FULL))) {
            r = new RequestException(ErrorCode.STORE_FULL, RequestException.DISK_FULL_MESSAGE);
        } else if (cause instanceof StoreException se && se.kind() == StoreException.Kind.LOG_UNAVAILABLE) {
            r = unavailable(queue);
        } else if (cause instanceof StoreException se) {
            r = RequestException.fromStore(se);
            if (r.code() == ErrorCode.INTERNAL_ERROR) {
                LOG.error("queue '{}': {} failed in the store ({}): {}", queue, doing, se.kind(), se.getMessage(),
                        se.getCause());
            }
        } else if (cause instanceof IOException) {
            LOG.error("queue '{}': {} failed: {}", queue, doing, cause.getMessage(), cause);
            r = new RequestException(ErrorCode.INTERNAL_ERROR, "internal error");
        } else {
            LOG.error("queue '{}': {} failed unexpectedly", queue, doing, cause);
            r = new RequestException(ErrorCode.INTERNAL_ERROR, "internal error");
        }
        if (r.code() == ErrorCode.STORE_FULL) {
            diskFullEpisode = true;
            storeFull.increment();
        }
        return r;
    }

    /** An append was stored: a disk-full episode, if there was one, is over. */
    void stored() {
        if (diskFullEpisode) {
            diskFullEpisode = false;
        }
    }

    /** What every request on an unavailable queue is told: its name, and that an operator must act. */
    static RequestException unavailable(String queue) {
        return new RequestException(ErrorCode.QUEUE_UNAVAILABLE, "queue '" + queue + "' is unavailable: part of its "
                + "stored messages is missing or damaged, or it has no definition; an operator must repair it before it "
                + "can be used (it can still be deleted)");
    }

    /** Writes refused because the disk was full, since the engine started. */
    long storeFull() {
        return storeFull.sum();
    }
}
