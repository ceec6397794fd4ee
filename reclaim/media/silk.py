"""WeChat and QQ voice messages (SILK v3, sometimes AMR-NB) as WAV files a browser can play.

WeChat stores each voice message as Tencent's SILK v3 stream: an optional 0x02
byte, the ``#!SILK_V3`` magic, then length-prefixed frames, decoded to 16-bit
mono PCM at 24 kHz. A few versions wrote AMR-NB instead (first byte 0x0C, the
``#!AMR`` magic left out). SILK is decoded with ``silk-python`` (``pysilk``),
AMR-NB (its magic restored) with FFmpeg's decoder through :mod:`reclaim.media.audio`;
without PyAV an AMR voice message stays a proper ``.amr`` file that common players open.
"""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

from reclaim.media import audio

SILK_MAGIC = b"#!SILK_V3"
AMR_MAGIC = b"#!AMR\n"
#: WeChat decodes its voice messages at 24 kHz mono.
SILK_RATE = 24000

__all__ = [
    "AMR_MAGIC",
    "SILK_MAGIC",
    "SILK_RATE",
    "audio_kind",
    "fix_amr",
    "silk_frame_count",
    "silk_to_pcm",
    "to_wav",
    "wav_preview",
    "wav_seconds",
]


def audio_kind(head: bytes) -> str:
    """``"silk"``, ``"amr"`` or ``""`` from a voice file's first bytes."""
    if head.startswith(SILK_MAGIC) or head[1:].startswith(SILK_MAGIC):
        return "silk"
    if head.startswith(AMR_MAGIC[:5]) or head[:1] == b"\x0c":
        return "amr"
    return ""


def silk_to_pcm(data: bytes, rate: int = SILK_RATE) -> bytes:
    """Decode a SILK v3 stream (with or without WeChat's leading 0x02) to 16-bit mono PCM.

    Raises ``ValueError`` when the stream is not SILK or does not decode.
    """
    import pysilk

    if data[:1] == b"\x02":
        data = data[1:]
    if not data.startswith(SILK_MAGIC):
        raise ValueError("not a SILK v3 stream")
    out = io.BytesIO()
    try:
        pysilk.decode(io.BytesIO(data), out, rate)
    except pysilk.SilkError as exc:  # damaged frames: keep what decoded so far if anything
        if not out.getvalue():
            raise ValueError(f"SILK stream does not decode ({exc})") from exc
    return out.getvalue()


def _wav_bytes(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buf.getvalue()


def fix_amr(data: bytes) -> bytes:
    """An AMR-NB stream with its ``#!AMR`` magic (WeChat leaves it out)."""
    return data if data.startswith(AMR_MAGIC) else AMR_MAGIC + data


def to_wav(data: bytes) -> tuple[bytes, str] | None:
    """A browser-friendly copy of a voice file: ``(WAV bytes, "audio/wav")`` for SILK and AMR-NB; for AMR
    that cannot be decoded here (no PyAV, or not decodable), ``(AMR bytes, "audio/amr")`` when its magic had to
    be restored; ``None`` for anything else."""
    kind = audio_kind(data[:16])
    if kind == "silk":
        return _wav_bytes(silk_to_pcm(data), SILK_RATE), "audio/wav"
    if kind == "amr":
        amr = fix_amr(data)
        try:
            wav = audio.to_wav(amr)
        except ValueError:
            wav = None
        if wav:
            return wav, "audio/wav"
        return (amr, "audio/amr") if not data.startswith(AMR_MAGIC) else None
    return None


def wav_preview(path: Path) -> tuple[bytes, str] | None:
    """The ``preview=`` converter for :meth:`ScanContext.media`: a voice file on disk to WAV/AMR."""
    with open(path, "rb") as handle:
        data = handle.read()  # voice messages are at most 60 s: a few tens of KiB
    return to_wav(data)


def wav_seconds(data: bytes) -> float:
    """The duration of a WAV file in seconds."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def silk_frame_count(data: bytes) -> int:
    """How many 20 ms frames a SILK stream holds (a duration estimate without decoding)."""
    pos = data.find(SILK_MAGIC)
    if pos < 0:
        return 0
    pos += len(SILK_MAGIC)
    count = 0
    while pos + 2 <= len(data):
        (size,) = struct.unpack_from("<h", data, pos)
        if size <= 0:
            break
        pos += 2 + size
        count += 1
    return count
