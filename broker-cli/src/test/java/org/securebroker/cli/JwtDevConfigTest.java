package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;

/** The embedded defaults trust the development token key once it exists; a config file never does implicitly. */
class JwtDevConfigTest {

    @TempDir
    Path dir;

    @Test
    void shouldTrustTheDevelopmentKeyInTheEmbeddedDefaultsOnlyWhenItExists() throws Exception {
        Cli.ConfigOptions options = new Cli.ConfigOptions();
        options.data = dir;
        assertThat(options.load().auth().jwt()).isNull();

        DevTokens.createKeyPair(dir.resolve(Layout.JWT_DEV_PUBLIC_KEY), dir.resolve(Layout.JWT_DEV_PRIVATE_KEY),
                new SecureRandom());
        BrokerConfig.Jwt jwt = options.load().auth().jwt();
        assertThat(jwt).isEqualTo(DevTokens.config(dir.resolve(Layout.JWT_DEV_PUBLIC_KEY)));
        assertThat(jwt.issuer()).isEqualTo("securebroker-dev");
        assertThat(jwt.audience()).isEqualTo("securebroker");
        assertThat(jwt.keys()).singleElement().satisfies(k -> assertThat(k.kid()).isEqualTo("dev"));
    }

    @Test
    void shouldNotTrustTheDevelopmentKeyWithAConfigFile() throws Exception {
        DevTokens.createKeyPair(dir.resolve(Layout.JWT_DEV_PUBLIC_KEY), dir.resolve(Layout.JWT_DEV_PRIVATE_KEY),
                new SecureRandom());
        Path file = Files.writeString(dir.resolve("broker.yaml"), "dataDir: " + dir + "\n");
        Cli.ConfigOptions options = new Cli.ConfigOptions();
        options.config = file;
        assertThat(options.load().auth().jwt()).isNull();
    }
}
