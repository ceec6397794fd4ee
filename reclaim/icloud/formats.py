"""Reading the files of an iCloud export: vCards, iCalendar, Apple's photo CSVs; streamed, never whole.

Shared by the privacy-export readers (:mod:`reclaim.artifacts.icloud_export`) and written
back by ``reclaim icloud download`` (:mod:`reclaim.icloud.download`), which lays out
what it fetches the way Apple's export does so one set of readers serves both.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import IO, BinaryIO

#: Apple's date format in ``Photo Details.csv``: ``Saturday June 4,2022 12:11 PM GMT``.
PHOTO_DATE_FORMATS = ("%A %B %d,%Y %I:%M %p GMT", "%A %B %d,%Y %H:%M %p GMT", "%A %B %d,%Y %H:%M GMT")
#: The columns of ``Photo Details.csv`` as Apple writes them.
PHOTO_DETAILS_COLUMNS = ("imgName", "fileChecksum", "favorite", "hidden", "deleted", "originalCreationDate",
                         "viewCount", "importDate")
#: Longest vCard or calendar component accepted (a card with a large photo stays well below).
MAX_COMPONENT = 32 << 20


def text_lines(stream: BinaryIO) -> IO[str]:
    """A binary stream as text lines (UTF-8, a BOM dropped, undecodable bytes replaced)."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


def split_components(stream: BinaryIO, kinds: tuple[str, ...]) -> Iterator[tuple[dict[str, str], str]]:
    """Yield ``(header, text)`` for each ``BEGIN:<kind>…END:<kind>`` block, one at a time.

    ``header`` holds the simple properties seen outside any block so far (``X-WR-CALNAME``,
    ``PRODID``); nested blocks (an alarm inside an event) stay inside their parent's text.
    """
    header: dict[str, str] = {}
    depth = 0
    current: list[str] = []
    size = 0
    kind = ""
    for raw in text_lines(stream):
        line = raw.rstrip("\r\n")
        upper = line.upper()
        if depth == 0:
            if upper.startswith("BEGIN:") and upper[6:].strip() in kinds:
                kind = upper[6:].strip()
                depth, current, size = 1, [line], len(line)
            elif ":" in line and not line.startswith((" ", "\t")) and not upper.startswith(("BEGIN:", "END:")):
                key, _, value = line.partition(":")
                header.setdefault(key.split(";", 1)[0].upper(), value)
            continue
        current.append(line)
        size += len(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
            if depth == 0 and upper[4:].strip() == kind:
                yield dict(header), "\r\n".join(current) + "\r\n"
                current = []
        if size > MAX_COMPONENT:  # an unterminated or absurd block: drop it and resynchronise
            depth, current, size = 0, [], 0


def parse_photo_date(value: str | None) -> datetime | None:
    """``Saturday June 4,2022 12:11 PM GMT`` → aware UTC datetime (``None`` when empty or unknown)."""
    if not value or value.strip().lower() in {"null", "none", ""}:
        return None
    value = " ".join(value.split())
    for fmt in PHOTO_DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def format_photo_date(value: datetime) -> str:
    """The inverse of :func:`parse_photo_date` (what the download writes into its CSV)."""
    value = value.astimezone(UTC)
    hour = value.hour % 12 or 12
    return f"{value:%A %B} {value.day},{value.year} {hour}:{value:%M} {'AM' if value.hour < 12 else 'PM'} GMT"


def yes(value: str | None) -> bool:
    return (value or "").strip().lower() in {"yes", "true", "1"}


def read_csv_rows(stream: BinaryIO) -> Iterator[dict[str, str]]:
    """Rows of a CSV with a header line, streamed (keys are the header's names)."""
    yield from csv.DictReader(text_lines(stream))


def read_csv_column(stream: BinaryIO) -> Iterator[str]:
    """The values of a one-column CSV with a header (``Albums/<name>.csv``: its photos' file names)."""
    reader = csv.reader(text_lines(stream))
    next(reader, None)
    for row in reader:
        if row and row[0].strip():
            yield row[0].strip()


_CHUNK = re.compile(r"^(.*[^\d\s_-])\d+$")


def album_names(stems: list[str]) -> dict[str, str]:
    """Album CSV stem → album name, merging the chunks Apple splits big albums into (``Trip1``, ``Trip2``).

    A trailing number is taken for a chunk number only when another file of the same
    folder has the same name with another number (or none), so "Summer 2022" and a lone
    "Q1" keep their names.
    """
    bases: dict[str, list[str]] = {}
    for stem in stems:
        match = _CHUNK.match(stem)
        if match:
            bases.setdefault(match.group(1), []).append(stem)
    out = {}
    for stem in stems:
        match = _CHUNK.match(stem)
        if match and (len(bases[match.group(1)]) > 1 or match.group(1) in stems):
            out[stem] = match.group(1)
        else:
            out[stem] = stem
    return out


def as_utc(value: object) -> tuple[datetime | None, bool]:
    """An iCalendar date/datetime as (aware UTC datetime, all-day?); floating times are taken as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC), False
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC), True
    return None, False


def duration_minutes(value: object) -> int | None:
    """An alarm trigger (a negative duration before the event) as minutes before it."""
    if isinstance(value, timedelta):
        return int(-value.total_seconds() // 60)
    return None


# -- writing (what ``reclaim icloud download`` produces for contacts, calendars and reminders) -----


def ical_escape(value: str) -> str:
    """A TEXT value escaped for iCalendar and vCard (backslash, comma, semicolon, new lines)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """One content line folded at 75 octets (RFC 5545 §3.1, RFC 6350 §3.2), ending in CRLF."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(len(data), start + limit)
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts) + "\r\n"


def ical_utc(value: datetime) -> str:
    """An aware datetime as an iCalendar UTC DATE-TIME (``20240615T130000Z``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
