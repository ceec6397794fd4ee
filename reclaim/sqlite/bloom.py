"""A fixed-size Bloom filter: set membership in bounded memory.

The live pass remembers a fingerprint of every live record, every live rowid and every
live UNIQUE key. Held in Python sets that cost about 60 bytes per live row, which on a
multi-gigabyte WeChat shard is more memory than the file is worth. A Bloom filter answers
"certainly not seen" or "probably seen" from a bit array whose size is fixed when it is
created (bounded by :data:`MAX_BYTES`, whatever the input size). Callers that cannot
afford a false "probably seen" confirm it exactly (see :mod:`reclaim.sqlite.dedupe`).
"""

from __future__ import annotations

#: Upper bound of one filter's bit array (64 MiB: about 1e-5 false positives at 40 million keys).
MAX_BYTES = 64 << 20
#: Lower bound (small databases still get a filter with a negligible false-positive rate).
MIN_BYTES = 1 << 16
_PROBES = 4


class Bloom:
    """Bloom filter over hashable keys with ``4`` probes into a power-of-two bit array.

    ``nbytes`` is rounded up to a power of two and clamped to ``[MIN_BYTES, MAX_BYTES]``.
    With 64 bits per key the false-positive rate is about 1.3e-5, with 32 about 2.4e-4.
    """

    __slots__ = ("bits", "count", "mask")

    def __init__(self, nbytes: int) -> None:
        size = MIN_BYTES
        while size < nbytes and size < MAX_BYTES:
            size <<= 1
        self.bits = bytearray(size)
        self.mask = size * 8 - 1
        self.count = 0

    def add_hash(self, h: int) -> None:
        """Add a key given by its (well-mixed, 64-bit) hash, e.g. ``hash((a, b))``."""
        bits, mask = self.bits, self.mask
        a = h & mask
        step = ((h >> 32) | 1) & mask
        bits[a >> 3] |= 1 << (a & 7)  # the _PROBES (4) probes, unrolled
        a = (a + step) & mask
        bits[a >> 3] |= 1 << (a & 7)
        a = (a + step) & mask
        bits[a >> 3] |= 1 << (a & 7)
        a = (a + step) & mask
        bits[a >> 3] |= 1 << (a & 7)
        self.count += 1

    def has_hash(self, h: int) -> bool:
        """False if the key with hash ``h`` was certainly never added; True if it probably was."""
        bits, mask = self.bits, self.mask
        a = h & mask
        step = ((h >> 32) | 1) & mask
        for _ in range(_PROBES):
            if not bits[a >> 3] & (1 << (a & 7)):
                return False
            a = (a + step) & mask
        return True

    def add(self, key: object) -> None:
        """Add a hashable key."""
        self.add_hash(hash(key))

    def __contains__(self, key: object) -> bool:
        return self.has_hash(hash(key))


def size_for(input_bytes: int) -> int:
    """Filter size in bytes for ``input_bytes`` of database: one bit per input byte.

    A live row takes at least a few dozen bytes of file and two keys (record, rowid), so
    this gives dozens of bits per key (false positives below 1e-5) up to the 512 MB files
    where :data:`MAX_BYTES` caps it.
    """
    return input_bytes // 8
