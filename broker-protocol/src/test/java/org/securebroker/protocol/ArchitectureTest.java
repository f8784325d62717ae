package org.securebroker.protocol;

import org.junit.jupiter.api.Test;
import org.securebroker.testing.Architecture;

/** broker-protocol's packages form the layers docs/architecture.md draws, bottom up; nothing reads the wall clock. */
class ArchitectureTest {

    @Test
    void shouldKeepPackagesInLayersAndNeverReadTheWallClock() {
        Architecture.of("org.securebroker.protocol")
                .layer("")
                .layer("auth", "frame")
                .layer("codec", "integrity")
                .check();
    }
}
