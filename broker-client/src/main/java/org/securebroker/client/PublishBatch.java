package org.securebroker.client;

import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;

/**
 * The messages of one PUBLISH frame, in frame order. PUBLISH_OK's results are matched to them
 * by position. If the connection is lost first, the batch is taken apart and its messages are
 * resent (see {@link Publisher#requeue}).
 *
 * <p>Thread-safety: used on the event loop only.
 */
final class PublishBatch implements PendingRequest {

    private final String queue;
    private final List<PendingPublish> messages;

    PublishBatch(String queue, List<PendingPublish> messages) {
        this.queue = queue;
        this.messages = List.copyOf(messages);
    }

    String queue() {
        return queue;
    }

    List<PendingPublish> messages() {
        return messages;
    }

    PublishFrame toFrame(int correlationId, String producerId) {
        List<PublishMessage> wire = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            wire.add(messages.get(i).toWire(producerId));
        }
        return new PublishFrame(correlationId, queue, wire);
    }

    @Override
    public void complete(Frame reply) {
        if (!(reply instanceof PublishOkFrame ok)) {
            fail(new BrokerException(ErrorCode.PROTOCOL_ERROR,
                    "broker answered PUBLISH with " + reply.type()));
            return;
        }
        List<PublishResult> results = ok.results();
        if (results.size() != messages.size()) {
            fail(new BrokerException(ErrorCode.PROTOCOL_ERROR, "PUBLISH_OK carries "
                    + results.size() + " results for " + messages.size() + " messages"));
            return;
        }
        for (int i = 0; i < results.size(); i++) {
            PublishResult r = results.get(i);
            messages.get(i).complete(new SendReceipt(queue, r.offset(), r.duplicate(), r.receipt()));
        }
    }

    @Override
    public void fail(BrokerException error) {
        for (int i = 0; i < messages.size(); i++) {
            messages.get(i).fail(error);
        }
    }

    @Override
    public String describe() {
        return "PUBLISH to '" + queue + "' (" + messages.size() + " messages)";
    }
}
