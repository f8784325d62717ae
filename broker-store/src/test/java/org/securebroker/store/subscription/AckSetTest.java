package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class AckSetTest {

    @Test
    void shouldAdvanceTheCursorOverContiguousRanges() {
        AckSet set = new AckSet(0);
        set.ack(2, 3);
        set.ack(4, 6);
        assertThat(set.committed()).isZero();
        assertThat(set.ranges()).containsExactly(new OffsetRange(2, 3), new OffsetRange(4, 6));
        set.ack(0, 2);
        assertThat(set.committed()).isEqualTo(3);
        set.ack(3, 4);
        assertThat(set.committed()).isEqualTo(6);
        assertThat(set.ranges()).isEmpty();
    }

    @Test
    void shouldIgnoreDuplicateAcks() {
        AckSet set = new AckSet(10);
        assertThat(set.ack(5, 6)).isFalse();
        assertThat(set.ack(12, 13)).isTrue();
        assertThat(set.ack(12, 13)).isFalse();
    }

    @Test
    void shouldAgreeWithABitSet() {
        PropertyCheck.forAllLists(300, Gen.ints(0, 80).list(0, 60), AckSetTest::agreesWithBitSet);
    }

    private static void agreesWithBitSet(List<Integer> offsets) {
        AckSet set = new AckSet(0);
        BitSet model = new BitSet();
        for (int o : offsets) {
            set.ack(o, o + 1);
            model.set(o);
        }
        assertThat(set.committed()).isEqualTo(model.nextClearBit(0));
        for (int i = 0; i < 90; i++) {
            assertThat(set.isAcked(i)).as("offset %d", i).isEqualTo(model.get(i));
        }
        List<OffsetRange> ranges = set.ranges();
        for (int i = 1; i < ranges.size(); i++) {
            assertThat(ranges.get(i).from()).isGreaterThan(ranges.get(i - 1).to());
        }
    }
}
