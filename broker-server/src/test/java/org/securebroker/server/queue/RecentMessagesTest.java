package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.server.message.MessageEnvelope;

class RecentMessagesTest {

    private static MessageEnvelope message(long n) {
        return MessageEnvelope.of(n, 0, "p", "", 0, Headers.EMPTY, Bytes.utf8("m" + n), Bytes.EMPTY, false);
    }

    @Test
    void shouldHoldAContiguousRangeAndGrowItsRing() {
        RecentMessages recent = new RecentMessages(new RecentMessages.Budget(1 << 30), 1 << 30, 1 << 20);
        for (long o = 100; o < 5100; o++) {
            recent.add(o, message(o), 10);
        }
        assertThat(recent.get(99)).isNull();
        assertThat(recent.get(100).brokerTimestampMillis()).isEqualTo(100);
        assertThat(recent.get(5099).brokerTimestampMillis()).isEqualTo(5099);
        assertThat(recent.get(5100)).isNull();
    }

    @Test
    void shouldEvictTheOldestBeyondItsOwnLimitAndTheSharedBudget() {
        RecentMessages.Budget budget = new RecentMessages.Budget(1000);
        RecentMessages a = new RecentMessages(budget, 600, 1 << 20);
        RecentMessages b = new RecentMessages(budget, 600, 1 << 20);
        for (long o = 0; o < 100; o++) {
            a.add(o, message(o), 10);
        }
        assertThat(a.get(39)).isNull();
        assertThat(a.get(40)).isNotNull();
        for (long o = 0; o < 100; o++) {
            b.add(o, message(o), 10);
        }
        assertThat(budget.used()).isLessThanOrEqualTo(1000);
        assertThat(b.get(99)).isNotNull();
        assertThat(b.get(59)).as("b is held to what the budget leaves it").isNull();
        a.clear();
        b.clear();
        assertThat(budget.used()).isZero();
    }

    @Test
    void shouldStartOverAfterAGapAndNeverHoldMoreEntriesThanAllowed() {
        RecentMessages recent = new RecentMessages(new RecentMessages.Budget(1 << 30), 1 << 30, 1024);
        for (long o = 0; o < 10; o++) {
            recent.add(o, message(o), 1);
        }
        recent.add(20, message(20), 1);
        assertThat(recent.get(5)).isNull();
        assertThat(recent.get(20)).isNotNull();
        for (long o = 21; o < 3000; o++) {
            recent.add(o, message(o), 1);
        }
        assertThat(recent.get(2999 - 1024)).isNull();
        assertThat(recent.get(2999 - 1023)).isNotNull();
    }
}
