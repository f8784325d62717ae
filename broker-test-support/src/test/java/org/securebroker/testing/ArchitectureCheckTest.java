package org.securebroker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The architecture check finds back-edges, peer edges, unplaced packages and wall-clock reads in compiled fixtures. */
class ArchitectureCheckTest {

    private static final String ROOT = "org.securebroker.testing.fixture";

    private static Architecture fixture() {
        return Architecture.of(ROOT).classesIn(Path.of("target", "test-classes"));
    }

    @Test
    void shouldReportADependencyFromALowerLayerToAHigherOne() {
        assertThat(fixture().layer("low").layer("peer").layer("high").layerViolations())
                .singleElement().asString()
                .startsWith("low -> high (a back-edge to a higher layer)")
                .contains("Low.backEdge()").contains("Low.java:");
    }

    @Test
    void shouldAcceptTheLayeringTheClassesFollow() {
        // high reads nothing of the others, peer depends on low, low reaches high: high at the bottom is clean
        assertThat(fixture().layer("high").layer("low").layer("peer").layerViolations()).isEmpty();
    }

    @Test
    void shouldReportPeersOfOneLayerThatDependOnEachOther() {
        assertThat(fixture().layer("high").layer("low", "peer").layerViolations())
                .singleElement().asString().startsWith("peer -> low (peers in one layer)");
    }

    @Test
    void shouldReportAPackageInNoLayer() {
        assertThat(fixture().layer("high").layer("low").layerViolations())
                .anyMatch(p -> p.startsWith("package " + ROOT + ".peer is in no layer"));
    }

    @Test
    void shouldReportWallClockReadsAndNewRandomSourcesOutsideTheAllowedClass() {
        assertThat(fixture().systemSourceViolations()).hasSize(2)
                .anyMatch(p -> p.contains("High.value()") && p.contains("System.currentTimeMillis()"))
                .anyMatch(p -> p.contains("High.random()") && p.contains("SecureRandom.<init>()"));
        assertThat(fixture().timeAndRandomnessOnlyIn(ROOT + ".high.High").systemSourceViolations()).isEmpty();
    }

    @Test
    void shouldFailTheCheckListingEveryProblem() {
        assertThatThrownBy(() -> fixture().layer("low").layer("peer").layer("high").check())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("3 architecture problem(s)")
                .hasMessageContaining("a back-edge").hasMessageContaining("reads the wall clock or makes a SecureRandom");
    }
}
