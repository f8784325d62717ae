package org.securebroker.client.internal.auth;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;

/**
 * The application's bearer-token supplier, called for every connection and every
 * re-authentication. Tokens are secrets: they are never logged, and errors name only the
 * supplier's exception type.
 *
 * <p>Thread-safety: thread-safe if the supplier is; the client calls it from one thread at a
 * time (its authentication thread), never from the I/O thread.
 */
public final class TokenSource {

    /** AUTH header bytes besides the token: frame header after the length (6), "JWT" (2 + 3), length (4). */
    private static final int AUTH_OVERHEAD = 6 + 2 + TokenExchange.MECHANISM.length() + 4;
    /** The longest token an AUTH frame can carry before AUTH_OK (64 KiB frames). */
    public static final int MAX_INITIAL_TOKEN_BYTES = ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE - AUTH_OVERHEAD;

    private final Supplier<String> supplier;

    public TokenSource(Supplier<String> supplier) {
        this.supplier = Objects.requireNonNull(supplier, "supplier");
    }

    /** The longest token an AUTH frame can carry on a session with {@code maxFrameSize}. */
    public static int maxTokenBytes(int maxFrameSize) {
        return maxFrameSize - AUTH_OVERHEAD;
    }

    /**
     * A fresh token in UTF-8; the caller overwrites the array after use. Blocks as long as the
     * supplier does.
     *
     * @throws AuthException {@code AUTHENTICATION_FAILED}, retriable, if the supplier throws or
     *     returns no token; not retriable if the token is longer than {@code maxBytes}
     */
    public byte[] fetch(int maxBytes) {
        String token;
        try {
            token = supplier.get();
        } catch (RuntimeException e) {
            throw new AuthException(ErrorCode.AUTHENTICATION_FAILED, true,
                    "the token supplier threw " + e.getClass().getName(), e);
        }
        if (token == null || token.isEmpty()) {
            throw new AuthException(ErrorCode.AUTHENTICATION_FAILED, true,
                    "the token supplier returned no token", null);
        }
        byte[] utf8 = token.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > maxBytes) {
            int length = utf8.length;
            Arrays.fill(utf8, (byte) 0);
            throw new AuthException(ErrorCode.AUTHENTICATION_FAILED, false,
                    "the token is " + length + " bytes long; at most " + maxBytes + " fit in an AUTH frame", null);
        }
        return utf8;
    }

    @Override
    public String toString() {
        return "TokenSource[" + supplier.getClass().getName() + "]";
    }
}
