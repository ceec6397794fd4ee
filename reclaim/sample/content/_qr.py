"""QR-code pictures for the sample backup (the links check must find them), drawn by a real encoder."""

from __future__ import annotations

import io

import segno
from PIL import Image, ImageDraw


def qr_screenshot(payload: str, caption: str = "", size: tuple[int, int] = (390, 560)) -> bytes:
    """A JPEG that looks like a forwarded screenshot: a light page with a QR code and a caption."""
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=3)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    page = Image.new("RGB", size, (246, 246, 246))
    page.paste(code, ((size[0] - code.width) // 2, 90))
    if caption:
        ImageDraw.Draw(page).text((24, 40), caption, fill=(40, 40, 40))
    out = io.BytesIO()
    page.save(out, "JPEG", quality=85)
    return out.getvalue()
