package org.securebroker.server;

import org.junit.jupiter.api.Test;
import org.securebroker.testing.Architecture;

/**
 * broker-server's packages form the layers docs/architecture.md draws, bottom up; the wall
 * clock is read only by {@link BrokerContext}.
 */
class ArchitectureTest {

    static Architecture layers() {
        return Architecture.of("org.securebroker.server")
                .layer("config", "request", "identity", "message")
                .layer("audit", "tls", "rbac", "integrity", "limits")
                .layer("auth.jwt")
                .layer("auth")
                .layer("access", "queue")
                .layer("session")
                .layer("net", "admin")
                .layer("")
                .timeAndRandomnessOnlyIn(BrokerContext.class.getName());
    }

    @Test
    void shouldKeepPackagesInLayersAndReadTimeOnlyThroughTheContext() {
        layers().check();
    }
}
