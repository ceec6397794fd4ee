"""Streaming AES-256-CBC decryption of backup files (zero IV, PKCS#7 padding).

Each file of an encrypted backup is AES-256-CBC with its own key and a zero IV.
:class:`DecryptingReader` decrypts lazily, chunk by chunk, and seeks: decrypting block
``i`` only needs ciphertext block ``i - 1`` as its IV, so a SQLite carver or a zip
reader can jump around a 4 GB file without reading it all. The plaintext size is taken
from the padding of the last block and checked against the manifest's size.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from reclaim.errors import CorruptFile

log = logging.getLogger(__name__)

BLOCK = 16
ZERO_IV = bytes(BLOCK)
#: Read size of bulk decryption (large buffers keep OpenSSL at full speed).
CHUNK = 8 << 20


def _decryptor(key: bytes, iv: bytes):
    return Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()


def decrypt_bytes(key: bytes, data: bytes, *, unpad: bool = True) -> bytes:
    """Decrypt a small buffer (AES-CBC, zero IV), removing PKCS#7 padding when asked."""
    if len(data) % BLOCK:
        raise CorruptFile(f"ciphertext length {len(data)} is not a multiple of 16")
    plain = _decryptor(key, ZERO_IV).update(data)
    if unpad and plain:
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CorruptFile("bad padding (wrong key or damaged file)")
        plain = plain[:-pad]
    return plain


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """AES-256-CBC, zero IV, PKCS#7 padded: how backups store files (for the sample writer)."""
    pad = BLOCK - len(data) % BLOCK
    enc = Cipher(algorithms.AES(key), modes.CBC(ZERO_IV)).encryptor()
    return enc.update(data + bytes([pad]) * pad) + enc.finalize()


class Encryptor:
    """Incremental AES-256-CBC/PKCS#7 encryption for writing large files in chunks."""

    def __init__(self, key: bytes) -> None:
        self._ctx = Cipher(algorithms.AES(key), modes.CBC(ZERO_IV)).encryptor()
        self._tail = b""

    def update(self, data: bytes) -> bytes:
        data = self._tail + data
        cut = len(data) - len(data) % BLOCK
        self._tail = data[cut:]
        return self._ctx.update(data[:cut])

    def finalize(self) -> bytes:
        pad = BLOCK - len(self._tail)
        return self._ctx.update(self._tail + bytes([pad]) * pad) + self._ctx.finalize()


class DecryptingReader(io.RawIOBase):
    """A seekable, read-only plaintext view of an AES-256-CBC (zero IV) encrypted file.

    ``raw`` is the ciphertext (a seekable binary file, owned and closed by the reader).
    ``expected_size`` is the manifest's size: a mismatch with the padding is logged and
    the padding wins, since it is what the bytes say. ``padded=False`` exposes every
    decrypted byte (Manifest.db is sometimes stored without padding).
    """

    def __init__(
        self, raw: BinaryIO, key: bytes, expected_size: int | None = None, name: str = "", *, padded: bool = True
    ) -> None:
        super().__init__()
        self._raw = raw
        self._key = key
        self._name = name
        raw.seek(0, os.SEEK_END)
        self._cipher_len = raw.tell()
        whole_blocks = self._cipher_len - self._cipher_len % BLOCK
        #: Whether the file is shorter than the manifest says (a copy that stopped): what is there is read.
        self.truncated = expected_size is not None and whole_blocks < expected_size
        if self.truncated:
            log.warning("%s: cut short (%d of %d bytes or more): only what is there is read", name,
                        self._cipher_len, expected_size)
            self._cipher_len = self._size = whole_blocks  # (its padding went with its end)
        elif self._cipher_len % BLOCK:
            if expected_size is None:
                raise CorruptFile(
                    f"encrypted file is {self._cipher_len} bytes, not a multiple of 16 (truncated?)", name or None
                )
            log.warning("%s: cut short after its content (%d bytes): the manifest size is used", name,
                        self._cipher_len)
            self._cipher_len, self._size = whole_blocks, expected_size
        elif not padded:
            self._size = self._cipher_len
        else:
            try:
                self._size = self._plain_size()
            except CorruptFile:
                # Some writers leave the last block unpadded, and a damaged last block loses its padding: trust the
                # manifest if it fits (a size that is a multiple of 16 was padded by a whole block).
                if expected_size is None or not self._cipher_len - BLOCK <= expected_size <= self._cipher_len:
                    raise
                log.warning("%s: no valid padding, using the manifest size %d", name, expected_size)
                self._size = expected_size
            if expected_size is not None and expected_size != self._size:
                log.warning("%s: manifest says %d bytes, padding says %d", name, expected_size, self._size)
        self._pos = 0
        self._ctx = None  # decryptor positioned at self._ctx_pos
        self._ctx_pos = -1
        self._cbuf = bytearray()
        self._pbuf = bytearray()

    @property
    def size(self) -> int:
        """Plaintext size."""
        return self._size

    def _plain_size(self) -> int:
        if self._cipher_len == 0:
            return 0
        last = self._cipher_len - BLOCK
        if last >= BLOCK:
            self._raw.seek(last - BLOCK)
            iv_block = self._raw.read(2 * BLOCK)
            iv, block = iv_block[:BLOCK], iv_block[BLOCK:]
        else:
            self._raw.seek(0)
            iv, block = ZERO_IV, self._raw.read(BLOCK)
        plain = _decryptor(self._key, iv).update(block)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CorruptFile("bad padding (wrong key or damaged file)", self._name or None)
        return self._cipher_len - pad

    # io.RawIOBase -----------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"bad whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def _position(self, block_start: int) -> None:
        """Make the decryptor ready to decrypt the ciphertext starting at ``block_start``."""
        if self._ctx is not None and self._ctx_pos == block_start:
            return
        if block_start == 0:
            iv = ZERO_IV
            self._raw.seek(0)
        else:
            self._raw.seek(block_start - BLOCK)
            iv = self._raw.read(BLOCK)
        self._ctx = _decryptor(self._key, iv)
        self._ctx_pos = block_start

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        start = self._pos - self._pos % BLOCK
        skip = self._pos - start
        end = self._pos + want
        end_block = min(self._cipher_len, end + (-end) % BLOCK)
        nbytes = end_block - start
        self._position(start)
        if len(self._cbuf) < nbytes:
            self._cbuf = bytearray(nbytes)
            self._pbuf = bytearray(nbytes + BLOCK)
        cview = memoryview(self._cbuf)[:nbytes]
        got = 0
        while got < nbytes:
            n = self._raw.readinto(cview[got:])
            if not n:
                raise CorruptFile("encrypted file ended early", self._name or None)
            got += n
        assert self._ctx is not None
        self._ctx.update_into(cview, self._pbuf)
        self._ctx_pos = end_block
        memoryview(buffer)[:want] = memoryview(self._pbuf)[skip : skip + want]
        self._pos += want
        return want

    def copy_to(self, out: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
        """Write the rest of the plaintext to ``out`` with large buffers and no extra copy.

        The fast path of ``extract``: ciphertext is read into one buffer and decrypted
        straight into another, which is written as is.
        """
        start = self._pos - self._pos % BLOCK
        skip = self._pos - start
        self._position(start)
        assert self._ctx is not None
        cbuf = bytearray(CHUNK)
        pbuf = bytearray(CHUNK + BLOCK)
        cview, pview = memoryview(cbuf), memoryview(pbuf)
        remaining = self._size - self._pos
        offset = start
        total = 0
        while remaining > 0:
            n = self._raw.readinto(cview[:min(CHUNK, self._cipher_len - offset)])  # (whole blocks only)
            if not n:
                raise CorruptFile("encrypted file ended early", self._name or None)
            if n % BLOCK:  # a short read mid-block: complete the block
                while n % BLOCK:
                    more = self._raw.readinto(cview[n : n + BLOCK - n % BLOCK])
                    if not more:
                        raise CorruptFile("encrypted file ended early", self._name or None)
                    n += more
            got = self._ctx.update_into(cview[:n], pbuf)
            offset += n
            piece = pview[skip : min(got, skip + remaining)]
            skip = 0
            out.write(piece)
            remaining -= len(piece)
            total += len(piece)
            if progress is not None:
                progress(len(piece))
        self._ctx_pos = offset
        self._pos = self._size
        return total

    def readall(self) -> bytes:
        out = bytearray(max(0, self._size - self._pos))
        view = memoryview(out)
        got = 0
        while got < len(out):
            n = self.readinto(view[got : got + CHUNK])
            if not n:
                break
            got += n
        return bytes(out[:got])

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_decrypting(
    path: str | os.PathLike[str], key: bytes, expected_size: int | None = None, name: str = ""
) -> io.BufferedReader:
    """A buffered, seekable plaintext stream of an encrypted backup file."""
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 - owned by the reader
    try:
        reader = DecryptingReader(raw, key, expected_size, name)  # type: ignore[arg-type]
    except BaseException:
        raw.close()
        raise
    return io.BufferedReader(reader, buffer_size=1 << 16)


def decrypt_to(path: str | os.PathLike[str], key: bytes, out: BinaryIO, *, name: str = "", progress=None) -> int:
    """Decrypt a whole file into ``out`` with large buffers (the fast path of ``extract``).

    Returns the plaintext size. ``progress(n)`` is called with byte counts as they are written.
    """
    with open(path, "rb", buffering=0) as raw:
        reader = DecryptingReader(raw, key, None, name)  # type: ignore[arg-type]
        return reader.copy_to(out, progress)
