package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;

class SessionTest {

    private final EmbeddedSession s = new EmbeddedSession(1 << 20);

    @Test
    void shouldSkipCorrelationIdZeroWhenTheCounterWraps() {
        EmbeddedSession wrapping = new EmbeddedSession(1 << 20, -1);

        wrapping.session.sendOneWay(id -> new CreditFrame(id, 1, 1));
        wrapping.session.sendOneWay(id -> new CreditFrame(id, 1, 1));
        wrapping.session.flush();

        assertThat(wrapping.written()).extracting(Frame::correlationId).containsExactly(-1, 1);
    }

    @Test
    void shouldFailOnlyTheRequestWhoseCorrelationIdAnErrorEchoes() {
        CompletableFuture<Frame> delete = new CompletableFuture<>();
        CompletableFuture<Frame> list = new CompletableFuture<>();
        s.session.call(id -> new DeleteQueueFrame(id, "q"), OkFrame.class, delete, Duration.ofSeconds(5));
        s.session.call(ListQueuesFrame::new, QueueListFrame.class, list, Duration.ofSeconds(5));
        s.session.flush();
        List<Frame> sent = s.written();

        s.session.onFrame(new ErrorFrame(sent.get(0).correlationId(), ErrorCode.QUEUE_NOT_FOUND, "no q"));
        s.session.onFrame(new QueueListFrame(sent.get(1).correlationId(), List.of()));

        assertThat(failure(delete).code()).contains(ErrorCode.QUEUE_NOT_FOUND);
        assertThat(failure(delete).getMessage()).contains("DELETE_QUEUE").contains("no q");
        assertThat(list.join()).isInstanceOf(QueueListFrame.class);
    }

    @Test
    void shouldFailARequestAnsweredWithTheWrongFrameType() {
        CompletableFuture<Frame> list = new CompletableFuture<>();
        s.session.call(ListQueuesFrame::new, QueueListFrame.class, list, Duration.ofSeconds(5));
        s.session.flush();
        int id = s.written().get(0).correlationId();

        s.session.onFrame(new OkFrame(id));

        assertThat(failure(list).code()).contains(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void shouldDetachAConsumerWhoseSubscribeNoLongerHasARequest() {
        s.session.onFrame(new SubscribeOkFrame(1234, 42));

        assertThat(EmbeddedSession.ofType(s.written(), UnsubscribeFrame.class))
                .extracting(UnsubscribeFrame::consumerId).containsExactly(42);
    }

    @Test
    void shouldTolerateAnErrorForAOneWayRequest() {
        s.session.sendOneWay(id -> new CreditFrame(id, 1, 1));
        s.session.flush();
        int id = s.written().get(0).correlationId();

        s.session.onFrame(new ErrorFrame(id, 999, "unknown to this client"));

        assertThat(s.session.drainPending()).isEmpty();
    }

    private static BrokerException failure(CompletableFuture<Frame> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            return (BrokerException) e.getCause();
        }
        throw new AssertionError("not failed");
    }
}
