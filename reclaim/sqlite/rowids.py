"""Which index pages can restore a lost rowid, found by searching for key bytes.

A table record rebuilt from a freeblock has lost its rowid. A deleted entry of one of the
table's indexes, ``(key..., rowid)``, gives it back when its key is the record's key. Index
entries serve no other purpose, and index pages are many (WeChat has three indexes per
conversation table), so the engine carves them last and only where they can help: a page
that holds an entry with a record's key holds the key's bytes verbatim (SQLite stores
values in indexes exactly as in tables), so a compiled search over the keys of the
records that need a rowid picks the pages to carve at C speed.

Keys of fewer than :data:`MIN_KEY` bytes (a status flag, a small count) identify nothing:
they are used only from UNIQUE indexes, and then every index page is carved.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from reclaim.sqlite.schema import TableDef

#: Shortest key (bytes of its longest value) that may name a row in a non-UNIQUE index.
MIN_KEY = 4


@dataclass(frozen=True, slots=True)
class Restorer:
    """An index that can give rowids back to records of ``table``: the key's record positions."""

    table: str
    positions: tuple[int, ...]
    unique: bool


def restorers(defs: Iterable[TableDef]) -> list[Restorer]:
    """Every index whose key columns are stored columns of a rowid table (rowid alias excluded)."""
    defs = list(defs)
    tables = {t.name.lower(): t for t in defs if t.kind == "table"}
    out: list[Restorer] = []
    for idx in defs:
        if idx.kind != "index":
            continue
        table = tables.get(idx.table.lower())
        if table is None:
            continue
        pos = index_positions(idx, table)
        if pos is not None:
            out.append(Restorer(table.name, pos, idx.unique))
    return out


def index_positions(idx: TableDef, table: TableDef) -> tuple[int, ...] | None:
    """Record positions in ``table`` of the key columns of index ``idx`` (None if not all stored)."""
    col_index = {c.name.lower(): i for i, c in enumerate(table.columns)}
    names = [c.name.lower() for c in idx.columns[:-1]]
    if any(n not in col_index for n in names):
        return None
    cis = [col_index[n] for n in names]
    if table.alias in cis or any(ci not in table.record_order for ci in cis):
        return None
    return tuple(table.record_order.index(ci) for ci in cis)


def value_bytes(value: object, encoding: str) -> bytes | None:
    """The bytes SQLite stores for a value in a record body (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if value in (0, 1):
            return b""  # serial types 8 and 9: no body bytes
        for n in (1, 2, 3, 4, 6, 8):
            if -(1 << (8 * n - 1)) <= value < 1 << (8 * n - 1):
                return value.to_bytes(n, "big", signed=True)
        return None
    if isinstance(value, float):
        return struct.pack(">d", value)
    if isinstance(value, str):
        return value.encode(encoding, errors="surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return None


def key_needle(values: list[object], positions: tuple[int, ...], encoding: str) -> bytes | None:
    """The longest stored value of a record's key (what an index page holding it must contain)."""
    got = key_needle_at(values, positions, encoding)
    return got[0] if got is not None else None


def key_needle_at(values: list[object], positions: tuple[int, ...], encoding: str) -> tuple[bytes, int] | None:
    """:func:`key_needle` and how many body bytes of the index entry come before it."""
    if any(p >= len(values) for p in positions):
        return None
    best: tuple[bytes, int] | None = None
    before = 0
    for p in positions:
        b = value_bytes(values[p], encoding)
        if b is not None and (best is None or len(b) > len(best[0])):
            best = (b, before)
        before += len(b) if b is not None else 0
    return best


class _All:
    """Sentinel: every index page must be carved."""


ALL = _All()


@dataclass(slots=True)
class Wanted:
    """Keys to look for: a pattern matching any of them, and for each (as matched) the body
    offsets at which it can start in an index entry (bytes of the key values before it)."""

    pattern: re.Pattern[bytes]
    offsets: dict[bytes, set[int]]


def needles(
    records: Iterable[tuple[TableDef, list[object]]], found: list[Restorer], encoding: str
) -> Wanted | _All | None:
    """What to search index pages for: the keys of ``records`` (table records without a
    rowid) in every restorer of their table. None when no record needs one; :data:`ALL`
    when a UNIQUE index has a key too short to search for.
    """
    by_table: dict[str, list[Restorer]] = {}
    for r in found:
        by_table.setdefault(r.table, []).append(r)
    keys: dict[bytes, set[int]] = {}
    for td, values in records:
        for r in by_table.get(td.name, ()):
            got = key_needle_at(values, r.positions, encoding)
            if got is None:
                continue
            b, before = got
            if len(b) < MIN_KEY:
                if r.unique:
                    return ALL
                continue
            keys.setdefault(b[:64], set()).add(before)  # a prefix is enough, and keeps the pattern small
    if not keys:
        return None
    # Keys that are prefixes of other keys stop the trie: matches then report the shorter key.
    offsets: dict[bytes, set[int]] = {}
    for k, before in keys.items():
        for j in range(MIN_KEY, len(k) + 1):
            if k[:j] in keys:
                offsets.setdefault(k[:j], set()).update(before)
                break
    return Wanted(re.compile(_trie_pattern(sorted(keys)), re.S), offsets)


def _trie_pattern(keys: list[bytes]) -> bytes:
    """A regular expression matching any of ``keys`` with shared prefixes factored out.

    A flat alternation of thousands of keys that share their first bytes (large integers
    do) is tried key by key at every position; a trie is tried byte by byte.
    """
    trie: dict = {}
    for k in keys:
        node = trie
        for b in k:
            node = node.setdefault(b, {})
        node[None] = True
    return _emit(trie)


def _emit(node: dict) -> bytes:
    parts = []
    for b, child in sorted((k, v) for k, v in node.items() if k is not None):
        parts.append(re.escape(bytes((b,))) + _emit(child))
    if None in node:
        return b""  # a key ends here: any longer key through this node contains it
    if len(parts) == 1:
        return parts[0]
    return b"(?:" + b"|".join(parts) + b")"
