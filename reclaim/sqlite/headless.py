"""Reading a database whose first page is destroyed: its page size and its schema found again.

Page 1 holds the 100-byte header (page size, text encoding) and the root of ``sqlite_master``,
the table that says where every other table starts. A bad sector, a copy cut at the start or
a file overwritten at its head loses it, and SQLite then calls the whole file "not a
database", although every other page is intact. This module finds what page 1 said:

* the **page size**: the WAL's header says it when there is one; otherwise it is the size at
  which the most pages of the file parse as b-tree pages whose cells sit where SQLite puts them
  (from the end of the page down);
* the **schema**: a big schema (``sms.db``'s triggers, the address book's indexes) does not fit
  in page 1, which then only points to other pages holding the ``sqlite_master`` rows: those
  survive, and are recognised by their shape (``'table'`` / ``'index'`` / ``'view'`` /
  ``'trigger'``, two names, a root page number, a ``CREATE`` statement).

A schema that fitted in page 1 alone is gone with it. A reader that knows the layout of the table it
wants (reclaim's own index of a backup, Manifest.db) can still pick that table's rows out of every
record on the file's pages (:func:`leaf_records`); others say what is lost.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from reclaim.sqlite.format import (
    BTREE_TYPES,
    TABLE_INTERIOR,
    TABLE_LEAF,
    DbHeader,
    FormatError,
    decode_record,
    parse_header,
)
from reclaim.sqlite.pages import (
    BTreePage,
    FileReader,
    StreamReader,
    cell_payload,
    interior_children,
    parse_btree_page,
    parse_leaf_cell,
)

#: Page sizes in the order they are tried (iOS writes 4096; the others break ties the same way).
PAGE_SIZES = (4096, 8192, 16384, 32768, 65536, 2048, 1024, 512)
#: Pages looked at per candidate size (spread over the file): enough to tell, bounded on big files.
_SAMPLE = 512
#: Pages (per thousand) that must read as b-tree pages at the size found: most of a database's pages are, but
#: pictures stored in one (the address book's) fill overflow pages, and data that is not a database rarely has one.
_LEAST_SHARE = 100
_SCHEMA_TYPES = frozenset(("table", "index", "view", "trigger"))


def _fits(page: bytes, size: int) -> bool:
    """Whether ``page`` reads as a non-empty b-tree page of ``size`` bytes whose highest cell ends in the last
    quarter of the page (SQLite fills a page from its end; a page read at the wrong size rarely does)."""
    if page[0] not in BTREE_TYPES:
        return False
    try:
        bp = parse_btree_page(page, 2, size)
    except FormatError:
        return False
    return bool(bp.cell_pointers) and max(bp.cell_pointers) >= size - size // 4


def guess_page_size(file: FileReader | StreamReader) -> int | None:
    """The page size at which most of the file's pages (page 1 aside) read as b-tree pages; ``None`` when at
    no size do many of them."""
    best, best_score = None, 0
    for size in PAGE_SIZES:
        pages = file.size // size
        if pages < 2:
            continue
        step = max(1, (pages - 1) // _SAMPLE)
        score = 0
        for pgno in range(2, pages + 1, step):
            page = file.read((pgno - 1) * size, size)
            if len(page) == size and _fits(page, size):
                score += 1
        share = score * 1000 // len(range(2, pages + 1, step))  # sizes sample different counts
        if share > best_score and score >= min(2, pages - 1):
            best, best_score = size, share
    return best if best_score >= _LEAST_SHARE else None


def has_database_pages(path: str | os.PathLike[str]) -> bool:
    """Whether a file whose head is not SQLite's still has a database's pages (its first page destroyed): what
    tells a damaged database from a file that never was one."""
    try:
        with FileReader(path) as file:
            return guess_page_size(file) is not None
    except OSError:
        return False


def assumed_header(page_size: int, pages: int) -> DbHeader:
    """The header of a file whose own is lost: ``page_size``, no reserved bytes, UTF-8 text (what iOS writes),
    no page count to trust (the file's size decides), no known freelist."""
    return DbHeader(page_size=page_size, reserved=0, change_counter=0, page_count=pages, freelist_trunk=0,
                    freelist_count=0, schema_format=4, largest_root=0, encoding="utf-8", incremental_vacuum=0,
                    version_valid_for=1, wal_mode=False)


def schema_rows(get: Callable[[int], bytes | None], pages: int, usable: int,
                encoding: str) -> Iterator[tuple[object, ...]]:
    """The ``sqlite_master`` rows still on table leaf pages other than page 1: each page holding some is read
    whole (a page of the schema holds nothing else)."""
    for pgno in range(2, pages + 1):
        page = get(pgno)
        if page is None or page[0] != TABLE_LEAF or b"CREATE" not in page:
            continue
        try:
            bp = parse_btree_page(page, pgno, usable)
        except FormatError:
            continue
        found: list[tuple[object, ...]] = []
        for off in bp.cell_pointers:
            try:
                cell = parse_leaf_cell(page, off, True, usable)
                payload, _ok, _ = cell_payload(page, cell, get, usable, pages)
                values = tuple(decode_record(payload, encoding))
            except (FormatError, UnicodeDecodeError):
                continue
            if _is_schema_row(values):
                found.append(values)
        if len(found) * 2 > len(bp.cell_pointers):  # most of its cells: a page of sqlite_master
            yield from found


def _is_schema_row(values: tuple[object, ...]) -> bool:
    """Whether a record has the shape of a ``sqlite_master`` row."""
    if len(values) != 5:
        return False
    kind, name, table, root, sql = values
    return kind in _SCHEMA_TYPES and isinstance(name, str) and isinstance(table, str) and isinstance(root, int) \
        and (sql is None or (isinstance(sql, str) and sql.lstrip()[:6].upper() == "CREATE"))


def leaf_records(path: str | os.PathLike[str]) -> Iterator[tuple[int, list[object], bool]]:
    """``(rowid, values, linked)`` of every record on every table leaf page of a file (main file only, each page
    once, in file order), whichever table it was in: for a reader that knows its table's layout when the list of
    tables is lost. ``linked``: its page is a child of a table's interior page, so part of a live table (a page
    no interior page points to is a table's only page, or a freed one with rows deleted since). Nothing when no
    page size can be found."""
    with FileReader(path) as file:
        try:
            header = parse_header(file.read(0, 100))
            size, usable, encoding = header.page_size, header.usable, header.encoding
        except FormatError:
            size = guess_page_size(file)
            if size is None:
                return
            usable, encoding = size, "utf-8"
        pages = file.size // size

        def get(pgno: int) -> bytes | None:
            page = file.read((pgno - 1) * size, size) if 1 <= pgno <= pages else b""
            return page if len(page) == size else None

        def btree(pgno: int, kind: int) -> tuple[bytes, BTreePage] | None:
            page = get(pgno)
            if page is None or page[100 if pgno == 1 else 0] != kind:
                return None
            try:
                return page, parse_btree_page(page, pgno, usable)
            except FormatError:
                return None

        linked: set[int] = set()
        for pgno in range(1, pages + 1):
            if (interior := btree(pgno, TABLE_INTERIOR)) is not None:
                linked.update(interior_children(*interior, usable))
        for pgno in range(1, pages + 1):
            if (leaf := btree(pgno, TABLE_LEAF)) is None:
                continue
            page, bp = leaf
            for off in bp.cell_pointers:
                try:
                    cell = parse_leaf_cell(page, off, True, usable)
                    payload, _ok, _ = cell_payload(page, cell, get, usable, pages)
                    values = decode_record(payload, encoding)
                except (FormatError, UnicodeDecodeError):
                    continue
                yield cell.rowid or 0, values, pgno in linked
