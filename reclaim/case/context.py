"""What an artifact extractor gets to work with during a scan.

The context is the artifact's only door to the outside: it reads the source
through the virtual file system, opens databases as private read-only copies
(WAL replayed, deleted records carvable), and stores media in the case.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from reclaim.artifacts.base import MediaRef
from reclaim.case.store import MediaStore
from reclaim.errors import CorruptFile, is_bad_text, is_corruption
from reclaim.media import sniff_mime
from reclaim.vfs import Entry, VirtualFS

if TYPE_CHECKING:
    from reclaim.sqlite import CarvedRecord

log = logging.getLogger("reclaim.scan")


class ScanCancelled(Exception):
    """The user asked to stop the scan."""


@dataclass
class ScanOptions:
    """Choices that change what a scan extracts."""

    #: Passwords to try on password-protected notes (never stored in the case).
    note_passwords: list[str] = field(default_factory=list, repr=False)
    #: Carve deleted records from the databases (on by default: it is the point of reclaim).
    recover_deleted: bool = True
    #: Copy media (photos, attachments, voice) into the case.
    media: bool = True


class Database:
    """A source database opened read-only: its own file (when no WAL goes with it) or a private copy
    (with its ``-wal``/``-journal``).

    ``conn`` sees the committed state (WAL replayed); :meth:`carve` yields the
    deleted records still present in the files' free space, WAL and journal.
    """

    def __init__(self, entry: Entry, path: Path, *, recover_deleted: bool = True, immutable: bool = False,
                 repaired: Path | None = None) -> None:
        """``immutable``: ``path`` is the source's own file (no WAL beside it), opened so that SQLite never
        writes anything, not even a lock or a ``-shm``. ``repaired``: a readable copy of a damaged ``path``
        (:func:`reclaim.sqlite.repair.rebuild`), which ``conn`` queries; deleted records still come from
        ``path``. See :meth:`lenient` for text that is not UTF-8."""
        self.entry = entry
        self.recover_deleted = recover_deleted
        self.path = path
        self.in_place = immutable
        self.source = f"{entry.domain}/{entry.path}"
        read, fixed = repaired or path, immutable or repaired is not None
        self.conn = sqlite3.connect(f"{read.resolve().as_uri()}?mode=ro{'&immutable=1' if fixed else ''}", uri=True)
        self.conn.row_factory = sqlite3.Row
        self._columns: dict[str, set[str]] = {}
        #: Text values that were not valid UTF-8 (read with U+FFFD in place of their bad bytes: see :meth:`lenient`).
        self.bad_text = 0

    def lenient(self) -> None:
        """Read text that is not valid UTF-8 (a damaged value or column name) with the bad bytes replaced,
        counting them in :attr:`bad_text`, instead of stopping the query (a little slower: a Python call per
        text value, so only once a strict reading failed)."""
        def text(data: bytes) -> str:
            try:
                return data.decode()
            except UnicodeDecodeError:
                self.bad_text += 1
                return data.decode("utf-8", "replace")

        self.conn.text_factory = text
        self._columns.clear()

    def close(self) -> None:
        self.conn.close()

    def tables(self) -> set[str]:
        """Names of the tables in the database."""
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")
        return {r[0] for r in rows}

    def columns(self, table: str) -> set[str]:
        """Column names of a table (empty when the table does not exist)."""
        if table not in self._columns:
            try:
                rows = self.conn.execute(f'PRAGMA table_info("{table.replace(chr(34), chr(34) * 2)}")')
                self._columns[table] = {r[1] for r in rows}
            except sqlite3.DatabaseError as exc:
                if is_corruption(exc) or is_bad_text(exc):  # a damaged file, not a missing table: read around it
                    raise
                self._columns[table] = set()
        return self._columns[table]

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether a table (and optionally one of its columns) exists: schemas drift across iOS versions."""
        cols = self.columns(table)
        return bool(cols) and (column is None or column in cols)

    def col(self, table: str, column: str, default: str = "NULL", alias: str | None = None) -> str:
        """A SELECT expression for a column that may be missing in this iOS version."""
        name = alias or column
        if self.has(table, column):
            return f'"{table}"."{column}" AS "{name}"'
        return f'{default} AS "{name}"'

    def rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[sqlite3.Row]:
        """Stream a query's rows (never ``fetchall`` on a big table)."""
        cursor = self.conn.execute(sql, tuple(params))
        while batch := cursor.fetchmany(1000):
            yield from batch

    def carve(self, tables: Iterable[str] | None = None, *, superseded: bool = False) -> Iterator[CarvedRecord]:
        """Deleted records of this database (from free space, freelist, WAL, journal).

        ``superseded=True`` also yields older versions of rows that are still live (flagged
        ``superseded``): the earlier text of an edited message. Yields nothing when the user
        turned deleted-record recovery off.
        """
        if not self.recover_deleted:
            return
        from reclaim.sqlite import carve

        wal: Path | None = None
        journal: Path | None = None
        if not self.in_place:  # a copy, with the sidecars copied beside it (in place: none is the source's)
            wal, journal = (self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-journal"))
        journal = journal if journal is not None and journal.exists() else None
        yield from carve(
            self.path,
            wal=wal if wal is not None and wal.exists() else None,
            journal=journal,
            tables=tables,
            superseded=superseded,
            # What this connection sees is what the carver calls live, unless a journal would be rolled back.
            live=self.conn if journal is None else None,
        )


class DatabaseCopies:
    """Private copies of a scan's source databases (with their ``-wal``/``-journal``), each made once and kept
    for the kinds that open the same file again (WeChat's kinds share its databases; its search index is
    read once per chat), while their total size stays within ``budget`` bytes (the temporary folder may be
    in memory): the least recently used copy not in use is removed to make room. :meth:`close` removes them
    all (the scan does at its end)."""

    #: What the copies kept may take together, by default.
    BUDGET = 1 << 30

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self._kept: dict[tuple[str, ...], tuple[contextlib.ExitStack, list[Path], int]] = {}  # in use order
        self._in_use: dict[tuple[str, ...], int] = {}
        self.made = 0  #: copies made (each file once, unless it was removed to make room)

    @contextlib.contextmanager
    def copy(self, fs: VirtualFS, entries: list[Entry]) -> Iterator[list[Path]]:
        """Local copies of ``entries`` (a database and its sidecars), made or found."""
        key = tuple(f"{e.domain}/{e.path}:{e.size}" for e in entries)
        kept = self._kept.pop(key, None)
        if kept is None:
            stack = contextlib.ExitStack()
            paths = stack.enter_context(fs.local_copy(entries))
            kept = (stack, paths, sum(p.stat().st_size for p in paths))
            self.made += 1
        self._kept[key] = kept  # the most recently used last
        self._in_use[key] = self._in_use.get(key, 0) + 1
        try:
            yield kept[1]
        finally:
            self._in_use[key] -= 1
            if key in self._kept:  # (not after close: a scan stopped while a kind still had it open)
                self._kept[key] = self._kept.pop(key)  # used until now: the most recently used
                self._trim()

    def _trim(self) -> None:
        total = sum(size for _, _, size in self._kept.values())
        for key in list(self._kept):
            if total <= self.budget:
                break
            if self._in_use.get(key):
                continue
            stack, _, size = self._kept.pop(key)
            stack.close()
            total -= size

    def close(self) -> None:
        """Remove every copy."""
        for stack, _, _ in self._kept.values():
            with contextlib.suppress(OSError):
                stack.close()
        self._kept.clear()


class ScanContext:
    """The door through which an artifact reads the source and stores media."""

    def __init__(
        self,
        fs: VirtualFS,
        media: MediaStore | None,
        options: ScanOptions | None = None,
        *,
        kind: str = "",
        cancel: threading.Event | None = None,
        on_progress: Callable[[int], None] | None = None,
        shapes: Callable[[tuple[str, str, str, str, str]], int] | None = None,
        copies: DatabaseCopies | None = None,
    ) -> None:
        """``shapes``: the case writer's :meth:`~reclaim.case.store.CaseWriter.add_shape`, given when it stores
        what the artifact yields (then records may come as shaped rows). ``copies``: the scan's database
        copies, shared by its kinds (else each opening copies the file again)."""
        self.fs = fs
        self.store = media
        self.options = options or ScanOptions()
        self.kind = kind
        self.warnings: list[str] = []
        #: What was logged: a kind extracted again from repaired copies says the same things again.
        self._logged: set[tuple[str, str]] = set()
        self._cancel = cancel
        self._on_progress = on_progress
        #: Registers a shape and gives its number (None: records must come whole).
        self.add_shape = shapes
        self._copies = copies
        #: Whether each database is checked first and, when damaged, read from a repaired copy (the scan
        #: turns it on to extract again an artifact that a damaged database stopped).
        self.repair = False

    # -- reading ------------------------------------------------------------------------

    def get(self, domain: str, path: str) -> Entry | None:
        """The entry at (domain, path), or ``None``."""
        return self.fs.get(domain, path)

    @contextlib.contextmanager
    def database(self, entry: Entry) -> Iterator[Database]:
        """Open a database entry read-only: in place when the source keeps it as a plain file on this
        machine and no ``-wal``/``-journal`` goes with it (nothing to replay: it is opened immutable, so
        nothing is ever written), else as a private copy with its WAL and journal (the scan's, when
        another kind made it already: :class:`DatabaseCopies`). In :attr:`repair` mode a damaged one is
        read from a copy holding every row still readable (and a warning says so)."""
        with self._database(entry) as db:
            if not self.repair:
                yield db
                return
            from reclaim.sqlite import repair  # (only once a damaged database stopped an artifact)

            db.lenient()
            problem = repair.damage(db.conn)
            if problem is None:
                with self._bad_text_said(db):
                    yield db
                return
            with tempfile.TemporaryDirectory(prefix="reclaim-repair-") as folder:
                copy = Path(folder) / "repaired.db"
                try:
                    done = repair.rebuild(db.path, copy, wal=not db.in_place)
                except CorruptFile as exc:  # named by the source's path, not by the private copy's
                    raise CorruptFile(f"damaged beyond reading: {exc.reason}", db.source) from exc
                if done.headless:
                    problem = "its first page, which holds its header and says where its tables are, is lost"
                self.warn(f"{db.source} is damaged ({problem.splitlines()[-1].strip()}): read around the damage, "
                          f"{done.rows:,} rows in {done.tables} tables")
                fixed = Database(entry, db.path, recover_deleted=db.recover_deleted, immutable=db.in_place,
                                 repaired=copy)
                fixed.lenient()
                try:
                    with self._bad_text_said(fixed):
                        yield fixed
                finally:
                    fixed.close()

    @contextlib.contextmanager
    def optional_database(self, entry: Entry, lost: str) -> Iterator[Database | None]:
        """:meth:`database` for a file the kind can do without (the address book, only looked up for the names
        of the people in messages and calls; one of WeChat's message shards): one damaged beyond reading gives
        ``None`` and a warning saying what is lost (``lost``), so the kind's other records still come."""
        with contextlib.ExitStack() as opened:
            try:
                db: Database | None = opened.enter_context(self.database(entry))
            except CorruptFile as exc:
                self.warn(f"{exc}: {lost}")
                db = None
            yield db

    @contextlib.contextmanager
    def _bad_text_said(self, db: Database) -> Iterator[None]:
        """Say, once ``db`` was read, how much of its text was not UTF-8 (see :meth:`Database.lenient`)."""
        try:
            yield
        finally:
            if db.bad_text:
                self.warn(f"{db.source}: {db.bad_text:,} text values were not valid UTF-8 (damaged?): read with "
                          "\ufffd in place of their bad bytes")

    def sidecars(self, entry: Entry) -> list[Entry]:
        """A database's ``-wal``/``-journal`` that can be read (:meth:`_present`: one that cannot is a warning)."""
        return [side for side in self.fs.sidecars(entry) if self._present(side, entry)]

    @contextlib.contextmanager
    def _database(self, entry: Entry) -> Iterator[Database]:
        sidecars = self.sidecars(entry)
        local = None if sidecars else self.fs.local_path(entry)
        if local is not None:
            db = Database(entry, local, recover_deleted=self.options.recover_deleted, immutable=True)
            try:
                yield db
            finally:
                db.close()
            return
        copying = self._copies.copy(self.fs, [entry, *sidecars]) if self._copies is not None else \
            self.fs.local_copy([entry, *sidecars])
        with copying as paths:
            db = Database(entry, paths[0], recover_deleted=self.options.recover_deleted)
            try:
                yield db
            finally:
                db.close()

    def _present(self, sidecar: Entry, database: Entry) -> bool:
        """Whether a database's ``-wal``/``-journal`` can be read; one listed but missing from the backup, or that
        cannot be decrypted, is a warning, and the database is read without it."""
        try:
            self.fs.open(sidecar).close()
        except (FileNotFoundError, CorruptFile) as exc:
            self.warn(f"{exc}: {database.domain}/{database.path} is read without it (what the app wrote to it"
                      " since its last checkpoint is lost)")
            return False
        return True

    def read_bytes(self, entry: Entry) -> bytes:
        """A small file's whole content (plists, thumbnails)."""
        return self.fs.read_bytes(entry)

    def head(self, entry: Entry, size: int = 64) -> bytes | None:
        """A media file's first bytes (what kind of file it is), or ``None`` with a warning naming it when the
        source cannot give them (listed in a backup but absent from it, unreadable): like :meth:`media`, one
        such file costs only itself."""
        try:
            with self.fs.open(entry) as stream:
                return stream.read(size)
        except (OSError, ValueError) as exc:
            self.warn(f"{entry.domain}/{entry.path}: could not read media ({exc})")
            return None

    # -- media ----------------------------------------------------------------------------

    def media(
        self,
        entry: Entry | None,
        *,
        name: str | None = None,
        mime: str | None = None,
        role: str = "",
        origin: str = "",
        preview: Callable[[Path], tuple[bytes, str] | None] | None = None,
    ) -> MediaRef:
        """Store an entry's content in the case and describe it; a missing entry is listed as missing.

        ``preview`` may turn the stored file into a browser-friendly copy (JPEG, WAV).
        """
        if entry is None or not entry.is_file:
            return MediaRef(name=name or origin.rsplit("/", 1)[-1], origin=origin, missing=True, role=role,
                            mime=mime or "application/octet-stream")
        display = name or entry.name
        origin = origin or f"{entry.domain}/{entry.path}"
        if self.store is None or not self.options.media:
            return MediaRef(name=display, size=entry.size, mime=mime or sniff_mime(b"", display), origin=origin,
                            role=role)
        try:
            with self.fs.open(entry) as stream:
                head = stream.read(64)
                kind = mime or sniff_mime(head, display)
                sha, size = self.store.add_stream(_Prefixed(head, stream), display, kind)
        except (OSError, ValueError) as exc:
            self.warn(f"{origin}: could not read media ({exc})")
            return MediaRef(name=display, origin=origin, missing=True, role=role, note=str(exc))
        ref = MediaRef(name=display, sha256=sha, size=size, mime=kind, origin=origin, role=role)
        if preview is not None:
            self._add_preview(ref, preview)
        return ref

    def media_stream(self, stream: BinaryIO, *, name: str, mime: str | None = None, role: str = "",
                     origin: str = "") -> MediaRef:
        """Store content produced while it is read (a file decrypted on the fly), chunk by chunk.

        An error raised by ``stream`` (its data fails a check at the end) leaves nothing stored and
        reaches the caller.
        """
        head = stream.read(64)
        kind = mime or sniff_mime(head, name)
        if self.store is None or not self.options.media:
            size = len(head)
            while chunk := stream.read(1 << 20):
                size += len(chunk)
            return MediaRef(name=name, size=size, mime=kind, origin=origin, role=role)
        sha, size = self.store.add_stream(_Prefixed(head, stream), name, kind)
        return MediaRef(name=name, sha256=sha, size=size, mime=kind, origin=origin, role=role)

    def media_bytes(self, data: bytes, *, name: str, mime: str | None = None, role: str = "",
                    origin: str = "") -> MediaRef:
        """Store bytes produced during the scan (an embedded thumbnail, a contact photo)."""
        kind = mime or sniff_mime(data[:64], name)
        if self.store is None or not self.options.media:
            return MediaRef(name=name, size=len(data), mime=kind, origin=origin, role=role)
        sha, size = self.store.add_bytes(data, name, kind)
        return MediaRef(name=name, sha256=sha, size=size, mime=kind, origin=origin, role=role)

    def _add_preview(self, ref: MediaRef, convert: Callable[[Path], tuple[bytes, str] | None]) -> None:
        assert self.store is not None and ref.sha256
        from reclaim.case.store import media_relpath

        try:
            result = convert(self.store.root / media_relpath(ref.sha256))
        except Exception as exc:  # a converter failing on one odd file must not stop the scan
            self.warn(f"{ref.origin}: no preview ({type(exc).__name__}: {exc})")
            return
        if result is not None:
            data, mime = result
            ref.preview, _ = self.store.add_bytes(data, ref.name, mime)
            ref.preview_mime = mime

    # -- reporting ------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        """Note something the user should know (a skipped row, a missing file) without stopping."""
        if len(self.warnings) < 200 and message not in self.warnings:  # (the same file met twice: said once)
            self.warnings.append(message)
        if (self.kind, message) not in self._logged:
            self._logged.add((self.kind, message))
            log.warning("%s: %s", self.kind, message)

    def tick(self, count: int) -> None:
        """Report progress (records so far) and honour cancellation."""
        if self._cancel is not None and self._cancel.is_set():
            raise ScanCancelled()
        if self._on_progress is not None:
            self._on_progress(count)


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            if size < 0:
                return data + self.rest.read()
            if len(data) < size:
                data += self.rest.read(size - len(data))
            return data
        return self.rest.read(size)
