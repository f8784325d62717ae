package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    private final MemoryBudget budget = new MemoryBudget("test", 100);
    private final List<String> granted = new ArrayList<>();

    @Test
    void shouldReserveWhatFitsAndRefuseWhatDoesNot() {
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.tryReserve(41)).isFalse();
        assertThat(budget.tryReserve(40)).isTrue();
        assertThat(budget.used()).isEqualTo(100);
    }

    @Test
    void shouldAdmitAnItemLargerThanTheBudgetWhenNothingElseIsHeld() {
        assertThat(budget.tryReserve(250)).isTrue();
        assertThat(budget.tryReserve(1)).isFalse();
    }

    @Test
    void shouldGrantWaitersInTheOrderTheyAskedWhenBytesAreReleased() {
        budget.tryReserve(90);
        assertThat(budget.reserveOrWait(50, () -> granted.add("a"))).isNotNull();
        assertThat(budget.reserveOrWait(5, () -> granted.add("b"))).isNotNull();

        budget.release(50);
        assertThat(granted).containsExactly("a", "b");
        assertThat(budget.used()).isEqualTo(95);
    }

    @Test
    void shouldNotLetASmallRequestOvertakeAWaitingOne() {
        budget.tryReserve(90);
        budget.reserveOrWait(50, () -> granted.add("a"));

        assertThat(budget.tryReserve(5)).isFalse();
        assertThat(budget.reserveOrWait(5, () -> granted.add("b"))).isNotNull();
        assertThat(granted).isEmpty();
    }

    @Test
    void shouldGrantThoseBehindWhenTheHeadWaiterIsCancelled() {
        budget.tryReserve(90);
        MemoryBudget.Waiter head = budget.reserveOrWait(50, () -> granted.add("a"));
        budget.reserveOrWait(5, () -> granted.add("b"));

        assertThat(head.cancel()).isTrue();
        assertThat(granted).containsExactly("b");
        assertThat(budget.used()).isEqualTo(95);
    }

    @Test
    void shouldTellACancellingHolderThatItsWaiterWasGrantedAlready() {
        budget.tryReserve(90);
        MemoryBudget.Waiter w = budget.reserveOrWait(50, () -> granted.add("a"));
        budget.release(90);

        assertThat(w.cancel()).isFalse();
        assertThat(budget.used()).isEqualTo(50);
    }

    @Test
    void shouldRefuseToReleaseMoreThanWasReserved() {
        budget.tryReserve(10);
        assertThatThrownBy(() -> budget.release(11)).isInstanceOf(IllegalStateException.class);
    }
}
