package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundAccountTest {

    private final MemoryBudget shared = new MemoryBudget("in-flight", 1000);
    private final List<String> admitted = new ArrayList<>();

    private InboundAccount account(long maxBytes, int maxMessages) {
        return new InboundAccount(shared, maxBytes, maxMessages, Runnable::run);
    }

    @Test
    void shouldHoldAFramesBytesUntilItIsHandled() {
        InboundAccount a = account(500, 100);

        assertThat(a.admit(300, () -> admitted.add("x"))).isTrue();
        assertThat(shared.used()).isEqualTo(300);
        a.frameHandled();
        assertThat(shared.used()).isZero();
        assertThat(a.held()).isZero();
    }

    @Test
    void shouldAdmitAFrameRefusedForTheConnectionsBoundOnceAnEarlierFrameIsHandled() {
        InboundAccount a = account(500, 100);
        a.admit(300, () -> { });

        assertThat(a.admit(300, () -> admitted.add("second"))).isFalse();
        a.frameHandled();

        assertThat(admitted).containsExactly("second");
        assertThat(a.held()).isEqualTo(300);
    }

    @Test
    void shouldKeepAPublishsBytesUntilItIsAnswered() {
        InboundAccount a = account(500, 100);
        a.admit(400, () -> { });
        int bytes = a.takeFrame();
        a.publishStarted(1);

        assertThat(a.admit(400, () -> admitted.add("next"))).isFalse();
        a.frameHandled();
        assertThat(admitted).isEmpty();
        a.publishEnded(1, bytes);

        assertThat(admitted).containsExactly("next");
    }

    @Test
    void shouldAdmitAFrameLargerThanTheConnectionsBoundWhenItHoldsNothingElse() {
        InboundAccount a = account(500, 100);

        assertThat(a.admit(800, () -> { })).isTrue();
    }

    @Test
    void shouldWaitForTheSharedBudgetThatOtherConnectionsHold() {
        InboundAccount other = account(1000, 100);
        InboundAccount a = account(1000, 100);
        other.admit(900, () -> { });

        assertThat(a.admit(200, () -> admitted.add("a"))).isFalse();
        other.frameHandled();

        assertThat(admitted).containsExactly("a");
        assertThat(shared.used()).isEqualTo(200);
    }

    @Test
    void shouldStopAdmittingAboveTheMessageBoundUntilHalfAreStored() {
        InboundAccount a = account(10_000, 10);
        a.admit(10, () -> { });
        int bytes = a.takeFrame();
        a.publishStarted(10);

        assertThat(a.admit(10, () -> admitted.add("after"))).isFalse();
        a.publishEnded(4, 0);
        assertThat(admitted).isEmpty();
        a.publishEnded(1, bytes);
        assertThat(admitted).containsExactly("after");
    }

    @Test
    void shouldGiveBackUnhandledFramesAndStopWaitingOnClose() {
        InboundAccount other = account(1000, 100);
        InboundAccount a = account(1000, 100);
        a.admit(100, () -> { });
        other.admit(850, () -> { });
        a.admit(200, () -> admitted.add("never"));

        a.close();
        other.frameHandled();

        assertThat(admitted).isEmpty();
        assertThat(shared.used()).isZero();
        assertThat(shared.waiting()).isZero();
    }

    @Test
    void shouldReleaseAPublishAnsweredAfterTheConnectionClosed() {
        InboundAccount a = account(1000, 100);
        a.admit(100, () -> { });
        int bytes = a.takeFrame();
        a.publishStarted(1);
        a.close();
        assertThat(shared.used()).isEqualTo(100);

        a.publishEnded(1, bytes);
        assertThat(shared.used()).isZero();
    }
}
