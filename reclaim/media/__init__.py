"""Media helpers shared by the artifacts: recognising file types and making browser-friendly previews."""

from __future__ import annotations

import mimetypes

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF8", 0, "image/gif"),
    (b"RIFF", 0, "audio/wav"),  # refined below for WEBP
    (b"#!AMR", 0, "audio/amr"),
    (b"#!SILK_V3", 0, "audio/silk"),
    (b"\x02#!SILK_V3", 0, "audio/silk"),
    (b"%PDF", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"bplist00", 0, "application/x-plist"),
    (b"SQLite format 3\x00", 0, "application/vnd.sqlite3"),
    (b"caff", 0, "audio/x-caf"),
    (b"ID3", 0, "audio/mpeg"),
)

_FTYP_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heic",
    b"msf1": "image/heic",
    b"hevc": "image/heic",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"isom": "video/mp4",
    b"iso2": "video/mp4",
    b"mp41": "video/mp4",
    b"mp42": "video/mp4",
    b"avc1": "video/mp4",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
}


def sniff_mime(head: bytes, name: str = "") -> str:
    """The MIME type of a file from its first bytes (hash-named backup files have no extension)."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    for magic, offset, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if mime == "audio/wav" and head[8:12] == b"WEBP":
                return "image/webp"
            return mime
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def extension_for(mime: str) -> str:
    """A file extension (with the dot) for a MIME type, for naming exported files."""
    special = {"image/heic": ".heic", "audio/silk": ".silk", "audio/amr": ".amr", "image/jpeg": ".jpg",
               "video/quicktime": ".mov", "audio/x-caf": ".caf", "application/x-plist": ".plist",
               "application/vnd.sqlite3": ".sqlite", "audio/mp4": ".m4a"}
    return special.get(mime) or mimetypes.guess_extension(mime) or ""
