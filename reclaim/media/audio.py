"""Audio conversions: a WAV copy of voicemail (AMR-NB) and other audio browsers cannot play.

Decoding uses PyAV (the ``av`` package, FFmpeg's decoders in a wheel: AMR-NB,
AAC, ALAC, ...). The WAV is written with the standard :mod:`wave` module as 16-bit
PCM at the source's sample rate, mono unless the source is stereo. Without PyAV
the converters return ``None`` (the original file is still stored; there is just no
preview). WeChat's SILK voice messages are handled by :mod:`reclaim.media.silk`.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

#: WAV previews longer than this are not made (a voicemail is minutes; this bounds memory use).
MAX_SECONDS = 60 * 60


def available() -> bool:
    """Whether audio decoding (PyAV) is installed."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def to_wav(source: Path | bytes, max_seconds: int = MAX_SECONDS) -> bytes | None:
    """Decode any audio FFmpeg reads (AMR, AAC/M4A, CAF, ...) into a 16-bit PCM WAV.

    Returns ``None`` when PyAV is missing or the file has no audio stream; raises
    ``ValueError`` for data that is not decodable audio.
    """
    try:
        import av
    except ImportError:
        return None
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except av.error.FFmpegError as exc:
        raise ValueError(f"not decodable audio ({exc})") from exc
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or 8000
        channels = 2 if (stream.codec_context.channels or 1) > 1 else 1
        resampler = av.AudioResampler(format="s16", layout="stereo" if channels == 2 else "mono", rate=rate)
        out = io.BytesIO()
        limit = rate * max_seconds
        written = 0
        with wave.open(out, "wb") as wav:
            wav.setnchannels(channels)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            try:
                for frame in container.decode(stream):
                    for chunk in resampler.resample(frame):
                        wav.writeframes(bytes(chunk.planes[0])[: chunk.samples * 2 * channels])
                        written += chunk.samples
                    if written >= limit:
                        break
                for chunk in resampler.resample(None):
                    wav.writeframes(bytes(chunk.planes[0])[: chunk.samples * 2 * channels])
            except av.error.FFmpegError as exc:
                if written == 0:
                    raise ValueError(f"not decodable audio ({exc})") from exc
        return out.getvalue()


def wav_preview(path: Path) -> tuple[bytes, str] | None:
    """A :meth:`ScanContext.media` preview converter: the WAV copy of an audio file."""
    data = to_wav(path)
    return (data, "audio/wav") if data else None


def wav_seconds(data: bytes) -> float:
    """The duration of a WAV file in seconds."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
