package org.securebroker.store;

import org.junit.jupiter.api.Test;
import org.securebroker.testing.Architecture;

/**
 * broker-store's packages form the layers docs/architecture.md draws, bottom up; the store reads
 * no wall clock and makes no random source of its own (its owner hands it both through
 * {@link StoreConfig}).
 */
class ArchitectureTest {

    @Test
    void shouldKeepPackagesInLayersAndTakeTimeAndRandomnessFromItsOwner() {
        Architecture.of("org.securebroker.store")
                .layer("io", "record")
                .layer("failure")
                .layer("commit", "crypto")
                .layer("segment", "subscription")
                .layer("")
                .check();
    }
}
