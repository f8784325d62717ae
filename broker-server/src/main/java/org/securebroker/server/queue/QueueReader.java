package org.securebroker.server.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.queue.SubscriptionAdmin.BrowseResult;
import org.securebroker.server.queue.SubscriptionAdmin.Browsed;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Log;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a queue without consuming it, for {@link SubscriptionAdmin}: browsing (recent messages
 * first, then the store, as delivery reads) and finding the first record at or after a broker
 * timestamp, which a seek by time and replay retention ({@code queues.replayRetention}) use.
 * Nothing here changes a subscription, a cursor or a delivery count.
 *
 * <p>Thread-safety: every read runs on the queue's serial executor; the replay retention is a
 * volatile setting that may change (a reload) from any thread.
 */
final class QueueReader {

    /** Logged under {@link SubscriptionAdmin}, where operators have always found these lines. */
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionAdmin.class);
    /** Records read per step of a browse. */
    private static final int BROWSE_READ = 128;

    private final QueueEngine engine;
    private final Clock clock;
    private volatile Duration replayRetention = Duration.ZERO;

    QueueReader(QueueEngine engine, Clock clock) {
        this.engine = engine;
        this.clock = clock;
    }

    /** {@code queues.replayRetention}, zero when acknowledged messages are released at once; checked by the caller. */
    void replayRetention(Duration replayRetention) {
        this.replayRetention = replayRetention;
    }

    // ---- browse

    /** Bytes {@code m} takes in a BROWSE_RESULT frame. */
    private static long browsedSize(MessageEnvelope m) {
        return WireSizes.browsedMessageSize(m.producerPrincipal(), m.producerId(), m.headers(), m.payload().length(),
                m.producerSignature().length(), m.brokerSeal().length());
    }

    /**
     * Whether a message of {@code size} bytes joins a page of {@code taken} bytes with {@code count}
     * messages: the first whenever it fits the frame, the others within {@code budget}.
     */
    private static boolean joins(String queue, long offset, long size, int count, long taken, long budget,
                                 long frameRoom) {
        if (count > 0) {
            return taken + size <= budget;
        }
        if (size > frameRoom) {
            throw new RequestException(ErrorCode.MESSAGE_TOO_LARGE, "the message at offset " + offset + " of queue '"
                    + queue + "' takes " + size + " bytes in BROWSE_RESULT, more than the " + frameRoom + " bytes the "
                    + "negotiated frame size leaves for messages; browse from offset " + (offset + 1) + " to skip it, "
                    + "or connect with a larger maximum frame size");
        }
        return true;
    }

    /** The browse of {@link SubscriptionAdmin#browse}, its arguments checked; on the queue's executor. */
    BrowseResult browse(BrokerQueue q, long fromOffset, int maxMessages, long maxBytes, long frameRoom) {
        Log log = q.log();
        long at = Math.max(fromOffset, log.startOffset());
        long bytes = 0;
        List<Browsed> out = new ArrayList<>();
        while (out.size() < maxMessages && at < log.endOffset()) {
            MessageEnvelope held = q.recent().get(at);
            if (held != null) {
                long size = browsedSize(held);
                if (!joins(q.name(), at, size, out.size(), bytes, maxBytes, frameRoom)) {
                    break;
                }
                out.add(new Browsed(at, held));
                bytes += size;
                at++;
                continue;
            }
            List<StoredRecord> records;
            try {
                // the store bounds what it reads by stored size, close to the encoded one
                long left = (out.isEmpty() ? frameRoom : maxBytes) - bytes;
                records = log.read(at, Math.min(BROWSE_READ, maxMessages - out.size()), Math.max(1, left));
            } catch (RecordCorruptedException e) {
                at = Math.max(at + 1, e.range().to()); // quarantined records are never served
                continue;
            } catch (StoreException e) {
                if (e.kind() == StoreException.Kind.OFFSET_OUT_OF_RANGE) {
                    at = Math.max(at, log.startOffset()); // released meanwhile
                    continue;
                }
                throw engine.refusal(q.name(), "browsing", e);
            }
            if (records.isEmpty()) {
                break;
            }
            boolean full = false;
            for (StoredRecord r : records) {
                MessageEnvelope m;
                try {
                    m = MessageEnvelope.decode(r.payload());
                } catch (IllegalArgumentException e) {
                    at = r.offset() + 1;
                    continue;
                }
                long size = browsedSize(m);
                if (!joins(q.name(), r.offset(), size, out.size(), bytes, maxBytes, frameRoom)) {
                    at = r.offset();
                    full = true;
                    break;
                }
                out.add(new Browsed(r.offset(), m));
                bytes += size;
                at = r.offset() + 1;
                if (out.size() == maxMessages) {
                    break;
                }
            }
            if (full) {
                break;
            }
        }
        return new BrowseResult(at, out);
    }

    // ---- by time

    /**
     * The first offset whose record's broker timestamp is at or after {@code millis}, or the end.
     * Broker timestamps grow with offsets (they are taken as publishes are accepted, so publishes
     * accepted at the same moment may be a millisecond out of order; dead letters keep their
     * original time), which a binary search assumes. Offsets without a record (skipped,
     * quarantined) take the next record's time. On the queue's executor.
     */
    long firstAtOrAfter(BrokerQueue q, long millis) {
        Log log = q.log();
        long lo = log.startOffset();
        long hi = log.endOffset();
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            long[] found = recordAtOrAfter(q, mid, hi);
            if (found == null) {
                hi = mid;
            } else if (found[1] >= millis) {
                hi = mid;
            } else {
                lo = found[0] + 1;
            }
        }
        return lo;
    }

    /** The offset and broker timestamp of the first readable record in {@code [from, to)}, or null. */
    private long[] recordAtOrAfter(BrokerQueue q, long from, long to) {
        long at = from;
        while (at < to) {
            MessageEnvelope held = q.recent().get(at);
            if (held != null) {
                return new long[] {at, held.brokerTimestampMillis()};
            }
            try {
                List<StoredRecord> records = q.log().read(at, 1, 1);
                if (records.isEmpty() || records.get(0).offset() >= to) {
                    return null;
                }
                StoredRecord r = records.get(0);
                try {
                    return new long[] {r.offset(), MessageEnvelope.decode(r.payload()).brokerTimestampMillis()};
                } catch (IllegalArgumentException e) {
                    at = r.offset() + 1;
                }
            } catch (RecordCorruptedException e) {
                at = Math.max(at + 1, e.range().to());
            } catch (StoreException e) {
                if (e.kind() != StoreException.Kind.OFFSET_OUT_OF_RANGE) {
                    throw engine.refusal(q.name(), "searching by time", e);
                }
                at = Math.max(at + 1, q.log().startOffset());
            }
        }
        return null;
    }

    // ---- replay retention

    /**
     * The offset below which replay retention lets records go: the first stored within
     * {@code queues.replayRetention} of now; the end of the log when there is no retention.
     * On the executor.
     */
    long replayBound(BrokerQueue q) {
        Duration keep = replayRetention;
        if (keep.isZero()) {
            return Long.MAX_VALUE;
        }
        return firstAtOrAfter(q, clock.millis() - keep.toMillis());
    }

    /**
     * Whether the oldest acknowledged record replay retention keeps has outlived
     * {@code queues.replayRetention}, so that the queue's next release lets it go. One read at
     * most. On the executor.
     */
    boolean replayExpired(BrokerQueue q) {
        Duration keep = replayRetention;
        if (keep.isZero() || q.isDeleted()) {
            return false;
        }
        Log log = q.log();
        long start = log.startOffset();
        long lwm = log.subscriptions().lowWaterMark(start);
        if (lwm <= start) {
            return false;
        }
        try {
            long[] oldest = recordAtOrAfter(q, start, lwm);
            return oldest == null || oldest[1] < clock.millis() - keep.toMillis();
        } catch (RequestException e) {
            LOG.debug("queue '{}': the age of its oldest record is unknown for now ({})", q.name(), e.getMessage());
            return false;
        }
    }
}
