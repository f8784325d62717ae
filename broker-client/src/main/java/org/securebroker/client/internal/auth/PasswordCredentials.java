package org.securebroker.client.internal.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.auth.Scram;

/**
 * A username and password, used with PLAIN (RFC 4616) or SCRAM-SHA-256.
 *
 * <p>The client keeps the password for as long as it may have to authenticate again (every
 * reconnect) and then calls {@link #wipe()}, which overwrites it. The password never leaves
 * this object: callers get the PLAIN response or the SCRAM salted password, and every array
 * made on the way is overwritten. {@link #toString()} never shows the password.
 *
 * <p>Thread-safety: thread-safe; the password is guarded by this object's lock.
 */
public final class PasswordCredentials {

    private static final int MAX_UTF8_BYTES = 1024;

    private final String username;
    private char[] password;

    /**
     * Takes ownership of {@code password}: it is overwritten by {@link #wipe()}.
     *
     * @throws IllegalArgumentException if either part is empty, contains NUL or is too long
     */
    public PasswordCredentials(String username, char[] password) {
        check(username, password);
        this.username = username;
        this.password = password;
    }

    /**
     * Validates a username and password without keeping them.
     *
     * @throws IllegalArgumentException if either is empty, contains a NUL character, is not
     *     valid UTF-16 or is longer than 1024 UTF-8 bytes; the message never shows the password
     */
    public static void check(String username, char[] password) {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isEmpty() || username.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("credentials: username must be non-empty and contain no NUL");
        }
        int usernameLength;
        try {
            usernameLength = Utf8.length(username);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("credentials: username is not valid UTF-16", e);
        }
        if (usernameLength > MAX_UTF8_BYTES) {
            throw new IllegalArgumentException("credentials: username longer than " + MAX_UTF8_BYTES + " bytes");
        }
        if (password.length == 0) {
            throw new IllegalArgumentException("credentials: password must not be empty");
        }
        for (char c : password) {
            if (c == '\0') {
                throw new IllegalArgumentException("credentials: password must not contain NUL");
            }
        }
        byte[] encoded = encode(password);
        int length = encoded.length;
        Arrays.fill(encoded, (byte) 0);
        if (length > MAX_UTF8_BYTES) {
            throw new IllegalArgumentException("credentials: password longer than " + MAX_UTF8_BYTES + " bytes");
        }
    }

    /** The username (not secret). */
    public String username() {
        return username;
    }

    /**
     * The PLAIN initial response: empty authzid, NUL, username, NUL, password, in UTF-8. The
     * caller must overwrite the returned array after use.
     *
     * @throws IllegalStateException if the credentials were wiped
     */
    public synchronized byte[] plainInitialResponse() {
        checkNotWiped();
        byte[] user = username.getBytes(StandardCharsets.UTF_8);
        byte[] pass = encode(password);
        byte[] response = new byte[1 + user.length + 1 + pass.length];
        response[0] = 0;
        System.arraycopy(user, 0, response, 1, user.length);
        response[1 + user.length] = 0;
        System.arraycopy(pass, 0, response, 2 + user.length, pass.length);
        Arrays.fill(pass, (byte) 0);
        return response;
    }

    /**
     * SCRAM's SaltedPassword (PBKDF2-HMAC-SHA-256 of the normalized password). Slow by design:
     * call it off the I/O thread. The caller must overwrite the returned array after use.
     *
     * @throws IllegalStateException if the credentials were wiped
     * @throws IllegalArgumentException if {@code iterations} is below {@link Scram#MIN_ITERATIONS}
     */
    public synchronized byte[] scramSaltedPassword(byte[] salt, int iterations) {
        checkNotWiped();
        return Scram.saltedPassword(password, salt, iterations);
    }

    /** Overwrites the password; later uses fail with IllegalStateException. Idempotent. */
    public synchronized void wipe() {
        if (password != null) {
            Arrays.fill(password, '\0');
            password = null;
        }
    }

    /** Whether {@link #wipe()} was called. */
    public synchronized boolean isWiped() {
        return password == null;
    }

    @Override
    public String toString() {
        return "PasswordCredentials[username=" + username + ", password=****]";
    }

    private void checkNotWiped() {
        if (password == null) {
            throw new IllegalStateException("credentials were wiped");
        }
    }

    /**
     * UTF-8 of {@code chars} into a buffer sized for the worst case, so the encoder never
     * reallocates and leaves an unwiped copy behind; the buffer is wiped before returning.
     */
    private static byte[] encode(char[] chars) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        byte[] scratch = new byte[(int) Math.ceil(encoder.maxBytesPerChar() * chars.length)];
        try {
            ByteBuffer out = ByteBuffer.wrap(scratch);
            CoderResult result = encoder.encode(CharBuffer.wrap(chars), out, true);
            if (result.isError() || result.isOverflow()) {
                throw new IllegalArgumentException("credentials: password is not valid UTF-16");
            }
            encoder.flush(out);
            return Arrays.copyOf(scratch, out.position());
        } finally {
            Arrays.fill(scratch, (byte) 0);
        }
    }
}
