package org.securebroker.protocol.integrity;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.securebroker.protocol.frame.Bytes;

/**
 * The broker's signature on one stored message: the message's place in a signed batch (an
 * RFC 6962 Merkle tree) and the Ed25519 signature of the batch statement
 * ({@link Canonical#batchStatement}). Carried as DELIVER's {@code brokerSignature} and at the
 * end of every receipt. Encoding, version 1 (big-endian):
 *
 * <pre>
 * u8   version = 1
 * str  keyId            u16 length + ASCII, the signing key's id
 * u64  auditPosition    the audit log's last sequence number when the batch was signed; 0 = no audit log
 * u32  leafIndex
 * u32  treeSize
 * u8   pathLength, then pathLength x 32 bytes (sibling hashes from the leaf up)
 * 64   signature        Ed25519 over the batch statement
 * </pre>
 *
 * <p>Thread-safety: immutable (the arrays are not exposed).
 */
public final class BrokerSeal {

    public static final byte VERSION = 1;
    public static final int SIGNATURE_BYTES = 64;
    /** The longest path a seal may carry: trees have at most 2^31 leaves. */
    public static final int MAX_PATH = 31;

    private final String keyId;
    private final long auditPosition;
    private final int leafIndex;
    private final int treeSize;
    private final byte[][] path;
    private final byte[] signature;

    public BrokerSeal(String keyId, long auditPosition, int leafIndex, int treeSize, byte[][] path, byte[] signature) {
        this(path.clone(), signature.clone(), keyId, auditPosition, leafIndex, treeSize);
    }

    /** Takes the arrays as they are: the caller hands them over (copies, or fresh from {@link #read}). */
    private BrokerSeal(byte[][] path, byte[] signature, String keyId, long auditPosition, int leafIndex,
                       int treeSize) {
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        if (keyId.isEmpty() || keyId.length() > 64) {
            throw new IllegalArgumentException("a key id has 1 to 64 characters");
        }
        if (treeSize < 1 || leafIndex < 0 || leafIndex >= treeSize) {
            throw new IllegalArgumentException("leaf " + leafIndex + " is not in a tree of " + treeSize);
        }
        if (path.length > MAX_PATH) {
            throw new IllegalArgumentException("a path has at most " + MAX_PATH + " hashes");
        }
        for (byte[] p : path) {
            if (p.length != Canonical.DIGEST_BYTES) {
                throw new IllegalArgumentException("a path hash has 32 bytes");
            }
        }
        if (signature.length != SIGNATURE_BYTES) {
            throw new IllegalArgumentException("an Ed25519 signature has 64 bytes");
        }
        this.auditPosition = auditPosition;
        this.leafIndex = leafIndex;
        this.treeSize = treeSize;
        this.path = path;
        this.signature = signature;
    }

    /** The encoded length of a seal with this key id and path length. */
    public static int encodedLength(int keyIdLength, int pathLength) {
        return 1 + 2 + keyIdLength + 8 + 4 + 4 + 1 + pathLength * Canonical.DIGEST_BYTES + SIGNATURE_BYTES;
    }

    public String keyId() {
        return keyId;
    }

    public long auditPosition() {
        return auditPosition;
    }

    public int leafIndex() {
        return leafIndex;
    }

    public int treeSize() {
        return treeSize;
    }

    int pathLength() {
        return path.length;
    }

    byte[][] path() {
        return path;
    }

    byte[] signature() {
        return signature;
    }

    /** The statement the signature covers, for a tree with this root. */
    byte[] statement(byte[] root) {
        return Canonical.batchStatement(keyId, auditPosition, treeSize, root);
    }

    public int encodedLength() {
        return encodedLength(keyId.length(), path.length);
    }

    /** Writes the encoding at {@code out}'s position. */
    public void writeTo(ByteBuffer out) {
        write(out, keyId.getBytes(StandardCharsets.US_ASCII), auditPosition, leafIndex, treeSize, path, signature);
    }

    /**
     * Writes a seal from its parts, unchecked (the signer's hot path; {@link #read} checks what
     * it reads).
     */
    public static void write(ByteBuffer out, byte[] keyIdAscii, long auditPosition, int leafIndex, int treeSize,
                             byte[][] path, byte[] signature) {
        out.put(VERSION);
        out.putShort((short) keyIdAscii.length).put(keyIdAscii);
        out.putLong(auditPosition).putInt(leafIndex).putInt(treeSize);
        out.put((byte) path.length);
        for (byte[] p : path) {
            out.put(p);
        }
        out.put(signature);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(encodedLength());
        writeTo(b);
        return b.array();
    }

    /**
     * Reads a seal that fills {@code in} from its position to its limit.
     *
     * @throws IntegrityException {@code MALFORMED} if it is not a version-1 seal
     */
    public static BrokerSeal read(ByteBuffer in) {
        try {
            byte version = in.get();
            if (version != VERSION) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED,
                        "unknown broker signature version " + version);
            }
            int idLength = in.getShort() & 0xFFFF;
            byte[] id = new byte[idLength];
            in.get(id);
            long auditPosition = in.getLong();
            int leafIndex = in.getInt();
            int treeSize = in.getInt();
            int pathLength = in.get() & 0xFF;
            if (pathLength > MAX_PATH) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED,
                        "a broker signature's path has at most " + MAX_PATH + " hashes, not " + pathLength);
            }
            byte[][] path = new byte[pathLength][Canonical.DIGEST_BYTES];
            for (byte[] p : path) {
                in.get(p);
            }
            byte[] signature = new byte[SIGNATURE_BYTES];
            in.get(signature);
            if (in.hasRemaining()) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED,
                        in.remaining() + " bytes after the broker signature");
            }
            return new BrokerSeal(path, signature, new String(id, StandardCharsets.US_ASCII), auditPosition, leafIndex,
                    treeSize);
        } catch (BufferUnderflowException e) {
            throw new IntegrityException(IntegrityException.Reason.MALFORMED, "the broker signature is truncated");
        } catch (IllegalArgumentException e) {
            throw new IntegrityException(IntegrityException.Reason.MALFORMED, "bad broker signature: " + e.getMessage());
        }
    }

    public static BrokerSeal decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Reads the seal {@code bytes} hold, without copying them first. */
    public static BrokerSeal decode(Bytes bytes) {
        return decode(bytes.asReadOnlyByteBuffer());
    }

    private static BrokerSeal decode(ByteBuffer in) {
        if (!in.hasRemaining()) {
            throw new IntegrityException(IntegrityException.Reason.UNSIGNED, "the message carries no broker signature");
        }
        return read(in);
    }

    @Override
    public String toString() {
        return "BrokerSeal[key " + keyId + ", leaf " + leafIndex + " of " + treeSize + "]";
    }
}
