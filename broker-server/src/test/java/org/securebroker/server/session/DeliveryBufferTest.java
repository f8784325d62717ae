package org.securebroker.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.securebroker.server.limits.MemoryBudget;

class DeliveryBufferTest {

    private final MemoryBudget shared = new MemoryBudget("delivery", 1000);
    private final AtomicInteger wakes = new AtomicInteger();
    private final DeliveryBuffer buffer = new DeliveryBuffer(500, shared, wakes::incrementAndGet);

    @Test
    void shouldRefuseAtTheConnectionsBoundAndWakeOnceWhenTheBatchIsWritten() {
        buffer.added(500);

        assertThat(buffer.hasRoom()).isFalse();
        assertThat(buffer.hasRoom()).isFalse();
        buffer.written(500);

        assertThat(wakes).hasValue(1);
        assertThat(buffer.hasRoom()).isTrue();
        assertThat(shared.used()).isZero();
    }

    @Test
    void shouldRefuseWhenOtherConnectionsFillTheSharedBudgetAndWakeWhenTheyWrite() {
        DeliveryBuffer other = new DeliveryBuffer(5000, shared, () -> { });
        other.added(1000);

        assertThat(buffer.hasRoom()).isFalse();
        other.written(1000);

        assertThat(wakes).hasValue(1);
        assertThat(buffer.hasRoom()).isTrue();
    }

    @Test
    void shouldNotWakeWhenNobodyWasRefused() {
        buffer.added(100);
        buffer.written(100);

        assertThat(wakes).hasValue(0);
    }
}
