"""A Bloom filter: set membership in bounded memory.

The live pass remembers a fingerprint of every live record, every live rowid and every
live UNIQUE key. Held in Python sets that cost about 60 bytes per live row, which on a
multi-gigabyte WeChat shard is more memory than the file is worth. A Bloom filter answers
"certainly not seen" or "probably seen" from bit arrays of 16-32 bytes per key whose
total is capped by :data:`MAX_BYTES`, whatever the input size. Callers that cannot
afford a false "probably seen" confirm it exactly (see :mod:`reclaim.sqlite.dedupe`).
"""

from __future__ import annotations

import zlib
from array import array

#: Upper bound of all of one filter's bit arrays together (then the false-positive rate rises).
MAX_BYTES = 64 << 20
#: Lower bound (small databases still get a filter with a negligible false-positive rate).
MIN_BYTES = 1 << 16
#: Bits per key of an array before a new, twice larger one is started.
BITS_PER_KEY = 128
_M64 = (1 << 64) - 1


#: For 12 hash bits, the mask of the two bit positions (6 bits each) they select.
_PAIRS = [(1 << (v & 63)) | (1 << (v >> 6)) for v in range(4096)]


def _bits(x: int) -> int:
    """The 6 bits a key sets in its word, from 36 hash bits (disjoint from the word index bits)."""
    return _PAIRS[x & 4095] | _PAIRS[(x >> 12) & 4095] | _PAIRS[(x >> 24) & 4095]


class Bloom:
    """Scalable blocked Bloom filter over hashable keys: 6 bits in one 64-bit word per key.

    One word per key (instead of six scattered bits) makes an insert a single array
    update, which matters in the live pass (two keys per live row). Keys go into the
    newest bit array; when it holds one key per :data:`BITS_PER_KEY` bits a new one twice
    as large is started, so the false-positive rate stays below 1e-5 per array (measured
    8e-6 at 128 bits per key, 5e-5 at 64) whatever the number of keys. Memory is 16-32
    bytes per key until all arrays together reach :data:`MAX_BYTES`; past that the newest
    array keeps filling and its false-positive rate rises (about 1e-4 at 40 bits per key).
    ``nbytes`` sizes the first array.
    """

    __slots__ = ("arrays", "count", "room", "total")

    def __init__(self, nbytes: int) -> None:
        self.arrays: list[tuple[array, int]] = []
        self.count = 0
        self.total = 0
        self.room = 0
        self._grow(max(MIN_BYTES, min(nbytes, MAX_BYTES)))

    def _grow(self, nbytes: int) -> None:
        size = MIN_BYTES
        while size < nbytes:
            size <<= 1
        words = array("Q", bytes(size))
        self.arrays.append((words, len(words) - 1))
        self.total += size
        self.room = size * 8 // BITS_PER_KEY

    def add_hash(self, h: int) -> None:
        """Add a key given by its (well-mixed, 64-bit) hash, e.g. ``hash((a, b))``."""
        self.add_hashes((h,))

    def add_hashes(self, hashes: list[int] | tuple[int, ...]) -> None:
        """Add many keys by their hashes (one call per page in the live pass)."""
        if self.room < len(hashes) and self.total * 3 <= MAX_BYTES:
            self._grow(max(self.total * 2, len(hashes) * BITS_PER_KEY // 8))
        words, mask = self.arrays[-1]
        pairs = _PAIRS
        for h in hashes:
            h &= _M64
            x = h >> 28
            words[h & mask] |= pairs[x & 4095] | pairs[(x >> 12) & 4095] | pairs[(x >> 24) & 4095]
        self.count += len(hashes)
        self.room -= len(hashes)

    def has_hash(self, h: int) -> bool:
        """False if the key with hash ``h`` was certainly never added; True if it probably was."""
        h &= _M64
        bits = _bits(h >> 28)
        for words, mask in self.arrays:  # noqa: SIM110 (a loop is faster than any() here)
            if words[h & mask] & bits == bits:
                return True
        return False

    def add(self, key: object) -> None:
        """Add a key (anything with a stable ``repr``: tuples of str, bytes, int, float, None)."""
        self.add_hash(stable_hash(key))

    def __contains__(self, key: object) -> bool:
        return self.has_hash(stable_hash(key))

    @property
    def nbytes(self) -> int:
        """Memory held by the bit arrays."""
        return self.total


def stable_hash(key: object) -> int:
    """A hash of ``repr(key)`` that is the same in every run (Python's str hash is not)."""
    r = repr(key).encode("utf-8", "surrogatepass")
    return hash((zlib.crc32(r), zlib.adler32(r), len(r)))


def size_for(input_bytes: int) -> int:
    """First bit array for ``input_bytes`` of database: one bit per two input bytes.

    That fits a typical iOS table (a few hundred bytes per row, two keys per row) in one
    array; dense tables of tiny rows make the filter grow (see :class:`Bloom`).
    """
    return input_bytes // 16
