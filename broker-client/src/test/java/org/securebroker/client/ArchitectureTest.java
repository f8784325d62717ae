package org.securebroker.client;

import org.junit.jupiter.api.Test;
import org.securebroker.testing.Architecture;

/**
 * broker-client's packages form the layers docs/architecture.md draws, bottom up; time and
 * randomness come only from {@link ClientContext}.
 */
class ArchitectureTest {

    @Test
    void shouldKeepPackagesInLayersAndReadTimeOnlyThroughTheContext() {
        Architecture.of("org.securebroker.client")
                .layer("internal.auth")
                .layer("")
                .timeAndRandomnessOnlyIn(ClientContext.class.getName())
                .check();
    }
}
