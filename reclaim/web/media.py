"""Serving a case's media and HTML to the page without letting them act as the page.

Media come from inside someone's phone: an attachment named ``photo.jpg`` may be an
HTML file or an SVG with script. Only types a browser shows passively are served
inline; everything else is a download. Every response is sandboxed by its own
Content-Security-Policy, and files are looked up by SHA-256 in the case only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import FileResponse, Response

from reclaim.case.store import CaseReader
from reclaim.output import atomic_write_bytes

#: Types shown inline: images, audio and video the browser decodes itself (no SVG, no HTML, no PDF).
INLINE_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
    "audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg",
    "video/mp4", "video/quicktime", "video/webm",
}

MEDIA_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
HTML_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; font-src 'self' data:"
THUMB_SIZE = (360, 360)


def _disposition(kind: str, name: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def serve(case: CaseReader, sha: str, *, download: bool = False) -> FileResponse:
    """A media file of the case by its SHA-256 (404 for anything else)."""
    path = case.media_path(sha)
    if path is None:
        raise HTTPException(404, "no such media file in this case")
    info = case.media_info(sha) or {}
    mime = str(info.get("mime") or "application/octet-stream")
    name = str(info.get("name") or sha)
    inline = mime in INLINE_TYPES and not download
    return FileResponse(
        path,
        media_type=mime if inline else "application/octet-stream",
        headers={
            "content-disposition": _disposition("inline" if inline else "attachment", name),
            "content-security-policy": MEDIA_CSP,
            "cache-control": "private, max-age=86400",
        },
    )


def thumbnail(case: CaseReader, sha: str, cache: Path) -> Response:
    """A small JPEG of an image of the case (made once, kept in the session's temporary folder)."""
    path = case.media_path(sha)
    if path is None:
        raise HTTPException(404, "no such media file in this case")
    target = cache / f"{sha}.jpg"
    if not target.is_file():
        data = _make_thumbnail(path)
        if data is None:
            raise HTTPException(404, "no preview for this file")
        cache.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
    return FileResponse(target, media_type="image/jpeg",
                        headers={"content-security-policy": MEDIA_CSP, "cache-control": "private, max-age=86400"})


def _make_thumbnail(path: Path) -> bytes | None:
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    with contextlib.suppress(ImportError):
        import pillow_heif

        pillow_heif.register_heif_opener()
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMB_SIZE)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=82)
            return buffer.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def sandboxed_html(html: str) -> Response:
    """A record's HTML (a note) as a standalone document that can run nothing and load nothing remote."""
    document = (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<style>body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d232a;margin:16px;"
        "word-wrap:break-word}img{max-width:100%;height:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccd;padding:4px 8px}</style></head><body>" + html + "</body></html>"
    )
    return Response(document, media_type="text/html; charset=utf-8",
                    headers={"content-security-policy": HTML_CSP, "cache-control": "no-store"})
