"""What every artifact extractor and every record has in common.

An artifact is one kind of data (contacts, messages, WeChat, ...). Its module
declares the record it yields (a dataclass deriving from :class:`Record`), the
files it needs (:class:`FileSpec`), and a generator that turns those files into
records, live ones and recovered deleted ones (``deleted=True`` with their
provenance). It never writes anywhere: media go through the
:class:`ScanContext`, which copies them into the case.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from reclaim.vfs import Entry

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext

#: Apple's "Mac absolute time" epoch (CFAbsoluteTime 0).
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def text_or_empty(value: Any) -> str:
    """A column's value when it is text, else "" (a carved or damaged row can hold any type there)."""
    return value if isinstance(value, str) else ""


def from_apple_time(value: float | int | None) -> datetime | None:
    """A CFAbsoluteTime (seconds, or nanoseconds as iOS 11+ sms.db stores) as an aware UTC datetime."""
    if not value:  # None or 0: no date
        return None
    if value > 1e12 or value < -1e12:  # nanoseconds
        value /= 1e9
    try:
        return APPLE_EPOCH + timedelta(0, value)  # positional (days, seconds): quicker than seconds=
    except OverflowError:
        return None


def from_apple_time_safe(value: Any) -> datetime | None:
    """Like :func:`from_apple_time`, for values of any type (carved rows can hold anything)."""
    return from_apple_time(value) if type(value) in NUMBERS else None


#: The types of the numbers SQLite gives (a bool, which Python counts as an int, is none): ``type(v) in NUMBERS``.
NUMBERS = frozenset((int, float))


def from_unix_time(value: float | int | None) -> datetime | None:
    """Unix seconds (or milliseconds) as an aware UTC datetime."""
    if not value:  # None or 0: no date
        return None
    if value > 1e11 or value < -1e11:  # milliseconds
        value /= 1000
    try:
        return UNIX_EPOCH + timedelta(0, value)  # positional (days, seconds): quicker than seconds=
    except OverflowError:
        return None


def parse_iso(value: str | None) -> datetime | None:
    """A date written by :func:`iso` (or any ISO 8601 text) read back; ``None`` when empty or not a date."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z (the case store's and JSON's date format)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return _dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()  # what isoformat() gives, with Z, but faster


@dataclass(slots=True)
class MediaRef:
    """A media file of a record, stored content-addressed in the case (``media/<sha[:2]>/<sha>``).

    ``missing`` means the record points at a file that is not in the source (the
    phone may have cleared its cache): the record is kept, the file is listed as missing.
    ``preview`` is the sha256 of a browser-friendly copy (JPEG of a HEIC, WAV of a voice
    message) when one was made.
    """

    name: str
    sha256: str | None = None
    size: int = 0
    mime: str = "application/octet-stream"
    origin: str = ""  # domain/path in the source
    missing: bool = False
    preview: str | None = None
    preview_mime: str | None = None
    role: str = ""  # e.g. "hd", "full", "thumbnail", "avatar", "voice"
    note: str = ""


@dataclass(slots=True)
class Provenance:
    """Where a recovered (deleted) record was found inside its database."""

    area: str  # freeblock | unallocated | freelist | overflow | wal | wal-stale | journal | app ("Recently Deleted")
    page: int | None = None
    offset: int | None = None
    frame: int | None = None
    confidence: float = 1.0
    partial: bool = False

    @classmethod
    def of(cls, carved: Any) -> Provenance:
        """The provenance of a record recovered by :func:`reclaim.sqlite.carve`."""
        return cls(area=carved.area, page=carved.page, offset=carved.offset, frame=carved.frame,
                   confidence=carved.confidence, partial=carved.partial)


def carved_id(kind: str, carved: Any) -> str:
    """A record id for a carved row, stable within a case (its place in the file)."""
    where = f"{carved.area}:{carved.frame}" if carved.frame is not None else f"{carved.area}:{carved.page}"
    return f"{kind}:deleted:{where}:{carved.offset}" + (f":{carved.rowid}" if carved.rowid is not None else "")


@dataclass(kw_only=True)
class Record:
    """The common core of every record.

    ``id`` is stable within a case (e.g. ``sms:message:1234``), ``date`` is an aware
    UTC datetime, ``source`` is ``domain/path`` of the file it came from.
    Subclasses add their own fields; conversation-like kinds set ``chat``,
    ``sender``, ``direction`` and ``text`` so the shared transcript views work.
    """

    KIND: ClassVar[str] = ""

    id: str
    date: datetime | None = None
    deleted: bool = False
    source: str = ""
    provenance: Provenance | None = None

    # Projections used by the case store's index and full-text search. Subclasses
    # override them when their fields have other names. (Named ``record_label`` so that a
    # record may have a plain ``title`` field, as notes and events do.)
    def record_label(self) -> str:
        """A one-line label for lists (a contact's name, a note's title)."""
        legacy = getattr(type(self), "title", None)
        if callable(legacy):  # a subclass written against the older ``title()`` hook
            return str(legacy(self) or "")
        for name in ("name", "title", "subject"):
            value = getattr(self, name, None)
            if value and isinstance(value, str):
                return value
        return ""

    def search_text(self) -> str:
        """All the text a user might search for in this record."""
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name not in {"id", "source"}:
                parts.append(value)
            elif isinstance(value, list):
                parts.extend(str(v) for v in value if isinstance(v, str))
        return "\n".join(p for p in parts if p)

    def chat_key(self) -> str | None:
        """The conversation this record belongs to (for message-like kinds)."""
        value = getattr(self, "chat_id", None) or getattr(self, "chat", None)
        return str(value) if value else None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (the JSON Lines schema in docs/formats.md)."""
        return orjson.loads(self.to_json_bytes())

    def to_json_bytes(self) -> bytes:
        """The record as one line of JSON (UTF-8): what the case store keeps and exporters read."""
        body = _dumps(self, default=_json_default, option=_JSON_OPTIONS)
        kind = self.KIND
        prefix = _KIND_PREFIX.get(kind)
        if prefix is None:
            prefix = _KIND_PREFIX[kind] = b'{"kind":' + _dumps(kind) + b","
        return prefix + body[1:] if len(body) > 2 else prefix[:-1] + b"}"


_dumps = orjson.dumps
_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
_KIND_PREFIX: dict[str, bytes] = {}


class ShapedRows:
    """Records handed over in the form the case keeps them, for the kinds whose records are counted in
    millions (plain WeChat text, ordinary SMS and iMessages): *shaped* rows (see ``reclaim.case.store.SCHEMA``),
    each ``(kind, date, shape, deleted, chat key, sender, search text, n, v1 … v5)`` with the date in whole Unix
    seconds, or the same with the date in ISO 8601 and a ``v6`` (14 values), in order, many at a time, so
    that a million of them skip the record object, its JSON and the scan's loop. The case rebuilds each
    one's row and JSON from its shape; each extractor that makes them has a test checking the case they give
    against its record objects' (``tests/test_wechat_shaped.py``, ``tests/test_messages_shaped.py``)."""

    __slots__ = ("rows",)
    deleted = False  # what the scan counts: all live (recovered records come whole)

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows


def shape_literal(*parts: bytes) -> str:
    """JSON bytes as they stand in a shape's ``printf`` format (see :class:`ShapedRows`): a ``%`` doubled."""
    return b"".join(parts).decode().replace("%", "%%")


def _json_default(value: Any) -> Any:
    """What orjson does not serialise natively (bytes, sets, odd objects)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def to_jsonable(value: Any) -> Any:
    """Convert record values to JSON scalars, lists and objects."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file an artifact needs: a domain glob and a path glob, as in a backup manifest."""

    domain: str
    path: str
    required: bool = True


class NothingFound(Exception):
    """Raised by :meth:`Artifact.check` with the reason a kind has nothing in this source."""


class Artifact(ABC):
    """One kind of data. Subclasses live one per module in :mod:`reclaim.artifacts`."""

    #: Short machine name, also the ``--kinds`` value and the JSON Lines file name.
    kind: ClassVar[str]
    #: Human name for reports.
    title: ClassVar[str]
    #: The record class this artifact yields.
    record: ClassVar[type[Record]]
    #: The files it reads; the default :meth:`check` needs at least one to exist.
    files: ClassVar[tuple[FileSpec, ...]] = ()
    #: Why its files may be missing, in plain words, when that is known (shown before the paths looked for).
    absent: ClassVar[str] = ""
    #: Whether ``reclaim recover`` includes it without ``--kinds`` (the keychain is opt-in).
    default: ClassVar[bool] = True
    #: How records are shown: "chat" (conversation transcripts), "cards", "table", "gallery".
    view: ClassVar[str] = "table"
    #: Extra export formats beyond JSON Lines and CSV (e.g. "vcard", "ics", "html-bookmarks").
    formats: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: ScanContext) -> None:
        """Raise :class:`NothingFound` with a reason when the source holds nothing for this kind."""
        for spec in self.files:
            if next(ctx.fs.find(spec.domain, spec.path), None) is not None:
                return
        wanted = ", ".join(f"{s.domain}/{s.path}" for s in self.files) or "its files"
        why = f": {self.absent}" if self.absent else ""
        raise NothingFound(f"not in this source{why} (looked for {wanted})")

    def inputs(self, ctx: ScanContext) -> Iterator[Entry]:
        """The entries matching this artifact's file specs (regular files only)."""
        seen: set[tuple[str, str]] = set()
        for spec in self.files:
            for entry in ctx.fs.files(spec.domain, spec.path):
                key = (entry.domain, entry.path)
                if key not in seen:
                    seen.add(key)
                    yield entry

    def databases(self, ctx: ScanContext, table: str, column: str | None = None, *,
                  named: str | None = None) -> Iterator[Database]:
        """Each input (``named``: only those with that file name, for a kind that also reads other files) opened as
        a database, skipping (with a warning) those without ``table``/``column``.

        Schemas drift across iOS versions: a file without the table this kind reads is
        reported, not fatal, and the other files are still read.
        """
        for entry in self.inputs(ctx):
            if named is not None and entry.name != named:
                continue
            with ctx.database(entry) as db:
                if not db.has(table, column):
                    ctx.warn(f"{db.source}: no {table} table")
                    continue
                yield db

    @abstractmethod
    def extract(self, ctx: ScanContext) -> Iterator[Record]:
        """Yield every record, live and recovered; skip (and ``ctx.warn`` about) what cannot be parsed."""


@dataclass(slots=True)
class KindStatus:
    """What a scan found for one kind, shown in the report even when it is zero."""

    kind: str
    title: str
    live: int = 0
    deleted: int = 0
    reason: str = ""  # why nothing was found, or what went wrong
    warnings: list[str] = field(default_factory=list)
