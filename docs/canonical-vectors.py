#!/usr/bin/env python3
"""Known-answer vectors for the canonical encodings of docs/security-model.md ("The canonical
encoding, byte by byte"), computed from that description alone: hashlib for SHA-256 and, for the
signature, the `cryptography` package (RFC 8032 Ed25519). The broker's own code is not used; the
unit tests of broker-protocol (CanonicalVectorsTest) check the Java code against the output.

Run: python3 docs/canonical-vectors.py
"""
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def sha256(b):
    return hashlib.sha256(b).digest()


def u16(v):
    return struct.pack('>H', v)


def u32(v):
    return struct.pack('>I', v)


def u64(v):
    return struct.pack('>Q', v)


def i64(v):
    return struct.pack('>q', v)


def string(s):
    b = s.encode('utf-8')
    assert len(b) <= 0xFFFF
    return u16(len(b)) + b


def blob(b):
    return u32(len(b)) + b


def content_digest(headers, payload, producer_signature):
    out = b'SB-CONTENT-1' + u16(len(headers))
    for key, value in headers:
        out += string(key) + blob(value)
    return sha256(out + sha256(payload) + blob(producer_signature))


def leaf(queue, offset, timestamp, principal, producer_id, sequence, content):
    return sha256(b'\x00' + b'SB-MESSAGE-1' + string(queue) + u64(offset) + i64(timestamp)
                  + string(principal) + string(producer_id) + u64(sequence) + content)


def node(left, right):
    return sha256(b'\x01' + left + right)


def split(n):
    """RFC 6962 section 2.1: the largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node(root(leaves[:k]), root(leaves[k:]))


def path(m, leaves):
    """RFC 6962 section 2.1.1: the inclusion proof of leaf m, from the leaf up."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [root(leaves[k:])]
    return path(m - k, leaves[k:]) + [root(leaves[:k])]


def fold(leaf_hash, index, size, proof):
    """RFC 9162 section 2.1.3.2, as docs/security-model.md step 3 words it."""
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        assert sn != 0
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


def statement(key_id, audit_position, tree_size, tree_root):
    return b'SB-BATCH-1' + string(key_id) + u64(audit_position) + u32(tree_size) + tree_root


def show(name, value):
    h = value.hex()
    lines = [h[i:i + 64] for i in range(0, len(h), 64)]
    print(f'{name:<18} = {lines[0]}')
    for line in lines[1:]:
        print(' ' * 21 + line)


# contentDigest
c1 = content_digest([], b'hello', b'')
c2 = content_digest([('content-type', b'text/plain'), ('schl\u00fcssel', bytes([0x00, 0x01, 0xfe, 0xff]))],
                    b'payload with headers', bytes([0xde, 0xad, 0xbe, 0xef]))
show('contentDigest C1', c1)
show('contentDigest C2', c2)

# leaf and node
l1 = leaf('orders', 42, 1_700_000_000_000, 'alice', '', 0, c1)
l2 = leaf('bestellungen-\u00fc', 2 ** 64 - 1, -1, 'bob@example', 'p-0123456789abcdef', 2 ** 63, c2)
show('leaf L1', l1)
show('leaf L2', l2)
show('node(L1, L2)', node(l1, l2))

# the batch: message i of 0..4
batch = [leaf('orders', 100 + i, 1_700_000_000_000 + i, 'alice', 'p-1', i + 1,
              content_digest([], f'message {i}'.encode(), b'')) for i in range(5)]
for i, m in enumerate(batch):
    show(f'leaf M{i}', m)
for n in (1, 2, 3, 5):
    show(f'root of M0..M{n - 1}', root(batch[:n]))
proof = path(2, batch)
for i, p in enumerate(proof):
    show(f'proof of M2 [{i}]', p)
for n in range(1, 6):
    for m in range(n):
        assert fold(batch[m], m, n, path(m, batch[:n])) == root(batch[:n])

# statement and signature: RFC 8032 section 7.1, TEST 1 key
seed = bytes.fromhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
key = Ed25519PrivateKey.from_private_bytes(seed)
public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
assert public.hex() == 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
key_id = sha256(public).hex()[:16]
print(f'{"key id":<18} = {key_id}')
s = statement(key_id, 12345, 5, root(batch))
show('statement', s)
show('signature', key.sign(s))
