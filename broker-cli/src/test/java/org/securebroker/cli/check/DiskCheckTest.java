package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;

/** The disk check, with the free space the test decides. */
class DiskCheckTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    private List<Finding> run(long usable, long total) throws Exception {
        DiskCheck check = new DiskCheck(path -> new DiskCheck.Space("/dev/test", usable, total));
        return check.run(CheckFixture.context(ConfigLoader.defaults(tmp.resolve("data"))));
    }

    @Test
    void shouldFindNothingWithRoomToSpare() throws Exception {
        assertThat(run(50 * GIB, 100 * GIB)).isEmpty();
    }

    @Test
    void shouldRateLessThanTenPercentOrOneGibMedium() throws Exception {
        assertThat(run(5 * GIB, 100 * GIB)).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.MEDIUM));
        assertThat(run(GIB / 2, GIB)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.finding()).contains("512 MiB free of 1.0 GiB (50.0%)");
        });
    }

    @Test
    void shouldRateLessThanTwoPercentHigh() throws Exception {
        assertThat(run(GIB, 100 * GIB)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("disk-space");
        });
    }

    @Test
    void shouldNameBothDirectoriesOnOneFileSystemAndJudgeSeparateOnesApart() throws Exception {
        BrokerConfig config = ConfigLoader.defaults(tmp.resolve("data"));
        Files.createDirectories(config.storeDir());
        Files.createDirectories(config.audit().dir());
        DiskCheck byDirectory = new DiskCheck(path -> new DiskCheck.Space(path.getFileName().toString(), GIB, 100 * GIB));

        List<Finding> together = run(GIB, 100 * GIB);
        List<Finding> apart = byDirectory.run(CheckFixture.context(config));

        assertThat(together).singleElement().satisfies(f -> assertThat(f.subject())
                .isEqualTo("the store (" + config.storeDir() + "), the audit log (" + config.audit().dir() + ")"));
        assertThat(apart).extracting(Finding::subject).containsExactly("the store (" + config.storeDir() + ")",
                "the audit log (" + config.audit().dir() + ")");
    }
}
