"""Image conversions: a JPEG beside every HEIC, and small thumbnails for reports."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

_HEIF_READY = False


def _enable_heif() -> None:
    global _HEIF_READY
    if not _HEIF_READY:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _HEIF_READY = True


def to_jpeg(source: Path | bytes, quality: int = 90, max_side: int | None = None) -> bytes:
    """Decode any image Pillow (with HEIF support) reads and encode it as JPEG, EXIF orientation applied."""
    _enable_heif()
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
        img = ImageOps.exif_transpose(img)
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        if max_side:
            img.thumbnail((max_side, max_side))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        return out.getvalue()
