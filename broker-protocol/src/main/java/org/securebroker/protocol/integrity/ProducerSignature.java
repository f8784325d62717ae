package org.securebroker.protocol.integrity;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * A producer's own Ed25519 signature on a message, made with a key registered for its principal
 * and checked by the broker before it stores the message. It covers
 * {@link Canonical#producerStatement} (queue, producer id, sequence, headers, payload digest).
 * Encoding, version 1:
 *
 * <pre>
 * u8 version = 1 | str keyId (u16 length + ASCII) | 64 bytes Ed25519 signature
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
public final class ProducerSignature {

    public static final byte VERSION = 1;

    private ProducerSignature() {
    }

    /** The length of a signature made with a key whose id has {@code keyIdLength} ASCII characters. */
    public static int encodedLength(int keyIdLength) {
        return 1 + 2 + keyIdLength + BrokerSeal.SIGNATURE_BYTES;
    }

    /** Signs a message for {@code queue} with the producer's key. */
    public static Bytes sign(SigningKey key, String queue, String producerId, long sequence, Headers headers,
                             Bytes payload) {
        byte[] statement = Canonical.producerStatement(queue, producerId, sequence, headers,
                Canonical.payloadDigest(payload));
        byte[] sig = key.sign(statement);
        byte[] id = key.id().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(encodedLength(id.length));
        b.put(VERSION).putShort((short) id.length).put(id).put(sig);
        return Bytes.copyOf(b.array());
    }

    /**
     * Checks a producer signature.
     *
     * @param keys the keys registered for the producer's principal
     * @throws IntegrityException if it is empty ({@code UNSIGNED}), malformed, made with a key
     *     not in {@code keys}, or does not match the message
     */
    public static void verify(Bytes signature, KeySet keys, String queue, String producerId, long sequence,
                              Headers headers, byte[] payloadDigest) {
        if (signature.isEmpty()) {
            throw new IntegrityException(IntegrityException.Reason.UNSIGNED, "the message has no producer signature");
        }
        ByteBuffer b = signature.asReadOnlyByteBuffer();
        String keyId;
        byte[] sig = new byte[BrokerSeal.SIGNATURE_BYTES];
        try {
            byte version = b.get();
            if (version != VERSION) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED,
                        "unknown producer signature version " + version);
            }
            byte[] id = new byte[b.getShort() & 0xFFFF];
            b.get(id);
            keyId = new String(id, StandardCharsets.US_ASCII);
            b.get(sig);
            if (b.hasRemaining()) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED,
                        "trailing bytes after the producer signature");
            }
        } catch (BufferUnderflowException e) {
            throw new IntegrityException(IntegrityException.Reason.MALFORMED, "the producer signature is truncated");
        }
        VerifyingKey key = keys.get(keyId).orElseThrow(() -> new IntegrityException(
                IntegrityException.Reason.UNKNOWN_KEY, "producer key '" + IntegrityException.printable(keyId) + "'"
                        + " is not registered for this principal"));
        byte[] statement = Canonical.producerStatement(queue, producerId, sequence, headers, payloadDigest);
        if (!key.verify(sig, statement)) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the producer signature (key " + keyId + ") does not match the message");
        }
    }
}
