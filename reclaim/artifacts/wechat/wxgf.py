"""WeChat's ``wxgf`` images: an HEVC picture in a small container, given a JPEG copy.

Newer WeChat versions store some photos and stickers as ``wxgf`` instead of JPEG. The
layout, as public converters read it (reclaim has no real WeChat file to check it
against; see docs/kinds/wechat.md for what is verified):

* ``wxgf`` (4 bytes), then one byte giving the header's length from the start of the
  file; the other header bytes are not interpreted;
* then partitions, each a 4-byte big-endian length followed by that many bytes of HEVC
  in Annex-B form (start codes ``00 00 00 01`` / ``00 00 01``; VPS, SPS, PPS, then the
  picture's slices).

A still picture is one partition holding most of the file. Animated stickers have
several partitions of similar size, alternating an alpha mask and a colour frame; the
copy made for them is the first colour frame. The original file is always kept: the
JPEG is a preview beside it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"wxgf"
#: A partition holding at least this share of the file is a still picture.
STILL_SHARE = 0.6
#: Pictures larger than this are not decoded (a damaged SPS must not allocate gigabytes).
MAX_PIXELS = 100_000_000
#: Files larger than this are not converted (WeChat's pictures are a few MB).
MAX_FILE = 64 << 20
_START_CODES = (b"\x00\x00\x00\x01", b"\x00\x00\x01")


@dataclass(frozen=True, slots=True)
class Partition:
    """One length-prefixed HEVC bitstream inside a wxgf file (``offset`` is where its start code is)."""

    offset: int
    size: int


def is_wxgf(head: bytes) -> bool:
    """Whether a file starts like a wxgf container."""
    return head.startswith(MAGIC)


def partitions(data: bytes) -> list[Partition]:
    """The HEVC partitions of a wxgf file, in file order (empty when there is none).

    A partition is a start code whose four preceding bytes give a length that fits in
    the file; the search goes on after its end. Four-byte start codes are looked for
    first, three-byte ones only when no partition starts with four.
    """
    if len(data) < 10 or not data.startswith(MAGIC):
        return []
    start = max(data[4], 5)
    for code in _START_CODES:
        found: list[Partition] = []
        pos = start
        while (index := data.find(code, pos)) >= 0:
            if index - 4 >= 5:
                size = int.from_bytes(data[index - 4 : index], "big")
                if 0 < size <= len(data) - index:
                    found.append(Partition(index, size))
                    pos = index + size
                    continue
            pos = index + 1
        if found:
            return found
    return []


def picture(data: bytes) -> Partition | None:
    """The partition to show: the still picture, or an animation's first colour frame."""
    parts = partitions(data)
    if not parts:
        return None
    largest = max(parts, key=lambda p: p.size)
    if len(parts) == 1 or largest.size >= STILL_SHARE * len(data):
        return largest
    return parts[1]  # animated: mask, frame, mask, frame, ...


def decode(bitstream: bytes) -> object | None:
    """The first picture of an HEVC Annex-B bitstream as a Pillow image (FFmpeg's decoder, through PyAV)."""
    import av

    codec = av.CodecContext.create("hevc", "r")
    try:
        # parse() holds back the last access unit until it is flushed with b""; decode(None) drains the decoder.
        for packet in [*codec.parse(bitstream), *codec.parse(b""), None]:
            for frame in codec.decode(packet):
                if frame.width * frame.height > MAX_PIXELS:
                    raise ValueError(f"picture too large ({frame.width}x{frame.height})")
                return frame.to_image()
    except av.error.FFmpegError as exc:
        raise ValueError(f"not decodable HEVC ({exc})") from exc
    return None


def to_jpeg(data: bytes, quality: int = 90) -> bytes | None:
    """A JPEG of a wxgf file's picture; ``None`` when it holds no HEVC picture (or is not wxgf)."""
    part = picture(data)
    if part is None:
        return None
    image = decode(data[part.offset : part.offset + part.size])
    if image is None:
        return None
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)  # type: ignore[attr-defined]
    return out.getvalue()


def jpeg_preview(path: Path) -> tuple[bytes, str] | None:
    """``ScanContext.media`` preview hook: the stored wxgf file's JPEG copy."""
    if path.stat().st_size > MAX_FILE:
        return None
    jpeg = to_jpeg(path.read_bytes())
    return (jpeg, "image/jpeg") if jpeg is not None else None
