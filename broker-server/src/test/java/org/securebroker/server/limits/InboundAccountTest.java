package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundAccountTest {

    private final MemoryBudget shared = new MemoryBudget("in-flight", 1000);
    /** As large as the budget: the tests that are not about shares do not meet them. */
    private final PrincipalShares wholeBudget = new PrincipalShares(1000);
    private final PrincipalShares quarter = new PrincipalShares(250);
    private final List<String> admitted = new ArrayList<>();

    /** An authenticated connection, as most of a connection's frames are. */
    private InboundAccount account(long maxBytes, int maxMessages) {
        InboundAccount a = unauthenticated(maxBytes, maxMessages);
        a.authenticated("p", wholeBudget);
        return a;
    }

    private InboundAccount unauthenticated(long maxBytes, int maxMessages) {
        return new InboundAccount(shared, maxBytes, maxMessages, Runnable::run);
    }

    private InboundAccount of(String principal) {
        InboundAccount a = unauthenticated(1000, 100);
        a.authenticated(principal, quarter);
        return a;
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

    @Test
    void shouldAdmitFramesBeforeAuthenticationWithoutTouchingTheSharedBudget() {
        InboundAccount a = unauthenticated(1 << 20, 100);

        assertThat(a.admit(60_000, () -> { })).isTrue();
        assertThat(shared.used()).isZero();
        assertThat(a.held()).isEqualTo(60_000);
        a.frameHandled();
        assertThat(a.held()).isZero();
        assertThat(shared.used()).isZero();
    }

    @Test
    void shouldBoundAConnectionBeforeAuthenticationToOnePreAuthenticationFrame() {
        InboundAccount a = unauthenticated(1 << 20, 100);
        a.admit(40_000, () -> { });

        assertThat(a.admit(40_000, () -> admitted.add("second"))).isFalse();
        a.frameHandled();

        assertThat(admitted).containsExactly("second");
        assertThat(shared.used()).isZero();
    }

    @Test
    void shouldReleaseAFrameAdmittedBeforeAuthenticationOnlyFromTheConnection() {
        InboundAccount a = unauthenticated(1000, 100);
        a.admit(100, () -> { });
        a.admit(0, () -> { });
        a.authenticated("a", quarter);
        a.frameHandled();
        int bytes = a.takeFrame();
        a.admit(200, () -> { });
        assertThat(shared.used()).isEqualTo(200);
        assertThat(quarter.held("a")).isEqualTo(200);

        a.publishEnded(1, bytes);
        a.frameHandled();

        assertThat(a.held()).isZero();
        assertThat(shared.used()).isZero();
        assertThat(quarter.held("a")).isZero();
    }

    @Test
    void shouldNotLetAPrincipalAtItsShareHoldBackAnotherPrincipalsFrames() {
        InboundAccount a1 = of("a");
        InboundAccount a2 = of("a");
        InboundAccount a3 = of("a");
        a1.admit(200, () -> { });
        // admitted and never handled: the bodies are withheld
        assertThat(a2.admit(200, () -> admitted.add("a2"))).isFalse();
        assertThat(a3.admit(200, () -> admitted.add("a3"))).isFalse();

        InboundAccount b = of("b");
        assertThat(b.admit(250, () -> admitted.add("b"))).isTrue();
        InboundAccount c = of("c");
        assertThat(c.admit(250, () -> admitted.add("c"))).isTrue();

        assertThat(shared.used()).isEqualTo(700);
        assertThat(shared.waiting()).isZero();
        assertThat(quarter.waiting("a")).isEqualTo(2);
        assertThat(admitted).isEmpty();
    }

    @Test
    void shouldAdmitAPrincipalsWaitingConnectionOnceItsOtherConnectionReleases() {
        InboundAccount a1 = of("a");
        InboundAccount a2 = of("a");
        a1.admit(200, () -> { });
        assertThat(a2.admit(200, () -> admitted.add("a2"))).isFalse();

        a1.frameHandled();

        assertThat(admitted).containsExactly("a2");
        assertThat(quarter.held("a")).isEqualTo(200);
        assertThat(shared.used()).isEqualTo(200);
    }

    @Test
    void shouldGiveBackThePrincipalsShareExactlyOnceOnClose() {
        InboundAccount a1 = of("a");
        InboundAccount a2 = of("a");
        a1.admit(100, () -> { });
        a1.admit(100, () -> { });
        a2.admit(200, () -> admitted.add("a2"));

        a1.close();
        a1.close();
        a1.frameHandled();
        assertThat(admitted).containsExactly("a2");
        a2.close();

        assertThat(quarter.held("a")).isZero();
        assertThat(quarter.waiting("a")).isZero();
        assertThat(shared.used()).isZero();
    }

    @Test
    void shouldGiveBackTheShareOfAFrameWaitingForTheSharedBudgetOnClose() {
        InboundAccount other = account(1000, 100);
        InboundAccount a = of("a");
        other.admit(900, () -> { });
        assertThat(a.admit(200, () -> admitted.add("never"))).isFalse();
        assertThat(quarter.held("a")).isEqualTo(200);

        a.close();
        other.frameHandled();

        assertThat(admitted).isEmpty();
        assertThat(quarter.held("a")).isZero();
        assertThat(shared.used()).isZero();
    }

    @Test
    void shouldGiveBackAPublishsShareWhenItIsAnsweredAfterClose() {
        InboundAccount a = of("a");
        a.admit(100, () -> { });
        int bytes = a.takeFrame();
        a.publishStarted(1);
        a.close();
        assertThat(quarter.held("a")).isEqualTo(100);

        a.publishEnded(1, bytes);

        assertThat(quarter.held("a")).isZero();
        assertThat(shared.used()).isZero();
    }
}
