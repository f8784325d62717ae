package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;

class SmokeIT {

    @TempDir
    Path dir;

    @Test
    void shouldPublishAndDeliverOverTls() throws Exception {
        try (TestBroker broker = new TestBroker(dir.resolve("data")); RawConnection c = broker.admin()) {
            c.send(new CreateQueueFrame(10, "orders", 0, "", 0));
            c.expect(OkFrame.class);
            c.send(new PublishFrame(11, "orders", List.of(PublishMessage.of(Bytes.utf8("hello")))));
            PublishOkFrame ok = c.expect(PublishOkFrame.class);
            assertThat(ok.results().get(0).offset()).isZero();
            c.send(new SubscribeFrame(12, "orders", "s", 10));
            SubscribeOkFrame sub = c.expect(SubscribeOkFrame.class);
            DeliverFrame d = c.expect(DeliverFrame.class);
            assertThat(d.payload()).isEqualTo(Bytes.utf8("hello"));
            assertThat(d.producerPrincipal()).isEqualTo("admin");
            c.send(new AckFrame(13, sub.consumerId(), new long[] {0}));
        }
    }
}
