package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.audit.ChangeNote;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;

/** 'broker user': SCRAM can be left out per user, and every change leaves a note naming who made it. */
class UserCommandTest {

    @TempDir
    Path dir;

    private int run(String stdin, String... args) {
        InputStream previous = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return BrokerCli.execute(args, new PrintWriter(new StringWriter(), true),
                    new PrintWriter(new StringWriter(), true));
        } finally {
            System.setIn(previous);
        }
    }

    @Test
    void shouldStoreNoScramVerifierForANoScramUserAndNameWhoChangedTheFile() throws Exception {
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, 4096, new SecureRandom(), Clock.systemUTC());
        Path usersFile = data.resolve("users.json");
        assertThat(run("a-long-password-for-carol\n", "user", "add", "carol", "--no-scram", "--password-stdin",
                "--data", data.toString())).isZero();
        User carol = UserStore.load(usersFile).find("carol").orElseThrow();
        assertThat(carol.scram()).isNull();
        assertThat(carol.scramDisabled()).isTrue();
        assertThat(Files.readString(usersFile)).contains("\"scramDisabled\" : true");

        ChangeNote note = ChangeNote.readFor(usersFile).orElseThrow();
        assertThat(note.actor()).startsWith("os:");
        assertThat(note.command()).isEqualTo("broker user add carol --no-scram");
        assertThat(note.describes(ChangeNote.digest(Files.readAllBytes(usersFile)))).isTrue();

        assertThat(run("another-password-for-carol\n", "user", "passwd", "carol", "--password-stdin",
                "--data", data.toString())).isZero();
        assertThat(UserStore.load(usersFile).find("carol").orElseThrow().scram()).as("stays off").isNull();
        assertThat(run("another-password-for-carol\n", "user", "passwd", "carol", "--scram", "--password-stdin",
                "--data", data.toString())).isZero();
        User back = UserStore.load(usersFile).find("carol").orElseThrow();
        assertThat(back.scram()).isNotNull();
        assertThat(back.scram().iterations()).isEqualTo(600_000);
        assertThat(back.scramDisabled()).isFalse();
        assertThat(ChangeNote.readFor(usersFile).orElseThrow().command()).isEqualTo("broker user passwd carol --scram");
    }
}
