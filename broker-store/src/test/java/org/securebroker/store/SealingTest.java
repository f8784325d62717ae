package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.securebroker.store.segment.RecordFormat;

class SealingTest {

    private static final int SEGMENT = 1000;
    private static final int ROOM = SEGMENT - RecordFormat.HEADER_BYTES;

    @Test
    void shouldGroupConsecutiveAppendsThatFitInOneSegmentTogether() {
        assertThat(Sealing.groups(new long[] {100, 100, 100}, SEGMENT)).containsExactly(0, 3);
        assertThat(Sealing.groups(new long[] {ROOM / 2, ROOM / 2, 1}, SEGMENT)).containsExactly(0, 2, 3);
        assertThat(Sealing.groups(new long[] {ROOM, 1, ROOM}, SEGMENT)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void shouldPutAnAppendLargerThanASegmentInAGroupOfItsOwn() {
        assertThat(Sealing.groups(new long[] {10, 5 * SEGMENT, 10}, SEGMENT)).containsExactly(0, 1, 2, 3);
        assertThat(Sealing.groups(new long[] {5 * SEGMENT}, SEGMENT)).containsExactly(0, 1);
    }

    @Test
    void shouldHaveNoGroupsWithoutAppends() {
        assertThat(Sealing.groups(new long[0], SEGMENT)).containsExactly(0);
    }
}
