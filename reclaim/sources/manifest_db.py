"""Reading Manifest.db (iOS 10+ backups) without loading it.

``Files(fileID TEXT PRIMARY KEY, domain, relativePath, flags, file BLOB)``: a real
phone has over a million rows, so rows are streamed from a cursor in small batches
and decoded one at a time; lookups go through the primary key
(``fileID = sha1(domain + '-' + relativePath)``) or the ``relativePath`` index.
The database is opened ``mode=ro&immutable=1``: SQLite never writes next to it.

A damaged Manifest.db (cut short by a copy that stopped, or with pages SQLite refuses) is
not the end of the backup: the rows reclaim's own page reader finds in it are copied into a
scratch database that stands in for it, and :attr:`ManifestDB.damage` says what happened.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from reclaim.errors import CorruptFile, is_corruption
from reclaim.sources.mbfile import S_IFDIR, S_IFLNK, S_IFMT, mbfile_fields
from reclaim.sqlite.format import FormatError, parse_header
from reclaim.vfs import Entry, EntryKind

log = logging.getLogger(__name__)
T = TypeVar("T")

FLAG_FILE = 1
FLAG_DIR = 2
FLAG_LINK = 4
BATCH = 512

SCHEMA = """
CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
CREATE INDEX FilesDomainIdx ON Files(domain);
CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
CREATE INDEX FilesFlagsIdx ON Files(flags);
CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
"""


def file_id(domain: str, path: str) -> str:
    """The hashed file name of (domain, path): ``sha1(domain + '-' + path)``."""
    return hashlib.sha1(f"{domain}-{path}".encode()).hexdigest()


def _kind(flags: int | None, mode: int) -> EntryKind:
    if flags == FLAG_DIR:
        return EntryKind.DIR
    if flags == FLAG_LINK:
        return EntryKind.LINK
    if flags == FLAG_FILE:
        return EntryKind.FILE
    fmt = mode & S_IFMT
    if fmt == S_IFDIR:
        return EntryKind.DIR
    if fmt == S_IFLNK:
        return EntryKind.LINK
    return EntryKind.FILE


#: The rows of a damaged file that have the types of a ``Files`` row (a hashed name, text names).
_USABLE = ("typeof(fileID) = 'text' AND length(fileID) = 40 AND typeof(domain) = 'text'"
           " AND typeof(relativePath) = 'text' AND typeof(flags) IN ('integer', 'null')"
           " AND typeof(file) IN ('blob', 'null')")


def _glob_prefix(pattern: str) -> str:
    """The literal part of a glob before its first wildcard."""
    for i, ch in enumerate(pattern):
        if ch in "*?[":
            return pattern[:i]
    return pattern


def _truncation(path: Path) -> str | None:
    """Why ``path`` is shorter than its header says it is (``None``: it is not, or the header cannot tell)."""
    with open(path, "rb") as handle:
        head = handle.read(100)
        size = os.fstat(handle.fileno()).st_size
    try:
        header = parse_header(head)
    except FormatError:  # (SQLite says what is wrong with it)
        return None
    expected = header.page_count * header.page_size
    if header.change_counter != header.version_valid_for or expected <= size:  # (a page count it cannot trust)
        return None
    return f"cut short: {size:,} of its {expected:,} bytes"


class ManifestDB:
    """A read-only, streaming view of a Manifest.db file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: What is wrong with the file, and how many of its entries could be read anyway (``None``: nothing).
        self.damage: str | None = None
        #: What is wrong with the file, in SQLite's or the header's words (``None``: nothing).
        self.problem: str | None = None
        self._scratch: str | None = None
        self._retired: list[sqlite3.Connection] = []  # replaced by a scratch copy, its cursors still in use
        cut = _truncation(path)
        problem = cut or self._open()
        if problem is not None:
            self.problem = problem
            self._salvage(problem, cut=cut is not None)
        self._lock = threading.Lock()

    def _open(self) -> str | None:
        """Open the file read-only; what SQLite finds damaged in it (``None``: nothing), or a clear error when
        it is no Manifest.db at all."""
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                               check_same_thread=False)
        try:
            conn.execute("SELECT fileID, domain, relativePath, flags, file FROM Files LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if not is_corruption(exc):
                raise CorruptFile(f"not a readable Manifest.db ({exc})", self.path) from None
            return str(exc)
        self._conn = conn
        return None

    def _salvage_now(self, exc: sqlite3.DatabaseError, used: sqlite3.Connection) -> bool:
        """Damage SQLite met midway (a bad page deep in a file whose header is right): whether the query can be
        asked again, of a scratch copy of what is readable (made now, once)."""
        if not is_corruption(exc):
            return False
        with self._lock:
            if self._conn is used and self._scratch is None:
                log.warning("%s: damaged (%s): reading the entries left in it", self.path, exc)
                self._retired.append(self._conn)
                self.problem = str(exc)
                self._salvage(str(exc))
            return self._conn is not used

    def _salvage(self, problem: str, *, cut: bool = False) -> None:
        """Stand in for the damaged file with a scratch copy of the entries reclaim's page reader finds in it
        (``cut``: ``problem`` says the file was cut short, which is what a user needs to hear)."""
        from reclaim.sqlite.repair import rebuild  # (only for damaged files)

        self._scratch = tempfile.mkdtemp(prefix="reclaim-manifest-")
        os.chmod(self._scratch, 0o700)
        copy = Path(self._scratch) / "Manifest.db"
        try:
            rebuild(self.path, copy, wal=False)
            lost_schema = False
        except CorruptFile:  # its list of tables is lost: the records shaped like a Files row are picked out below
            lost_schema = True
        self._conn = sqlite3.connect(copy, check_same_thread=False)
        if self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'Files'").fetchone() is None:
            self._conn.executescript(SCHEMA)
        if lost_schema:
            self._files_from_pages()
        self._conn.execute(f"DELETE FROM Files WHERE NOT ({_USABLE})")  # what the damage made of some rows
        self._conn.commit()
        found = self._conn.execute("SELECT COUNT(*) FROM Files").fetchone()[0]
        if lost_schema and not cut:
            problem = "its first page, which says where its tables are, is lost"
        self.damage = f"Manifest.db is damaged ({problem}): {found:,} file entries were read from it"

    def _files_from_pages(self) -> None:
        """Fill the scratch copy with the records of the file shaped like a ``Files`` row (five values; the types
        are checked after): those of the live table first, so that a stale copy of a row on a freed page (an
        older backup's entry for the same file, with another file key) never stands in for it."""
        from reclaim.sqlite.headless import leaf_records

        insert = "INSERT OR IGNORE INTO Files VALUES (?, ?, ?, ?, ?)"
        unlinked = []
        with self._conn:
            for _rowid, values, linked in leaf_records(self.path):
                if len(values) != 5:
                    continue
                if linked:
                    self._conn.execute(insert, values)
                else:
                    unlinked.append(values)  # (a small table's only page, or freed pages: few)
            self._conn.executemany(insert, unlinked)

    def close(self) -> None:
        """Close the connection (and remove the scratch copy of a damaged file)."""
        for conn in (*self._retired, self._conn):
            conn.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def _row_entry(self, row: tuple) -> Entry:
        fid, domain, rel, flags, blob = row
        rel = rel or ""
        if blob is None:
            return Entry(domain=domain, path=rel, kind=_kind(flags, 0), file_id=fid)
        try:
            size, mode, mtime, birth, _, _, _, _, protection, _, _, target, key = mbfile_fields(blob)
        except CorruptFile as exc:
            raise CorruptFile(f"{exc} for {domain}/{rel}", self.path) from None
        kind = _kind(flags, mode)
        return Entry(
            domain=domain,
            path=rel,
            kind=kind,
            size=size if kind is EntryKind.FILE else 0,
            mtime=mtime,
            file_id=fid,
            mode=mode or None,
            birth=birth,
            target=target,
            protection_class=protection,
            encryption_key=key,
        )

    def _stream(self, sql: str, params: tuple = ()) -> Iterator[Entry]:
        done = 0  # rows yielded: asked again of a scratch copy, the query skips them (same order, none lost before)
        while True:
            conn = self._conn
            try:
                with self._lock:
                    cursor = conn.execute(sql, params)
                skip = done
                while True:
                    with self._lock:
                        rows = cursor.fetchmany(BATCH)
                    if not rows:
                        return
                    for row in rows:
                        if skip:
                            skip -= 1
                            continue
                        yield self._row_entry(row)
                        done += 1
            except sqlite3.DatabaseError as exc:
                if not self._salvage_now(exc, conn):
                    raise CorruptFile(f"damaged Manifest.db ({exc})", self.path) from None

    def entries(self) -> Iterator[Entry]:
        """Every row, streamed in (domain, relativePath) order of the table's rowid."""
        return self._stream("SELECT fileID, domain, relativePath, flags, file FROM Files")

    def find(self, domain: str | None, path: str | None) -> Iterator[Entry]:
        """Rows narrowed in SQL by the globs (their literal prefixes, then the globs themselves when they use only
        ``*`` and ``?``; callers filter exactly)."""
        where, params = [], []
        for column, pattern in (("domain", domain), ("relativePath", path)):
            if pattern is None:
                continue
            prefix = _glob_prefix(pattern)
            if prefix == pattern:
                where.append(f"{column} = ?")
                params.append(pattern)
                continue
            if prefix:
                where.append(f"{column} >= ? AND {column} < ?")
                params += [prefix, prefix + "\U0010ffff"]
            if "[" not in pattern:  # * and ? mean in GLOB what they mean to fnmatch: rows are matched before parsing
                where.append(f"{column} GLOB ?")
                params.append(pattern)
        sql = "SELECT fileID, domain, relativePath, flags, file FROM Files"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._stream(sql, tuple(params))

    def get(self, domain: str, path: str) -> Entry | None:
        """The row at (domain, path): primary-key lookup, then the relativePath index."""
        sql = "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE "

        def lookup(conn: sqlite3.Connection) -> tuple | None:
            row = conn.execute(sql + "fileID = ?", (file_id(domain, path),)).fetchone()
            if row is None or row[1] != domain or (row[2] or "") != path:
                row = conn.execute(sql + "relativePath = ? AND domain = ?", (path, domain)).fetchone()
            return row

        row = self._ask(lookup)
        return self._row_entry(row) if row is not None else None

    def _ask(self, question: Callable[[sqlite3.Connection], T]) -> T:
        """A short query's answer, asked again of a scratch copy when it meets damage."""
        while True:
            conn = self._conn
            try:
                with self._lock:
                    return question(conn)
            except sqlite3.DatabaseError as exc:
                if not self._salvage_now(exc, conn):
                    raise CorruptFile(f"damaged Manifest.db ({exc})", self.path) from None

    def count(self) -> int:
        """Number of rows (files, folders and links)."""
        return self._ask(lambda conn: int(conn.execute("SELECT COUNT(*) FROM Files").fetchone()[0]))

    def count_files(self) -> int:
        """Number of regular files."""
        return self._ask(lambda conn: int(conn.execute("SELECT COUNT(*) FROM Files WHERE flags NOT IN (2, 4)")
                                          .fetchone()[0]))

    def domains(self) -> list[str]:
        """Distinct domains (uses the domain index)."""
        return self._ask(lambda conn: [r[0] for r in conn.execute("SELECT DISTINCT domain FROM Files ORDER BY domain")])
