package org.securebroker.cli;

import org.junit.jupiter.api.Test;
import org.securebroker.testing.Architecture;

/**
 * broker-cli's packages form the layers docs/architecture.md draws, bottom up; the commands take
 * time from the broker's context ({@code Cli.CONTEXT}), never from the wall clock directly.
 */
class ArchitectureTest {

    @Test
    void shouldKeepPackagesInLayersAndNeverReadTheWallClock() {
        Architecture.of("org.securebroker.cli")
                .layer("check")
                .layer("")
                .check();
    }
}
