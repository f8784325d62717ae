package org.securebroker.protocol;

/**
 * UTF-8 sizes without encoding: frame sizes are computed before anything is written.
 *
 * <p>Thread-safety: stateless.
 */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * The number of bytes {@code value} takes in UTF-8.
     *
     * @throws IllegalArgumentException if it contains an unpaired surrogate (not encodable)
     */
    public static int length(String value) {
        int bytes = 0;
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (!Character.isSurrogate(c)) {
                bytes += 3;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                throw new IllegalArgumentException("contains an unpaired surrogate at index " + i);
            }
        }
        return bytes;
    }
}
