package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrincipalSharesTest {

    private final PrincipalShares shares = new PrincipalShares(1000);
    private final List<String> woken = new ArrayList<>();

    @Test
    void shouldCountAPrincipalsBytesUpToItsShare() {
        assertThat(shares.takeOrWait("a", 600, () -> woken.add("x"))).isTrue();
        assertThat(shares.takeOrWait("a", 400, () -> woken.add("x"))).isTrue();

        assertThat(shares.takeOrWait("a", 1, () -> woken.add("over"))).isFalse();
        assertThat(shares.held("a")).isEqualTo(1000);
        assertThat(shares.waiting("a")).isEqualTo(1);
    }

    @Test
    void shouldNotLetOnePrincipalsShareHoldBackAnother() {
        shares.takeOrWait("a", 1000, () -> { });
        assertThat(shares.takeOrWait("a", 10, () -> woken.add("a"))).isFalse();

        assertThat(shares.takeOrWait("b", 1000, () -> woken.add("b"))).isTrue();
        assertThat(woken).isEmpty();
    }

    @Test
    void shouldWakeThePrincipalsWaitersOnceWhenItReleases() {
        Runnable wake = () -> woken.add("a2");
        shares.takeOrWait("a", 900, () -> { });
        shares.takeOrWait("a", 200, wake);
        shares.takeOrWait("a", 200, wake);

        shares.takeOrWait("b", 10, () -> { });
        shares.release("b", 10);
        assertThat(woken).isEmpty();

        shares.release("a", 900);
        assertThat(woken).containsExactly("a2");
        assertThat(shares.waiting("a")).isZero();
    }

    @Test
    void shouldTakeAReservationLargerThanTheShareWhenThePrincipalHoldsNothing() {
        assertThat(shares.takeOrWait("a", 5000, () -> { })).isTrue();
        assertThat(shares.takeOrWait("a", 1, () -> { })).isFalse();
    }

    @Test
    void shouldForgetAPrincipalThatHoldsAndAwaitsNothing() {
        Runnable wake = () -> woken.add("never");
        shares.takeOrWait("a", 1000, () -> { });
        shares.takeOrWait("a", 10, wake);
        shares.cancel("a", wake);
        shares.release("a", 1000);

        assertThat(woken).isEmpty();
        assertThat(shares.held("a")).isZero();
        assertThat(shares.toString()).contains("0 principals");
    }

    @Test
    void shouldRefuseToReleaseMoreThanWasHeld() {
        shares.takeOrWait("a", 10, () -> { });

        assertThatThrownBy(() -> shares.release("a", 11)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldGiveEachPrincipalAQuarterOfTheBudgetButAtLeastOneFrame() {
        assertThat(PrincipalShares.shareOf(64L << 20, 1 << 20)).isEqualTo(16L << 20);
        assertThat(PrincipalShares.shareOf(2L << 20, 1 << 20)).isEqualTo(1L << 20);
    }
}
