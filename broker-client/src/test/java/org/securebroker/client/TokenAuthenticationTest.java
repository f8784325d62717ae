package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.slf4j.LoggerFactory;

/** Bearer tokens (JWT): first authentication, re-authentication on the live connection, expiry. */
class TokenAuthenticationTest extends ClientTestSupport {

    private static final long HOUR = Duration.ofHours(1).toMillis();

    private final AtomicInteger calls = new AtomicInteger();
    private final List<String> supplierThreads = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger clientLogger = (Logger) LoggerFactory.getLogger("org.securebroker.client");

    @BeforeEach
    void offerJwt() {
        broker.mechanisms("JWT");
        logs.start();
        clientLogger.addAppender(logs);
    }

    @AfterEach
    void detachLogs() {
        clientLogger.detachAppender(logs);
    }

    /** Tokens "token-1", "token-2", ... unless {@code override} names another for a call number. */
    private Supplier<String> numberedTokens(IntFunction<String> override) {
        return () -> {
            supplierThreads.add(Thread.currentThread().getName());
            int n = calls.incrementAndGet();
            String special = override.apply(n);
            return special != null ? special : "token-" + n;
        };
    }

    private Supplier<String> numberedTokens() {
        return numberedTokens(n -> null);
    }

    private static String token(AuthFrame auth) {
        return new String(auth.initialResponse().toByteArray(), StandardCharsets.UTF_8);
    }

    private List<String> reauthenticationTokens(int connection) {
        return broker.received(connection, AuthFrame.class).stream().map(TokenAuthenticationTest::token).toList();
    }

    private boolean loggedAnything(String text) {
        return logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text)
                || (e.getThrowableProxy() != null && String.valueOf(e.getThrowableProxy().getMessage()).contains(text)));
    }

    @Test
    void shouldAuthenticateWithTheSuppliersTokenFromAClientThread() {
        BrokerClient client = connect(builderWithoutCredentials().tokenSupplier(numberedTokens()));

        assertThat(broker.authFrames()).singleElement().satisfies(auth -> {
            assertThat(auth.mechanism()).isEqualTo("JWT");
            assertThat(token(auth)).isEqualTo("token-1");
        });
        assertThat(client.principal()).isEqualTo("alice");
        assertThat(client.sessionExpiresAt()).isEmpty();
        assertThat(supplierThreads).singleElement().satisfies(name -> assertThat(name).endsWith("-auth")
                .doesNotContain("-io-"));
    }

    @Test
    void shouldReauthenticateOnTheSameConnectionBeforeTheSessionExpires() {
        broker.sessionExpiry(token -> System.currentTimeMillis() + 2_000);
        BrokerClient client = connect(builderWithoutCredentials().tokenSupplier(numberedTokens()));
        Instant firstExpiry = client.sessionExpiresAt().orElseThrow();

        eventually(() -> broker.received(1, AuthFrame.class).size() >= 2);
        SendReceipt sent = client.send("orders", Message.of("still flowing"));

        assertThat(reauthenticationTokens(1)).startsWith("token-2", "token-3");
        assertThat(broker.received(1, AuthFrame.class)).extracting(AuthFrame::mechanism).containsOnly("JWT");
        assertThat(broker.authenticatedConnections()).isEqualTo(1);
        assertThat(broker.expiredSessions()).isZero();
        assertThat(sent.queue()).isEqualTo("orders");
        eventually(() -> client.sessionExpiresAt().orElseThrow().isAfter(firstExpiry));
    }

    @Test
    void shouldRetryARefusedReauthenticationWithAFreshTokenAndNeverLogTheToken() {
        broker.sessionExpiry(token -> System.currentTimeMillis() + (token.equals("token-1") ? 3_000 : HOUR));
        BrokerClient client = connect(builderWithoutCredentials()
                .tokenSupplier(numberedTokens(n -> n == 2 ? "rejected-2" : null)));

        eventually(() -> reauthenticationTokens(1).size() == 2);

        assertThat(reauthenticationTokens(1)).containsExactly("rejected-2", "token-3");
        eventually(() -> client.sessionExpiresAt().orElseThrow()
                .isAfter(Instant.now().plus(Duration.ofMinutes(30))));
        assertThat(broker.authenticatedConnections()).isEqualTo(1);
        assertThat(broker.expiredSessions()).isZero();
        assertThat(loggedAnything("Re-authentication")).isTrue();
        assertThat(loggedAnything("rejected-2")).isFalse();
        assertThat(loggedAnything("token-")).isFalse();
    }

    @Test
    void shouldRetryWhenTheSupplierThrowsDuringRefresh() {
        broker.sessionExpiry(token -> System.currentTimeMillis() + (token.equals("token-1") ? 3_000 : HOUR));
        BrokerClient client = connect(builderWithoutCredentials().tokenSupplier(numberedTokens(n -> {
            if (n == 2) {
                throw new IllegalStateException("identity provider unavailable");
            }
            return null;
        })));

        eventually(() -> reauthenticationTokens(1).size() == 1);

        assertThat(reauthenticationTokens(1)).containsExactly("token-3");
        assertThat(broker.authenticatedConnections()).isEqualTo(1);
        eventually(() -> client.sessionExpiresAt().orElseThrow()
                .isAfter(Instant.now().plus(Duration.ofMinutes(30))));
    }

    @Test
    void shouldReconnectWithAFreshTokenWhenTheBrokerEndsAnExpiredSession() {
        BrokerClient client = connect(builderWithoutCredentials().tokenSupplier(numberedTokens()));

        broker.send(ErrorFrame.of(0, ErrorCode.SESSION_EXPIRED));

        eventually(() -> broker.authenticatedConnections() == 2);
        assertThat(broker.authFrames()).extracting(TokenAuthenticationTest::token).containsExactly("token-1", "token-2");
        assertThat(client.send("orders", Message.of("after reconnect")).queue()).isEqualTo("orders");
    }

    @Test
    void shouldReconnectWhenEveryRefreshIsRefusedAndTheSessionRunsOut() {
        broker.acceptTokens(token -> !token.startsWith("refresh"));
        broker.sessionExpiry(token -> System.currentTimeMillis() + (token.equals("token-1") ? 1_500 : HOUR));
        // Every refresh of the first session is refused; the reconnect after its expiry gets a good token.
        connect(builderWithoutCredentials().tokenSupplier(numberedTokens(
                n -> n > 1 && broker.expiredSessions() == 0 ? "refresh-" + n : null)));

        eventually(() -> broker.authenticatedConnections() == 2);

        assertThat(broker.expiredSessions()).isEqualTo(1);
        assertThat(reauthenticationTokens(1)).isNotEmpty().allMatch(token -> token.startsWith("refresh-"));
        assertThat(broker.authFrames()).hasSize(2);
        assertThat(token(broker.authFrames().get(1))).startsWith("token-");
    }

    @Test
    void shouldFailConnectWithARetriableErrorWhenTheSupplierThrows() {
        BrokerClientBuilder builder = builderWithoutCredentials().tokenSupplier(() -> {
            throw new IllegalStateException("identity provider unavailable");
        });

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("token supplier");
                    assertThat(e).hasRootCauseInstanceOf(IllegalStateException.class);
                });
        assertThat(broker.authFrames()).isEmpty();
    }

    @Test
    void shouldFailConnectWithNonRetriableAuthenticationFailedWhenTheBrokerRefusesTheToken() {
        assertThatThrownBy(() -> builderWithoutCredentials().tokenSupplier(() -> "rejected").connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                });
    }

    @Test
    void shouldRefuseBothAPasswordAndATokenSupplier() {
        assertThatThrownBy(() -> builder().tokenSupplier(() -> "t").connect())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("credentials(username, password)")
                .hasMessageContaining("tokenSupplier");
    }
}
