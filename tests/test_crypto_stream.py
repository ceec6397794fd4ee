"""Streaming AES-256-CBC decryption: chunked reads, seeks, padding, truncation."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest

from reclaim.crypto.stream import BLOCK, DecryptingReader, decrypt_to, encrypt_bytes, open_decrypting
from reclaim.errors import CorruptFile

KEY = bytes(range(32))


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 4095, 65536, 1_000_003])
def test_random_access_matches_plaintext(tmp_path: Path, size: int) -> None:
    plain = random.Random(size).randbytes(size)
    path = tmp_path / "f"
    path.write_bytes(encrypt_bytes(KEY, plain))
    with open_decrypting(path, KEY, size) as stream:
        assert stream.read() == plain
        rng = random.Random(7)
        for _ in range(50):
            start = rng.randrange(0, size + 5)
            length = rng.randrange(0, 70_000)
            stream.seek(start)
            assert stream.read(length) == plain[start : start + length]
        tail = min(size, 10)
        stream.seek(-tail, os.SEEK_END)
        assert stream.read() == plain[size - tail :]
    out = io.BytesIO()
    assert decrypt_to(path, KEY, out) == size and out.getvalue() == plain


def test_wrong_key_and_truncation_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(encrypt_bytes(KEY, b"hello world"))
    with pytest.raises(CorruptFile, match=r"bad padding"):
        open_decrypting(path, bytes(32))
    path.write_bytes(encrypt_bytes(KEY, b"x" * 100)[:-3])
    with pytest.raises(CorruptFile, match=r"not a multiple of 16"):
        open_decrypting(path, KEY)


@pytest.mark.parametrize(("cut", "truncated"), [(3, False), (16, False), (17, True), (70_000, True)])
def test_a_file_cut_short_gives_what_is_left_of_it(tmp_path: Path, cut: int, truncated: bool) -> None:
    """Shorter than it should be (a copy that stopped): every whole block left is decrypted, by both ways of
    reading, instead of nothing; cut within its padding, it is all there."""
    plain = random.Random(cut).randbytes(100_000)  # (16 bytes of padding after it)
    data = encrypt_bytes(KEY, plain)[:-cut]
    readable = min(len(plain), len(data) - len(data) % BLOCK)
    with DecryptingReader(io.BytesIO(data), KEY, len(plain), "sms.db") as reader:  # type: ignore[arg-type]
        assert reader.truncated is truncated and reader.size == readable
        assert reader.readall() == plain[:readable]
    out = io.BytesIO()
    with DecryptingReader(io.BytesIO(data), KEY, len(plain)) as reader:  # type: ignore[arg-type]
        assert reader.copy_to(out) == readable and out.getvalue() == plain[:readable]
    whole = DecryptingReader(io.BytesIO(encrypt_bytes(KEY, plain)), KEY, len(plain))  # type: ignore[arg-type]
    assert not whole.truncated and whole.size == len(plain)


def test_unpadded_stream_uses_manifest_size(tmp_path: Path) -> None:
    plain = b"A" * 32
    data = encrypt_bytes(KEY, plain)[: 2 * BLOCK]  # drop the padding block
    with DecryptingReader(io.BytesIO(data), KEY, 32) as reader:  # type: ignore[arg-type]
        assert reader.readall() == plain


@pytest.mark.parametrize("start", [0, 5, 16, 1000])
def test_copy_to_from_any_position(tmp_path: Path, start: int) -> None:
    plain = random.Random(start).randbytes(300_001)
    data = encrypt_bytes(KEY, plain)
    reader = DecryptingReader(io.BytesIO(data), KEY, len(plain))  # type: ignore[arg-type]
    reader.seek(start)
    out = io.BytesIO()
    seen: list[int] = []
    assert reader.copy_to(out, seen.append) == len(plain) - start
    assert out.getvalue() == plain[start:] and sum(seen) == len(plain) - start
