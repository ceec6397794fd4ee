"""WCDB's zstd compression of the ``Message`` column (WeChat 8.0.5x and later).

Newer WeChat versions let WCDB compress message bodies with zstd, per row,
marked in ``WCDB_CT_Message`` as ``(compressed type << 1) | is_blob`` with type
1 = zstd with a trained dictionary and 2 = plain zstd. Plain frames always
decompress. Dictionary frames need the dictionary WeChat builds into the app;
it is not in the backup, so reclaim decodes them only when the user supplies it
(``--zstd-dict FILE`` or the ``RECLAIM_WECHAT_ZSTD_DICTS`` variable, files or
folders separated by the OS path separator). Otherwise the caller falls back to
the search index and the chat list, and says so on the message.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DICT_MAGIC = b"\x37\xa4\x30\xec"
ENV_VAR = "RECLAIM_WECHAT_ZSTD_DICTS"
#: Decompressed bodies larger than this are refused (a damaged frame must not eat memory).
MAX_OUTPUT = 64 << 20

_lock = threading.Lock()
_dicts: dict[int, zstandard.ZstdCompressionDict] = {}
_env_loaded: str | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    """The outcome of reading one ``Message`` value."""

    text: str | None
    #: "" (was not compressed), "zstd" (decoded), "zstd-dict" (decoded with a dictionary),
    #: or "unreadable" (needs a dictionary that is not available)
    how: str = ""
    dict_id: int = 0


def is_zstd(value: object) -> bool:
    """Whether a column value is a zstd frame."""
    return isinstance(value, bytes | bytearray | memoryview) and bytes(value[:4]) == ZSTD_MAGIC


def frame_dict_id(frame: bytes) -> int:
    """The dictionary id a zstd frame header asks for (0 = none)."""
    if len(frame) < 6 or frame[:4] != ZSTD_MAGIC:
        return 0
    descriptor = frame[4]
    size_flag = descriptor & 3
    single_segment = (descriptor >> 5) & 1
    pos = 5 + (0 if single_segment else 1)
    width = (0, 1, 2, 4)[size_flag]
    if width == 0 or len(frame) < pos + width:
        return 0
    return int.from_bytes(frame[pos : pos + width], "little")


def register_dictionary(data: bytes) -> int:
    """Make a zstd dictionary (file content) available to the reader; returns its id."""
    if data[:4] != DICT_MAGIC:
        raise ValueError("not a zstd dictionary (magic 37 A4 30 EC missing)")
    (dict_id,) = struct.unpack_from("<I", data, 4)
    with _lock:
        _dicts[dict_id] = zstandard.ZstdCompressionDict(data)
    return dict_id


def load_dictionaries(paths: list[Path]) -> list[int]:
    """Register every dictionary file in the given files and folders; returns the ids loaded."""
    ids = []
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for item in candidates:
            if item.stat().st_size > 16 << 20:
                continue
            data = item.read_bytes()
            if data[:4] == DICT_MAGIC:
                ids.append(register_dictionary(data))
    return ids


def _load_env() -> None:
    global _env_loaded
    value = os.environ.get(ENV_VAR, "")
    if value == _env_loaded:
        return
    _env_loaded = value
    load_dictionaries([Path(p) for p in value.split(os.pathsep) if p and Path(p).exists()])


def forget_dictionaries() -> None:
    """Drop every registered dictionary (tests)."""
    global _env_loaded
    with _lock:
        _dicts.clear()
        _env_loaded = None


def available(dict_id: int) -> bool:
    """Whether the dictionary with this id has been supplied."""
    _load_env()
    return dict_id in _dicts


def decode_message(value: object) -> Decoded:
    """A ``Message`` column value as text, decompressing zstd frames where possible."""
    if value is None:
        return Decoded("")
    if isinstance(value, str):
        return Decoded(value)
    raw = bytes(value)  # type: ignore[arg-type]
    if raw[:4] != ZSTD_MAGIC:
        return Decoded(raw.decode("utf-8", "replace"))
    dict_id = frame_dict_id(raw)
    if dict_id:
        _load_env()
        zdict = _dicts.get(dict_id)
        if zdict is None:
            return Decoded(None, "unreadable", dict_id)
        decompressor = zstandard.ZstdDecompressor(dict_data=zdict)
        how = "zstd-dict"
    else:
        decompressor = zstandard.ZstdDecompressor()
        how = "zstd"
    try:
        data = decompressor.decompress(raw, max_output_size=MAX_OUTPUT)
    except zstandard.ZstdError:
        return Decoded(None, "unreadable", dict_id)
    return Decoded(data.decode("utf-8", "replace"), how, dict_id)
