package org.securebroker.protocol.frame;

/** Range checks shared by the frame records' constructors. Stateless. */
final class FieldChecks {

    static final int U16_MAX = 0xFFFF;
    static final long U32_MAX = 0xFFFF_FFFFL;

    private FieldChecks() {
    }

    static int u16(String field, int value) {
        if (value < 0 || value > U16_MAX) {
            throw new IllegalArgumentException(field + " " + value + " is not a u16");
        }
        return value;
    }

    static long u32(String field, long value) {
        if (value < 0 || value > U32_MAX) {
            throw new IllegalArgumentException(field + " " + value + " is not a u32");
        }
        return value;
    }

    static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative: " + value);
        }
        return value;
    }

    static int count(String field, int size, int min, int max) {
        if (size < min || size > max) {
            throw new IllegalArgumentException(
                    field + " count " + size + " is outside [" + min + ", " + max + "]");
        }
        return size;
    }
}
