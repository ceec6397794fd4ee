"""Byte-level reader of a database's committed state (main file + WAL), schema and live rows.

This never uses the sqlite3 library, so it also reads damaged files, and it never writes:
the main file, its ``-wal`` and ``-journal`` are opened read-only. The committed state is
the main file with the newest *valid* WAL frame of each page laid over it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from reclaim.errors import CorruptFile
from reclaim.sqlite import headless
from reclaim.sqlite.format import (
    INDEX_LEAF,
    TABLE_LEAF,
    DbHeader,
    FormatError,
    decode_record,
    parse_header,
    ptrmap_pages,
)
from reclaim.sqlite.journal import Journal
from reclaim.sqlite.pages import (
    FileReader,
    StreamReader,
    cell_payload,
    freelist_pages,
    parse_leaf_cell,
    walk_btree,
)
from reclaim.sqlite.schema import SQLITE_MASTER, TableDef, build_schema
from reclaim.sqlite.wal import Frame, WalFile


def _companion(db: Path, option: str | Path | bool | None, suffix: str) -> str | None:
    if option is None or option is False:
        return None
    if option is True:
        p = Path(f"{db}{suffix}")
        return str(p) if p.is_file() and p.stat().st_size > 0 else None
    p = Path(option)
    return str(p) if p.is_file() and p.stat().st_size > 0 else None


class Database:
    """A database file opened read-only, with its WAL and journal if present.

    ``get(n)`` returns page ``n`` of the committed state; ``db_page(n)`` the main file's own
    copy. ``schema`` lists live tables and indexes parsed from ``sqlite_master``.
    Raises :class:`reclaim.errors.CorruptFile` for anything that is not a readable database.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        wal: str | Path | bool | None = True,
        journal: str | Path | bool | None = True,
        file: StreamReader | None = None,
    ) -> None:
        """``file``: read the database from this stream instead of opening ``path`` (which then only names it)."""
        self.path = Path(path)
        try:
            self.file = file if file is not None else FileReader(self.path)
        except OSError as exc:
            raise CorruptFile(f"cannot open database: {exc.strerror or exc}", self.path) from exc
        try:
            self._open(wal, journal)
        except CorruptFile:
            self.close()
            raise
        except (FormatError, OSError, ValueError) as exc:
            self.close()
            raise CorruptFile(f"not a readable SQLite database: {exc}", self.path) from exc

    def _open(self, wal: str | Path | bool | None, journal: str | Path | bool | None) -> None:
        if self.file.size == 0:
            raise CorruptFile("empty file, not an SQLite database", self.path)
        head = self.file.read(0, 100)
        if len(head) < 100:
            raise CorruptFile("truncated: shorter than the 100-byte SQLite header", self.path)
        #: Whether the file's own header was lost and its page size found again (see :mod:`.headless`).
        self.headless = False
        self._read_wal: WalFile | None = None  # the WAL, when indexed already to learn a lost header's page size
        try:
            self.header: DbHeader = parse_header(head)
        except FormatError as exc:
            self.header = self._lost_header(wal, exc)
        self.page_size = self.header.page_size
        self.usable = self.header.usable
        self.encoding = self.header.encoding
        self.file_pages = self.file.size // self.page_size
        if self.file_pages < 1:
            raise CorruptFile("truncated: shorter than one page", self.path)
        self.wal: WalFile | None = None
        wal_path = _companion(self.path, wal, "-wal")
        if wal_path:
            w = self._read_wal or WalFile(wal_path, self.page_size)
            self._read_wal = None
            if w.frames and w.page_size == self.page_size:
                self.wal = w
            else:
                w.close()
        self.latest: dict[int, Frame] = self.wal.latest() if self.wal else {}
        valid_size = self.header.page_count if self.header.version_valid_for == self.header.change_counter else 0
        size = (self.wal.db_size() if self.wal else None) or valid_size or self.file_pages
        if not self.latest and valid_size and valid_size > self.file_pages:
            size = self.file_pages  # truncated file: do not trust the header
        self.page_count = max(size, 1)
        self.max_page = max(self.page_count, self.file_pages, max(self.latest, default=0))
        self.journal: Journal | None = None
        j_path = _companion(self.path, journal, "-journal")
        if j_path:
            jr = Journal(j_path, self.page_size, self.max_page)
            if jr.pages:
                self.journal = jr
            else:
                jr.close()
        #: Bytes of main file, WAL and journal together (sizes the live-row filters).
        self.input_size = self.file.size + (self.wal.reader.size if self.wal else 0) + (
            self.journal.reader.size if self.journal else 0
        )
        page1 = self.get(1)
        if page1 is None:
            raise CorruptFile("truncated: page 1 is missing", self.path)
        if page1[100] not in (TABLE_LEAF, 0x05):
            rows = list(headless.schema_rows(self.get, self.max_page, self.usable, self.encoding))
            if not rows:
                raise CorruptFile("page 1 is not a table b-tree page: the list of its tables is lost (no other page"
                                  " holds it)", self.path)
            self.headless = True
            self.state_header = self.header
            self.ptrmaps = set()
            self.schema = build_schema(rows)
            return
        # Header fields of the committed state (page 1 may come from the WAL).
        try:
            self.state_header = parse_header(page1[:100])
        except FormatError:
            self.state_header = self.header
        self.ptrmaps = (
            ptrmap_pages(self.max_page, self.usable) if self.state_header.largest_root else set()
        )
        self.schema: list[TableDef] = build_schema(list(self.records(SQLITE_MASTER.root)))

    def _lost_header(self, wal: str | Path | bool | None, problem: FormatError) -> DbHeader:
        """The header of a file whose first bytes are not a database's: the WAL's page size, else the one its
        pages show (:func:`.headless.guess_page_size`); :class:`CorruptFile` when neither tells one."""
        size = None
        wal_path = _companion(self.path, wal, "-wal")
        if wal_path:
            w = WalFile(wal_path)
            if w.frames:  # (its frames indexed: kept for __init__ rather than read and checksummed twice)
                size, self._read_wal = w.page_size, w
            else:
                w.close()
        size = size or headless.guess_page_size(self.file)
        if size is None:
            raise CorruptFile(str(problem), self.path)
        self.headless = True
        return headless.assumed_header(size, self.file.size // size)

    # -- page access -------------------------------------------------------------------------
    def db_page(self, pgno: int) -> bytes | None:
        """Page ``pgno`` as stored in the main file (None if past its end)."""
        if pgno < 1 or pgno > self.file_pages:
            return None
        data = self.file.read((pgno - 1) * self.page_size, self.page_size)
        return data if len(data) == self.page_size else None

    def get(self, pgno: int) -> bytes | None:
        """Page ``pgno`` of the committed state (newest valid WAL frame, else the main file)."""
        fr = self.latest.get(pgno)
        if fr is not None and self.wal is not None:
            return self.wal.page(fr)
        return self.db_page(pgno)

    # -- records -----------------------------------------------------------------------------
    def cells(self, root: int) -> Iterator[tuple[int, int, int | None, bytes, bool]]:
        """Every leaf cell of the b-tree at ``root``: ``(pgno, offset, rowid, payload, complete)``."""
        for pgno, page, bp in walk_btree(self.get, root, self.usable, self.max_page):
            if bp.kind not in (TABLE_LEAF, INDEX_LEAF):
                if bp.kind == 0x02:  # index interior cells carry keys too
                    for off in bp.cell_pointers:
                        try:
                            cell = parse_leaf_cell(page, off + 4, False, self.usable)
                            payload, ok, _ = cell_payload(page, cell, self.get, self.usable, self.max_page)
                        except FormatError:
                            continue
                        yield pgno, off, None, payload, ok
                continue
            table = bp.kind == TABLE_LEAF
            for off in bp.cell_pointers:
                try:
                    cell = parse_leaf_cell(page, off, table, self.usable)
                    payload, ok, _ = cell_payload(page, cell, self.get, self.usable, self.max_page)
                except FormatError:
                    continue
                yield pgno, off, cell.rowid, payload, ok

    def records(self, root: int) -> Iterator[tuple[object, ...]]:
        """Decoded records of the b-tree at ``root`` (damaged ones skipped)."""
        for _pg, _off, _rowid, payload, _ok in self.cells(root):
            try:
                yield tuple(decode_record(payload, self.encoding))
            except FormatError:
                continue

    def table(self, name: str) -> TableDef | None:
        """The live table or index called ``name`` (case-insensitive)."""
        for t in self.schema:
            if t.name.lower() == name.lower():
                return t
        return None

    def rows(self, name: str) -> Iterator[tuple[int | None, dict[str, object]]]:
        """Live rows of a table as ``(rowid, {column: value})``, in b-tree order.

        The INTEGER PRIMARY KEY alias column is filled from the rowid; columns missing from
        short records (added later by ALTER TABLE) are None.
        """
        td = self.table(name)
        if td is None:
            raise KeyError(name)
        for _pg, _off, rowid, payload, _ok in self.cells(td.root):
            try:
                vals = decode_record(payload, self.encoding)
            except FormatError:
                continue
            yield rowid, row_dict(td, vals, rowid)

    def freelist(self) -> tuple[list[int], list[int]]:
        """Freelist trunk and leaf pages of the committed state."""
        return freelist_pages(self.get, self.state_header.freelist_trunk, self.max_page)

    def close(self) -> None:
        """Close every file this object opened."""
        self.file.close()
        if getattr(self, "wal", None):
            self.wal.close()  # type: ignore[union-attr]
        if getattr(self, "journal", None):
            self.journal.close()  # type: ignore[union-attr]
        if getattr(self, "_read_wal", None):  # (opening failed between learning the page size and using the WAL)
            self._read_wal.close()  # type: ignore[union-attr]

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_dict(td: TableDef, values: list[object], rowid: int | None) -> dict[str, object]:
    """Map record values (record order) to ``{column name: value}`` for a table definition."""
    out: dict[str, object] = {c.name: None for c in td.columns}
    for pos, ci in enumerate(td.record_order):
        if pos < len(values) and ci < len(td.columns):
            out[td.columns[ci].name] = values[pos]
    if td.alias is not None and rowid is not None and out.get(td.columns[td.alias].name) is None:
        out[td.columns[td.alias].name] = rowid
    return out


def file_size(path: str | os.PathLike[str]) -> int:
    """Size of a file in bytes, 0 if it does not exist."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
