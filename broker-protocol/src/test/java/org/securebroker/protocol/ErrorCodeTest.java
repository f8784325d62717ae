package org.securebroker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

    /** The wire numbers and retriable flags, frozen. Changing this map breaks released clients. */
    private static final Map<String, Object[]> PINNED = new LinkedHashMap<>();

    static {
        pin("NONE", 0, false);
        pin("PROTOCOL_ERROR", 1, false);
        pin("UNSUPPORTED_VERSION", 2, false);
        pin("FRAME_TOO_LARGE", 3, false);
        pin("UNKNOWN_FRAME_TYPE", 4, false);
        pin("UNEXPECTED_FRAME", 5, false);
        pin("TLS_REQUIRED", 6, false);
        pin("HANDSHAKE_TIMEOUT", 7, true);
        pin("AUTHENTICATION_FAILED", 10, false);
        pin("AUTHENTICATION_TIMEOUT", 11, true);
        pin("UNSUPPORTED_MECHANISM", 12, false);
        pin("SESSION_EXPIRED", 13, true);
        pin("TOO_MANY_ATTEMPTS", 14, true);
        pin("NOT_AUTHORIZED", 20, false);
        pin("QUEUE_NOT_FOUND", 30, false);
        pin("QUEUE_EXISTS", 31, false);
        pin("INVALID_REQUEST", 32, false);
        pin("MESSAGE_TOO_LARGE", 33, false);
        pin("UNKNOWN_CONSUMER", 34, false);
        pin("MESSAGE_EXPIRED", 35, false);
        pin("QUEUE_UNAVAILABLE", 36, false);
        pin("QUEUE_FULL", 37, true);
        pin("SUBSCRIPTION_NOT_FOUND", 38, false);
        pin("STORE_UNAVAILABLE", 40, true);
        pin("STORE_FULL", 41, true);
        pin("OVERLOADED", 42, true);
        pin("RECORD_CORRUPTED", 43, false);
        pin("AUDIT_UNAVAILABLE", 44, true);
        pin("QUOTA_EXCEEDED", 45, true);
        pin("INTERNAL_ERROR", 50, true);
        pin("SHUTTING_DOWN", 51, true);
        pin("SIGNATURE_REQUIRED", 60, false);
        pin("SIGNATURE_INVALID", 61, false);
        pin("CONNECTION_LOST", 70, true);
        pin("TIMEOUT", 71, true);
        pin("CLIENT_CLOSED", 72, false);
        pin("VERIFICATION_FAILED", 73, false);
    }

    private static void pin(String name, int code, boolean retriable) {
        PINNED.put(name, new Object[] {code, retriable});
    }

    @Test
    void shouldKeepEveryCodeNumberAndRetriableFlagExactlyAsReleased() {
        Map<String, Object[]> actual = new LinkedHashMap<>();
        for (ErrorCode c : ErrorCode.values()) {
            actual.put(c.name(), new Object[] {c.code(), c.retriable()});
        }
        assertThat(actual).containsOnlyKeys(PINNED.keySet());
        PINNED.forEach((name, expected) ->
                assertThat(actual.get(name)).as(name).containsExactly(expected));
    }

    @Test
    void shouldHaveUniqueCodes() {
        assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::code)).doesNotHaveDuplicates();
    }

    @Test
    void shouldFitEveryCodeInAU16() {
        assertThat(ErrorCode.values()).allSatisfy(c -> assertThat(c.code()).isBetween(0, 0xFFFF));
    }

    @Test
    void shouldLookUpEveryKnownCode() {
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(ErrorCode.fromCode(c.code())).contains(c);
        }
    }

    @Test
    void shouldReturnEmptyForCodesFromANewerVersion() {
        assertThat(ErrorCode.fromCode(8)).isEmpty();
        assertThat(ErrorCode.fromCode(62)).isEmpty();
        assertThat(ErrorCode.fromCode(0xFFFF)).isEmpty();
        assertThat(ErrorCode.fromCode(-1)).isEmpty();
        assertThat(ErrorCode.fromCode(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void shouldDescribeUnknownCodesWithTheirNumber() {
        assertThat(ErrorCode.describe(30)).isEqualTo("QUEUE_NOT_FOUND");
        assertThat(ErrorCode.describe(999)).isEqualTo("UNKNOWN(999)");
    }

    @Test
    void shouldGiveEveryCodeADefaultMessage() {
        assertThat(ErrorCode.values()).allSatisfy(c -> assertThat(c.defaultMessage()).isNotBlank());
        assertThat(ErrorCode.UNEXPECTED_FRAME.defaultMessage())
                .isEqualTo("frame not allowed in this session state");
    }
}
