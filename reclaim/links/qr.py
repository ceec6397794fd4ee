"""Finding QR codes (and other 2-D codes) in images, and naming what their payloads are.

Decoding uses zxing-cpp, a maintained decoder that copes with rotation, skew and
small codes in large screenshots. JPEGs are decoded at reduced scale straight
from their DCT data, which makes phone photos several times faster to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_SIDE = 2400  # larger images are shrunk to this before decoding
MIN_SIDE = 1600  # second look: JPEGs decoded at the smallest DCT scale keeping at least this long side
QUICK_SIDE = 1000  # first look at big JPEGs
#: Looked for in every image.
QR_FAMILY = ("QRCode", "MicroQRCode", "RMQRCode", "Aztec")
#: Costlier detectors, run only on images up to this many pixels (screenshots, chat images, tickets),
#: so that checking a camera roll of 12 MP photos stays fast.
OTHER_2D = ("DataMatrix", "PDF417")
OTHER_2D_MAX_PIXELS = 4_000_000

#: WeChat, payment and other payloads people meet in QR codes, checked in order.
PAYLOAD_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^wxp://", re.I), "WeChat Pay payment code"),
    (re.compile(r"^https?://(wx\.tenpay\.com|payapp\.weixin\.qq\.com)/", re.I), "WeChat Pay page"),
    (re.compile(r"^https?://weixin\.qq\.com/g/", re.I), "WeChat group invite code"),
    (re.compile(r"^https?://weixin\.qq\.com/r/", re.I), "WeChat contact or official-account code"),
    (re.compile(r"^https?://u\.wechat\.com/", re.I), "WeChat contact code"),
    (re.compile(r"^https?://(wxaurl\.cn|mp\.weixin\.qq\.com/a/)|^#?小程序://", re.I), "WeChat mini program code"),
    (re.compile(r"^https?://mp\.weixin\.qq\.com/", re.I), "WeChat article"),
    (re.compile(r"^weixin://", re.I), "WeChat app link"),
    (re.compile(r"^https?://qr\.alipay\.com/|^alipays?://", re.I), "Alipay payment code"),
    (re.compile(r"^WIFI:", re.I), "Wi-Fi network settings"),
    (re.compile(r"^BEGIN:VCARD", re.I), "contact card"),
    (re.compile(r"^otpauth://", re.I), "two-factor authentication secret"),
    (re.compile(r"^(mailto|tel|sms|smsto):", re.I), "message or call"),
    (re.compile(r"^https?://", re.I), "web link"),
)


@dataclass(frozen=True, slots=True)
class Code:
    """One decoded code: its text, symbology and what kind of payload it is."""

    text: str
    format: str
    payload: str


def payload_type(text: str) -> str:
    """A plain name for what a code holds (WeChat Pay code, group invite, web link, ...)."""
    for pattern, name in PAYLOAD_TYPES:
        if pattern.search(text):
            return name
    return "text"


def decode_image(path: Path | str) -> list[Code]:
    """Every 2-D code in an image file (none when the file is not a readable image).

    Big JPEGs (phone photos) are first looked at from a quarter-scale decode, which is
    several times cheaper; only when a code is seen there but cannot be read is the
    picture decoded again at half scale.
    """
    from PIL import UnidentifiedImageError

    try:
        gray = _load_gray(path, QUICK_SIDE)
        if gray is None:
            return []
        results = _read(gray, errors=True)
        if any(not r.valid for r in results) and max(gray.size) < MIN_SIDE:
            sharper = _load_gray(path, MIN_SIDE)
            if sharper is not None:
                results = _read(sharper)
    except (UnidentifiedImageError, OSError, ValueError):
        return []
    return [Code(r.text, _format_name(r.format), payload_type(r.text)) for r in results if r.valid and r.text]


def _load_gray(path: Path | str, min_side: int) -> Any:
    from PIL import Image

    with Image.open(path) as img:
        if img.format == "JPEG":
            scale = max((k for k in (8, 4, 2, 1) if max(img.size) / k >= min_side), default=1)
            img.draft("L", (-(-img.size[0] // scale), -(-img.size[1] // scale)))
        gray = img.convert("L")
    if max(gray.size) > MAX_SIDE * 1.5:
        gray.thumbnail((MAX_SIDE, MAX_SIDE))
    return gray


def _read(gray: Any, errors: bool = False) -> list[Any]:
    import zxingcpp

    names = QR_FAMILY + (OTHER_2D if gray.size[0] * gray.size[1] <= OTHER_2D_MAX_PIXELS else ())
    formats = [getattr(zxingcpp.BarcodeFormat, name) for name in names if hasattr(zxingcpp.BarcodeFormat, name)]
    return list(zxingcpp.read_barcodes(gray, formats=formats, try_rotate=True, try_downscale=True, try_invert=False,
                                       return_errors=errors))


def _format_name(value: object) -> str:
    name = getattr(value, "name", None) or str(value)
    return name.rsplit(".", 1)[-1]


def _decode_job(item: tuple[str, str]) -> tuple[str, list[Code]]:
    key, path = item
    return key, decode_image(path)
