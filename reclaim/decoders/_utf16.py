"""UTF-16 offset helpers: Apple formats count NSString (UTF-16) units, Python counts code points."""

from __future__ import annotations

from bisect import bisect_left


def utf16_offsets(text: str) -> list[int]:
    """UTF-16 offset at the start of each code point of ``text``, plus the total length at the end."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        offsets[i] = total
        total += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = total
    return offsets


def to_code_point(offsets: list[int], utf16: int) -> int:
    """Map a UTF-16 offset to a code-point index (rounding up inside a surrogate pair, clamped to the end)."""
    return min(bisect_left(offsets, utf16), len(offsets) - 1)
