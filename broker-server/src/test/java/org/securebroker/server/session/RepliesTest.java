package org.securebroker.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.failure.StoreException;

/** Every failed request gets an ERROR that can be encoded, with the code its cause deserves. */
class RepliesTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    private final Replies replies = new Replies(channel.pipeline().firstContext());

    private ErrorFrame answer() {
        channel.runPendingTasks();
        Object out = channel.readOutbound();
        assertThat(out).isInstanceOf(ErrorFrame.class);
        return (ErrorFrame) out;
    }

    @Test
    void shouldAnswerWithTheDefaultMessageWhenThereIsNone() {
        replies.failure(3, new RequestException(ErrorCode.STORE_FULL, null));
        ErrorFrame e = answer();
        assertThat(e.correlationId()).isEqualTo(3);
        assertThat(e.errorCode()).contains(ErrorCode.STORE_FULL);
        assertThat(e.message()).isEqualTo(ErrorCode.STORE_FULL.defaultMessage());
    }

    @Test
    void shouldCutALongMessageToWhatTheSmallestFrameHolds() {
        replies.error(4, ErrorCode.INVALID_REQUEST, "\u00e9".repeat(5000));
        ErrorFrame e = answer();
        assertThat(e.message()).hasSize(Replies.MAX_MESSAGE).endsWith("...");
        assertThat(e.message().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThan(4096 - 16);
    }

    @Test
    void shouldGiveStoreFailuresThatEscapedTheEngineTheirMeaning() {
        replies.failure(5, new CompletionException(new CompletionException(new StoreException(
                StoreException.Kind.DISK_FULL, "the disk holding /data/store/logs/q/0.seg is full"))));
        ErrorFrame full = answer();
        assertThat(full.errorCode()).contains(ErrorCode.STORE_FULL);
        assertThat(full.message()).doesNotContain("/data");

        replies.failure(6, new StoreException(StoreException.Kind.IO_ERROR, "creating a segment failed",
                new IOException("No space left on device")));
        assertThat(answer().errorCode()).contains(ErrorCode.STORE_FULL);

        replies.failure(7, new StoreException(StoreException.Kind.FAILED, "fsync of /data/x failed",
                new IOException("No space left on device")));
        ErrorFrame failed = answer();
        assertThat(failed.errorCode()).as("a failed store needs a restart, not space").contains(
                ErrorCode.STORE_UNAVAILABLE);
        assertThat(failed.message()).doesNotContain("/data");

        replies.failure(8, new StoreException(StoreException.Kind.LOG_UNAVAILABLE, "segment /data/q/1.seg is missing"));
        ErrorFrame unavailable = answer();
        assertThat(unavailable.errorCode()).contains(ErrorCode.QUEUE_UNAVAILABLE);
        assertThat(unavailable.message()).doesNotContain("/data");
    }
}
