package org.securebroker.server.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.DeliverFrame;

/**
 * A consumer's connection that is always writable and keeps the offset of every delivery, in
 * order, and settles none itself: a test acknowledges what it {@link #take}s, or holds it.
 *
 * <p>Thread-safety: thread-safe.
 */
class RecordingSink implements ConsumerSink {

    final List<Long> delivered = new CopyOnWriteArrayList<>();

    /** The offsets delivered since the last call, removed from {@link #delivered}. */
    synchronized List<Long> take() {
        List<Long> out = new ArrayList<>(delivered);
        delivered.removeAll(out);
        return out;
    }

    @Override
    public boolean isWritable() {
        return true;
    }

    @Override
    public void deliver(DeliverFrame frame) {
        delivered.add(frame.offset());
    }

    @Override
    public void flush() {
    }

    @Override
    public void cancelled(int consumerId, ErrorCode code, String message) {
    }
}
