"""The recovery engine: every deleted record in a database, its WAL and its rollback journal.

How it works, in order:

1. :class:`~reclaim.sqlite.reader.Database` opens the files read-only and computes the
   committed state (main file + valid WAL frames).
2. A pass over every live b-tree records fingerprints of the live rows, the rowids in use,
   the UNIQUE keys in use, which table owns which page, and per-table *signatures* (the
   serial-type classes each column holds).
3. Dropped tables are found by carving ``sqlite_master``'s own pages (all versions).
4. Every page image is carved: the main file's pages (free space of live pages; whole
   freelist, orphan and superseded pages), every WAL frame (valid and stale) and every
   journal page image. Intact cells are parsed directly; cells whose first bytes were
   overwritten by a freeblock header are rebuilt (:mod:`reclaim.sqlite.rebuild`).
5. Copies of live rows are dropped, copies of the same deleted row merged, overflow chains
   followed, lost rowids restored from deleted index entries, and INTEGER PRIMARY KEY
   columns filled from the rowid.
"""

from __future__ import annotations

import hashlib
import operator
import re
import sqlite3
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from reclaim.sqlite.bloom import size_for
from reclaim.sqlite.dedupe import Found, LiveIndex, Store
from reclaim.sqlite.format import (
    INDEX_INTERIOR,
    INDEX_LEAF,
    TABLE_INTERIOR,
    TABLE_LEAF,
    FormatError,
    decode_value,
    local_payload,
    parse_record_header,
    read_varint,
    serial_size,
)
from reclaim.sqlite.pages import (
    BTreePage,
    FileReader,
    find_rowid,
    freeblocks,
    interior_children,
    parse_btree_page,
    parse_leaf_cell,
    read_overflow,
    walk_btree,
)
from reclaim.sqlite.reader import Database, row_dict
from reclaim.sqlite.rebuild import (
    Hit,
    Profile,
    alias_position,
    best_lost,
    intact,
    intact_at,
    live_key,
    make_profile,
    record_affinities,
    shapes_of,
    values_ok,
)
from reclaim.sqlite.records import CarvedRecord
from reclaim.sqlite.rowids import MIN_KEY, Wanted, index_positions, key_needle, needles, restorers
from reclaim.sqlite.schema import SQLITE_MASTER, TableDef, build_schema

_NONZERO = re.compile(rb"[^\x00]")


def _looks_random(page: bytes, start: int) -> bool:
    """Whether a page's bytes from ``start`` are as incompressible as random data (zlib, its quickest level,
    saves under 2 %): records never are (their headers are small numbers, their integers have zeros), while
    probing every byte of such a page for a cell costs about 0.25 s."""
    data = page[start:]
    return len(data) >= 512 and len(zlib.compress(data, 1)) * 50 >= len(data) * 49

_STALE_RE: dict[int, re.Pattern[bytes]] = {}


def _stale_header_re(hi: int) -> re.Pattern[bytes]:
    """Pattern of a possible freeblock header: next-offset high byte and size high byte <= ``hi``, size >= 8."""
    rx = _STALE_RE.get(hi)
    if rx is None:
        c = re.escape(bytes([hi]))
        rx = _STALE_RE[hi] = re.compile(rb"[\x00-" + c + rb"].(?:[\x01-" + c + rb"].|\x00[\x08-\xff])", re.S)
    return rx
PageGetter = Callable[[int], "bytes | None"]
#: A partial index's ``WHERE`` (any word "where" in its SQL counts: a false match only costs speed).
_PARTIAL = re.compile(r"\bwhere\b", re.IGNORECASE)
_INTERNAL = ("sqlite_master", "sqlite_schema", "sqlite_temp_master")


#: Live records sampled per table for its profile, and per table once a shared pool holds that many
#: (tables whose layout at least _POOLED tables share: see :meth:`Engine.scan_live`).
SAMPLES = 400
SAMPLES_OWN = 32
_POOLED = 8


def _layout(td: TableDef) -> tuple[object, ...]:
    """What a table's profile depends on besides its records: kind, value affinities in record order, alias."""
    return (td.kind, *record_affinities(td), alias_position(td))


def _mark(mask: bytearray, hits: list[Hit]) -> None:
    """Set ``mask`` to 1 over the bytes of every hit."""
    n = len(mask)
    for h in hits:
        e = min(h.end, n)
        if e > h.start:
            mask[h.start : e] = b"\x01" * (e - h.start)


def _varint(page: bytes, p: int, end: int) -> tuple[int, int]:
    """:func:`read_varint` with the 1- and 2-byte cases inline (most payload sizes and rowids)."""
    b = page[p]
    if b < 0x80:
        return b, p + 1
    c = page[p + 1]
    if c < 0x80:
        return ((b & 0x7F) << 7) | c, p + 2
    return read_varint(page, p, end)


def _last_int(hit: Hit, page: bytes) -> int | None:
    """The last value of a hit when it is an integer stored in the page (an index entry's rowid)."""
    types = hit.types
    st = types[-1] if types else 0
    if st == 8 or st == 9:
        return st - 8
    if not 1 <= st <= 6:
        return None
    p = hit.body_start
    for t in types[:-1]:
        p += serial_size(t)
    size = serial_size(st)
    if p + size > hit.local_end:
        return None
    return int.from_bytes(page[p : p + size], "big", signed=True)


class Engine:
    """One carving run over an opened :class:`Database` (see the module docstring)."""

    def __init__(self, db: Database, superseded: bool = False, unique_for: set[str] | None = None,
                 live: sqlite3.Connection | None = None) -> None:
        """``unique_for``: the tables (lower case) whose live UNIQUE keys are read, None for every table. A key
        only decides whether a carved record of its own table is an older version of a live row: tables whose
        records nobody asked for need not have theirs read (sms.db's join tables hold one per message).
        ``live``: a read-only connection to the same database seeing its committed state, which reads those
        keys quicker than this engine's page reader (partial indexes excepted)."""
        self.d = db
        self._unique_for = unique_for
        self._live_conn = live
        self._main_get: PageGetter = db.db_page  # one bound method, so ``get is self._main_get`` holds
        #: also keep older versions of live rows (edits) in :attr:`old`, see :func:`carve`
        self.superseded = superseded
        self.old = Store()
        #: bytes keys of older versions of live rows: a copy of one that lost its rowid
        #: (a freeblock) is the same old version, not a deleted row
        self._old_keys: set[tuple[str, int]] = set()
        self._top: int | None = None
        self._old_owner: dict[int, int] = {}  # page -> owner id, from older images of interior pages
        self._main_owner: dict[int, int] = {}  # page -> owner id in the main file's tree (before the WAL)
        self._main_image = False  # carving the main file's copy of a page the WAL rewrote
        self._page_versions: dict[int, list[tuple[int, int, object]]] | None = None  # pgno -> stored versions
        self._unique_rowids: dict[tuple[str, tuple[int, ...]], dict[tuple[object, ...], int]] = {}
        self.U = db.usable
        self.enc = db.encoding
        self.live = LiveIndex(size_for(db.input_size), self._rowid_in_table)
        self._defs: list[TableDef] = []  # owner ids -> definitions
        self._owner = array("i")  # page number -> index into _defs, -1 when no live b-tree owns it
        self._ovf = bytearray()  # page number -> 1 for pages of live overflow chains
        self.samples: dict[str, list[list[int]]] = {}
        self.max_rowid: dict[str, int] = {}
        self.nlive: dict[str, int] = {}
        self.store = Store()
        self.index_entries: list[tuple[TableDef, list[object]]] = []
        self._seen_images: set[bytes] = set()
        self.trunks: set[int] = set()
        self._memo: dict = {}  # searches on the page image being carved (see rebuild.intact)
        self._profs_cache: dict[tuple[object, bool], tuple[list[Profile], bool]] = {}

    # -- page ownership ----------------------------------------------------------------------------
    def owner(self, pgno: int) -> TableDef | None:
        """The live table or index whose b-tree holds page ``pgno``, if any."""
        own = self._owner
        if pgno < len(own):
            k = own[pgno]
            if k >= 0:
                return self._defs[k]
        return None

    def _set_owner(self, pgno: int, k: int) -> None:
        own = self._owner
        if pgno >= len(own):
            own.extend([-1] * (pgno + 1 - len(own)))
        if own[pgno] < 0:
            own[pgno] = k

    def live_overflow(self, pgno: int) -> bool:
        """True if ``pgno`` is a page of a live record's overflow chain."""
        return pgno < len(self._ovf) and self._ovf[pgno] == 1

    def _is_live_page(self, pgno: int) -> bool:
        return self.live_overflow(pgno) or self.owner(pgno) is not None

    def _reused(self, pgno: int) -> bool:
        """True if the main file's own image of ``pgno`` is live data now (a freed page reused).

        A page the WAL rewrote keeps its older content in the main file, whatever it holds now.
        """
        return pgno not in self.d.latest and self._is_live_page(pgno)

    def _rowid_in_table(self, table: str, rowid: int) -> bool:
        td = self.d.table(table)
        return td is not None and find_rowid(self.d.get, td.root, rowid, self.U, self.d.max_page)

    # -- live state ----------------------------------------------------------------------------
    def scan_live(self) -> None:
        """Fingerprint every live record; learn signatures, page owners and UNIQUE keys.

        Table records are fingerprinted (record bytes and rowid); index b-trees only give
        page ownership, samples and overflow pages: a carved index entry is judged by its
        rowid instead (see :meth:`_consider`), which saves parsing every live index cell.
        """
        d = self.d
        defs = [SQLITE_MASTER, *d.schema]
        layouts = Counter(map(_layout, defs))
        pools: dict[tuple[object, ...], list[list[int]]] = {}
        for k, td in enumerate(defs):
            self._defs.append(td)
            # Tables of a layout shared by many (WeChat's Chat_<md5>) pool their samples: once SAMPLES are
            # pooled, each further table samples SAMPLES_OWN records, and its profile adds the pool's when it
            # has more records than that (a table sampled whole keeps a profile of its own records only).
            layout = _layout(td)
            pool = pools.setdefault(layout, []) if layouts[layout] >= _POOLED else None
            budget = SAMPLES_OWN if pool is not None and len(pool) >= SAMPLES else SAMPLES
            samples: list[list[int]] = []
            counts = [0, 0]  # records, largest rowid
            tid = self.live.table_id(td.name) if td.kind == "table" else -1
            for pgno, page, bp in walk_btree(d.get, td.root, self.U, d.max_page):
                self._set_owner(pgno, k)
                if bp.kind == TABLE_LEAF and tid >= 0:
                    self._live_table_leaf(page, bp, tid, samples, counts, budget)
                elif bp.kind in (TABLE_LEAF, INDEX_LEAF, INDEX_INTERIOR):
                    self._live_index_page(page, bp, td.kind != "index", samples, counts, budget)
            if pool is not None and budget == SAMPLES:
                pool += samples[:SAMPLES - len(pool)]
            elif pool is not None and counts[0] > len(samples):
                samples = samples + pool
            self.samples[td.name] = samples
            self.max_rowid[td.name] = counts[1]
            self.nlive[td.name] = counts[0]
        self._unique_keys()

    def _live_table_leaf(
        self, page: bytes, bp: BTreePage, tid: int, samples: list[list[int]], counts: list[int], budget: int
    ) -> None:
        """Fingerprint the records and rowids of one live table leaf page (varints inline)."""
        U = self.U
        x = U - 35  # payloads up to x bytes are stored whole in the cell
        keys: list[int] = []
        add = keys.append
        maxr = counts[1]
        n = 0
        for off in bp.cell_pointers:
            try:
                psize, p = _varint(page, off, U)
                rid, p = _varint(page, p, U)
            except (FormatError, IndexError):
                continue
            if rid >= 1 << 63:
                rid -= 1 << 64
            local = psize if psize <= x else local_payload(psize, U, False)
            if p + local + (4 if local < psize else 0) > U:
                continue
            body = page[p : p + local]
            add(live_key(psize, body))
            add(hash((tid, rid)))
            if rid > maxr:
                maxr = rid
            n += 1
            if len(samples) < budget:
                try:
                    samples.append(parse_record_header(body, 0, local)[0])
                except FormatError:
                    pass
            if local < psize:
                self._mark_overflow(int.from_bytes(page[p + local : p + local + 4], "big"))
        self.live.seen.add_hashes(keys)
        counts[0] += n
        counts[1] = maxr

    def _live_index_page(
        self, page: bytes, bp: BTreePage, fingerprint: bool, samples: list[list[int]], counts: list[int], budget: int
    ) -> None:
        """Samples and overflow chains of one live index-format page (records of WITHOUT ROWID
        tables are fingerprinted too: they have no rowid to be judged by)."""
        U = self.U
        shift = 4 if bp.kind == INDEX_INTERIOR else 0
        x = ((U - 12) * 64 // 255) - 23 if bp.kind != TABLE_LEAF else U - 35
        table = bp.kind == TABLE_LEAF
        full = fingerprint or table
        if not full and len(samples) >= budget and bp.cell_pointers:
            # A cell with an overflow chain keeps at least ``m`` payload bytes in the page, so
            # when no two neighbouring cells are that far apart there is nothing to follow.
            m = ((U - 12) * 32 // 255) - 23
            ptrs = sorted(bp.cell_pointers)
            ptrs.append(U)
            if max(map(operator.sub, ptrs[1:], ptrs[:-1])) < m + 5 + shift:
                counts[0] += bp.ncells
                return
        for off in bp.cell_pointers:
            o = off + shift
            if not full and len(samples) >= budget and o < U and page[o] < 0x80 and page[o] <= x:
                counts[0] += 1  # a short payload: no overflow chain, nothing else to learn
                continue
            try:
                c = parse_leaf_cell(page, o, table, U)
            except FormatError:
                continue
            counts[0] += 1
            if full or len(samples) < budget:
                local = page[c.local_start : c.local_start + c.local_size]
                if full:
                    self.live.add_payload(live_key(c.payload_size, local))
                if len(samples) < budget:
                    try:
                        samples.append(parse_record_header(local, 0, len(local))[0])
                    except FormatError:
                        pass
            if c.overflow:
                self._mark_overflow(c.overflow)

    def _mark_overflow(self, first: int) -> None:
        pg = first
        ovf = self._ovf
        while pg and 1 <= pg <= self.d.max_page and not self.live_overflow(pg):
            if pg >= len(ovf):
                ovf.extend(bytes(pg + 1 - len(ovf)))
            ovf[pg] = 1
            data = self.d.get(pg)
            if data is None:
                break
            pg = int.from_bytes(data[:4], "big")

    def _older_owners(self) -> None:
        """Owners of pages that left their b-tree in a transaction still in the WAL.

        Such a page (say, a leaf emptied by deletes) has no owner in the committed state, and
        tables of one shape (WeChat's ``Chat_<md5>``) cannot be told apart by their records.
        The older images of interior pages (the main file's copy of a page the WAL rewrote,
        and every WAL frame) still list it as a child of the table's interior page.
        """
        d = self.d
        imgs: list[tuple[int, bytes, bool]] = []
        for pg in d.latest:
            if pg <= d.file_pages and (img := d.db_page(pg)) is not None:
                imgs.append((pg, img, True))
        if d.wal is not None:
            imgs += [(fr.pgno, d.wal.page(fr), False) for fr in d.wal.frames]
        interiors = []
        for pg, img, main in imgs:
            if len(img) > 100 and img[100 if pg == 1 else 0] in (TABLE_INTERIOR, INDEX_INTERIOR):
                try:
                    kids = interior_children(img, parse_btree_page(img, pg, self.U), self.U)
                except FormatError:
                    continue
                interiors.append((pg, kids))
                k = self._owner[pg] if pg < len(self._owner) else -1
                if main and k >= 0:
                    # The main file's own tree: who owned a page before the WAL's transactions
                    # (freed there, the page may belong to another table now).
                    for c in kids:
                        self._main_owner.setdefault(c, k)
        old = self._old_owner
        for _ in range(3):  # an orphaned interior page's own children: a second round
            grew = False
            for pg, kids in interiors:
                k = self._owner[pg] if pg < len(self._owner) else -1
                if k < 0:
                    k = old.get(pg, -1)
                if k < 0:
                    continue
                for c in kids:
                    if c >= 1 and self.owner(c) is None and c not in old:
                        old[c] = k
                        grew = True
            if not grew:
                break

    def _unique_keys(self) -> None:
        tables = {t.name.lower(): t for t in self.d.schema if t.kind == "table"}
        wanted = self._unique_for
        for idx in self.d.schema:
            if idx.kind != "index" or not idx.unique or (wanted is not None and idx.table.lower() not in wanted):
                continue
            table = tables.get(idx.table.lower())
            if table is None:
                continue
            names = [c.name.lower() for c in idx.columns[:-1]]
            col_index = {c.name.lower(): i for i, c in enumerate(table.columns)}
            if not names or any(n not in col_index for n in names):
                continue
            cis = [col_index[n] for n in names]
            if table.alias in cis:
                continue
            positions = [table.record_order.index(ci) for ci in cis if ci in table.record_order]
            if len(positions) != len(cis):
                continue
            width = len(cis)
            if self._live_conn is not None and not _PARTIAL.search(idx.sql or ""):
                try:  # the same keys, read by SQLite: every row's values of those columns (quicker by far)
                    self.live.add_unique(table.name, positions, self._sql_keys(table, [table.columns[ci].name
                                                                                        for ci in cis]))
                    continue
                except sqlite3.Error:  # (the keys added so far are live ones: the walk below adds them again)
                    pass
            self.live.add_unique(table.name, positions, (tuple(values[:width]) for values in self.d.records(idx.root)))

    def _sql_keys(self, table: TableDef, columns: list[str]) -> Iterator[tuple[object, ...]]:
        """The values of ``columns`` in every live row of ``table``, through the caller's connection to the same
        database (what it sees is the committed state this engine calls live)."""
        assert self._live_conn is not None
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        cursor = self._live_conn.cursor()
        cursor.row_factory = None
        cursor.execute(f'SELECT {quoted} FROM "{table.name.replace(chr(34), chr(34) * 2)}"')
        while batch := cursor.fetchmany(4096):
            yield from batch

    # -- profiles ------------------------------------------------------------------------------
    def build_profiles(self, defs: list[TableDef]) -> None:
        """Profiles for every table, index and dropped table (signatures from live samples)."""
        self.profiles: list[Profile] = []
        for td in defs:
            if not td.record_order:
                continue
            p = make_profile(
                td, self.samples.get(td.name, []), self.max_rowid.get(td.name, 0), self.nlive.get(td.name, 0)
            )
            self.profiles.append(p)
        self.by_name = {p.td.name: p for p in self.profiles}
        self._rowid_tables = {p.td.name.lower(): p.td.name for p in self.profiles if p.td.kind == "table"}
        self.root_owner: dict[int, Profile] = {p.td.root: p for p in self.profiles if p.td.dropped}
        self._profs_cache = {}

    def _profs_for(self, pgno: int, index: bool) -> tuple[list[Profile], bool]:
        """Profiles to try on a page, the page's owner first; and whether an owner is known.

        The lists are shared by every page with the same first profile (they are never
        modified), so page memos can key on their identity.
        """
        k = self._main_owner.get(pgno) if self._main_image else None
        own = self._defs[k] if k is not None else self.owner(pgno)
        if own is None:
            k = self._old_owner.get(pgno)
            own = self._defs[k] if k is not None else None
        first = self.by_name.get(own.name) if own is not None else self.root_owner.get(pgno)
        ckey = (id(first) if first is not None else None, index)
        got = self._profs_cache.get(ckey)
        if got is not None:
            return got
        # By identity: profiles are compared field by field otherwise (a WeChat file has hundreds of them).
        out = [p for p in self.profiles if p.index_format == index and p is not first]
        if first is not None and first.index_format == index and any(p is first for p in self.profiles):
            out.insert(0, first)
            got = (out, True)
        else:
            got = (out, False)
        self._profs_cache[ckey] = got
        return got

    def find_dropped(self) -> list[TableDef]:
        """Table/index definitions carved from ``sqlite_master`` pages that are no longer live."""
        self.profiles = [make_profile(SQLITE_MASTER, self.samples.get("sqlite_master", []), 0, 0)]
        self.by_name = {"sqlite_master": self.profiles[0]}
        self.root_owner = {}
        pages = {pg for pg, k in enumerate(self._owner) if k == 0} | {1}  # _defs[0] is sqlite_master
        rows: list[tuple[object, ...]] = []
        for pgno, page, _role in self._versions(pages):
            for hit, _where in self.carve_image(page, pgno, "old"):
                if hit.prof.td is not SQLITE_MASTER:
                    continue
                vals, _ok, _ = self._values(hit, page, lambda _p: None)
                rows.append(tuple(vals))
        live_names = {t.name.lower() for t in self.d.schema}
        live_roots = {t.root for t in self.d.schema}
        fresh = [r for r in rows if isinstance(r[1], str) and r[1].lower() not in live_names and r[3] not in live_roots]
        seen: set[str] = set()
        uniq = []
        for r in fresh:
            if str(r[1]).lower() not in seen:
                seen.add(str(r[1]).lower())
                uniq.append(r)
        return build_schema(uniq, dropped=True)

    def _versions(self, pages: set[int]) -> Iterator[tuple[int, bytes, str]]:
        d = self.d
        for pg in sorted(pages):
            data = d.db_page(pg)
            if data is not None:
                yield pg, data, "old"
        if d.wal is not None:
            for fr in d.wal.frames:
                if fr.pgno in pages:
                    yield fr.pgno, d.wal.page(fr), "old"
        if d.journal is not None:
            for jp in d.journal.pages:
                if jp.pgno in pages:
                    yield jp.pgno, d.journal.page(jp), "old"

    # -- carving one page image --------------------------------------------------------------------
    def carve_image(self, page: bytes, pgno: int, role: str) -> list[tuple[Hit, str]]:
        """Records in one page image. ``role``: live (free space only), old/freelist (all cells), trunk/orphan."""
        out: list[tuple[Hit, str]] = []
        U = self.U
        self._memo = {}
        try:
            bp: BTreePage | None = parse_btree_page(page, pgno, U)
        except FormatError:
            bp = None
        if bp is None:
            if role == "live":
                return out
            start = 0
            if role == "trunk" or self._looks_trunk(page):
                n = int.from_bytes(page[4:8], "big")
                start = 8 + 4 * min(n, (U - 8) // 4)
            elif int.from_bytes(page[:4], "big") <= self.d.max_page:
                return out  # a freed overflow page: read through the chain of the cell that owned it
            if _looks_random(page, start):
                return out  # garbage (a WAL frame of random bytes, encrypted or compressed data): no cell in it
            for idx in (False, True):
                profs, owned = self._profs_for(pgno, idx)
                hits = self.scan(page, start, U, profs, idx, owned, anchors=True)
                out += [(h, "scan") for h in hits]
            return out
        if bp.kind not in (TABLE_LEAF, INDEX_LEAF):
            # An interior page that used to be a leaf (e.g. a root that split) keeps old
            # leaf cells in its unallocated space.
            # Old interior cells (4-byte child page + rowid) look just like freeblock headers,
            # so stale-freeblock candidates are not tried here (they only gave false cells).
            if bp.content_start > bp.array_end:
                profs, owned = self._profs_for(pgno, bp.kind == INDEX_INTERIOR)
                hits = self.scan(
                    page, bp.array_end, min(bp.content_start, U), profs, bp.kind == INDEX_INTERIOR, owned, stale=False
                )
                out += [(h, "gap") for h in hits]
            return out
        index = bp.kind == INDEX_LEAF
        profs, owned = self._profs_for(pgno, index)
        if not profs:
            return out
        if role != "live":
            for off in bp.cell_pointers:
                h = intact(page, off, U, profs, U, self.enc, index, self._memo)
                if h is not None:
                    out.append((h, "cell"))
        for off, size in freeblocks(page, bp, U):
            hits = self.chain(page, off, off + size, profs, index, owned, True)
            out += [(h, "freeblock") for h in hits]
        a, b = bp.array_end, min(bp.content_start, U)
        if b > a:
            out += [(h, "gap") for h in self.scan(page, a, b, profs, index, owned)]
        return out

    def _looks_trunk(self, page: bytes) -> bool:
        """True if a page image has the layout of a freelist trunk page."""
        nxt = int.from_bytes(page[:4], "big")
        n = int.from_bytes(page[4:8], "big")
        if nxt > self.d.max_page or n > (self.U - 8) // 4:
            return False
        return all(1 <= int.from_bytes(page[8 + 4 * i : 12 + 4 * i], "big") <= self.d.max_page for i in range(n))

    def chain(
        self,
        page: bytes,
        s: int,
        limit: int,
        profs: list[Profile],
        index: bool,
        owned: bool,
        lost: bool,
        tail_scan: bool = True,
    ) -> list[Hit]:
        """Consecutive cells from ``s`` (a freeblock, or the end of a found cell) up to ``limit``."""
        out: list[Hit] = []
        pos = s
        first = lost
        U, enc, memo = self.U, self.enc, self._memo
        while pos + 4 <= limit:
            if _NONZERO.search(page, pos + (4 if first else 0), limit) is None:
                break  # only zeros left (secure_delete)
            h = None
            if not first:
                for p in range(pos, min(pos + 4, limit - 3)):
                    h = intact(page, p, limit, profs, U, enc, index, memo)
                    if h is not None:
                        break
            if h is None:
                h = best_lost(page, pos, limit, profs, U, enc, owned=owned, memo=memo)
            if h is None and lost and not first:
                for p in range(pos + 1, min(pos + 4, limit - 3)):
                    h = best_lost(page, p, limit, profs, U, enc, owned=owned, memo=memo)
                    if h is not None:
                        break
            if h is None:
                break
            out.append(h)
            pos = h.end
            first = False
        if tail_scan and lost and pos + 4 <= limit and (not out or pos < limit - 3):
            out += self.scan(page, pos + (0 if out else 4), limit, profs, index, owned, stale=False)
        return out

    def scan(
        self,
        page: bytes,
        a: int,
        b: int,
        profs: list[Profile],
        index: bool,
        owned: bool = False,
        anchors: bool = False,
        stale: bool = True,
    ) -> list[Hit]:
        """Intact cells anywhere in ``page[a:b]`` (each followed by a chain of adjacent cells)."""
        out: list[Hit] = []
        if b - a < 4 or _NONZERO.search(page, a, b) is None:
            return out  # zeroed space (never written, or secure_delete): nothing to find
        pos = a
        U, enc = self.U, self.enc
        reps = shapes_of(profs, self._memo)
        covered: list[tuple[int, int]] = []
        while pos < b - 3:
            if not page[pos]:
                m = _NONZERO.search(page, pos, b)
                if m is None:
                    break
                pos = m.start()
            # The probe runs at every non-zero byte: called without the page memo (a probe
            # here is never repeated, and remembering each failure would cost more).
            h = intact_at(page, pos, b, reps, U, enc, index)
            if h is None:
                pos += 1
                continue
            out.append(h)
            covered.append((h.start, h.end))
            more = self.chain(page, h.end, b, profs, index, owned, False) if h.end + 4 <= b else []
            covered += [(x.start, x.end) for x in more]
            out += more
            pos = max([h.end] + [x.end for x in more])
        if stale and not index:
            # Index cells are too short for a rebuilt head to be trusted: on every test file
            # and the benchmark, stale headers in index pages never gave a record.
            out += self._stale_freeblocks(page, a, b, profs, index, owned, out)
        if anchors and not index:
            out += self._anchored(page, a, b, profs, index, owned, out)
        return out

    def _stale_freeblocks(
        self, page: bytes, a: int, b: int, profs: list[Profile], index: bool, owned: bool, found: list[Hit]
    ) -> list[Hit]:
        """Cells inside old freeblocks that were absorbed into unallocated space.

        When the cell-content area shrinks past a freeblock, the freeblock's 4-byte header
        (next offset, size) stays in the bytes. Such headers are easy to spot (both fields
        are smaller than the page) and mark where a run of overwritten cells starts.
        """
        U = self.U
        hi = (U - 1) >> 8
        rx = _stale_header_re(hi)
        taken = bytearray(len(page))  # 1 where a cell was already found
        _mark(taken, found)
        out: list[Hit] = []
        x = a
        while x + 8 <= b:
            # Skip at once to the next place where a header could be (both fields < page size,
            # size >= 8): zero runs and text are passed over by the regex engine.
            mt = rx.search(page, x, b)
            if mt is None:
                break
            x = mt.start()
            if x + 8 > b:
                break
            nxt = (page[x] << 8) | page[x + 1]
            size = (page[x + 2] << 8) | page[x + 3]
            # SQLite keeps a page's freeblocks in order, apart, and inside the page: a header it wrote names
            # no next block at or before its own end (+3) and no size past the page's end.
            if size < 8 or x + size > U or (nxt and (nxt >= U or nxt <= x + size + 3)) \
                    or not any(page[x + 4 : x + 12]):
                x += 1
                continue
            if taken[x]:
                x += 1
                continue
            end = min(b, x + size)
            hits = self.chain(page, x, end, profs, index, owned, True, tail_scan=False)
            # The stale header is evidence in itself: a perfect fit right at it is enough.
            hits = [h for h in hits if h.intact or h.score >= 1.0 or (h.start == x and h.misfit == 0)]
            if hits and hits[0].start == x:
                out += hits
                _mark(taken, hits)
                x = max(h.end for h in hits)
            else:
                x += 1
        return out

    def _anchored(
        self, page: bytes, a: int, b: int, profs: list[Profile], index: bool, owned: bool, found: list[Hit]
    ) -> list[Hit]:
        """Rebuilt cells at offsets named by stale cell pointers or stale freeblock headers."""
        taken = [(h.start, h.end) for h in found]
        cands: set[int] = set()
        for off in range(a, min(b, a + 2 * 600), 2):
            v = int.from_bytes(page[off : off + 2], "big")
            if a + 8 <= v < b - 4:
                cands.add(v)
        out: list[Hit] = []
        for v in sorted(cands):
            if any(s <= v < e for s, e in taken):
                continue
            hits = self.chain(page, v, b, profs, index, owned, True)
            good = [h for h in hits if h.score >= 1.0 or h.intact]
            for h in good:
                if not any(s <= h.start < e for s, e in taken):
                    out.append(h)
                    taken.append((h.start, h.end))
        return out

    def _top_page(self) -> int:
        """The largest page number any stored image has (main file, WAL frames, journal)."""
        top = self._top
        if top is None:
            d = self.d
            top = max(d.max_page, d.file_pages)
            if d.wal is not None:
                top = max([top, *(fr.pgno for fr in d.wal.frames)])
            if d.journal is not None:
                top = max([top, *(jp.pgno for jp in d.journal.pages)])
            self._top = top
        return top

    # -- values ----------------------------------------------------------------------------------
    def _values(
        self, hit: Hit, page: bytes, get: PageGetter, check_live: bool = False
    ) -> tuple[list[object], bool, bool]:
        """Decode a hit's values, following its overflow chain through ``get``."""
        payload = hit.local_payload(page)
        used = False
        damaged: list[tuple[int, int]] = []  # payload ranges overwritten by freelist trunk headers
        if hit.overflow:
            need = hit.payload_size - len(payload)
            stop = self._reused if check_live else None
            # An older snapshot (WAL frame, journal) may hold pages past the current end of
            # the file (auto-vacuum truncates it): any page number stored somewhere is valid.
            top = self._top_page()
            rest, pages = read_overflow(get, hit.overflow, need, self.U, top, stop=stop)
            for k, pg in enumerate(pages):
                if pg in self.trunks:
                    # Only the trunk page itself lost bytes: an older image of the same page
                    # (a WAL frame or journal record from before it became a trunk) is whole.
                    data = get(pg) or b""
                    if get is not self._main_get and data != self.d.get(pg):
                        continue
                    cnt = min(int.from_bytes(data[4:8], "big"), (self.U - 8) // 4)
                    base = len(payload) + k * (self.U - 4)
                    damaged.append((base, base + 4 + 4 * cnt))
                    if k < len(pages) - 1:
                        # A trunk's first 4 bytes now name the next trunk, not the chain's next
                        # page: what was read after it belongs to other pages.
                        damaged.append((base + self.U - 4, hit.payload_size))
            if pages and len(rest) == need and pages[-1] not in self.trunks:
                last = get(pages[-1]) or b""
                if last[:4] != b"\x00\x00\x00\x00":
                    # The last page of a chain points nowhere: this one points on, so some page
                    # of the chain was reused and holds another record's bytes.
                    damaged.append((len(payload), hit.payload_size))
            payload += rest
            used = bool(pages)
        values, complete = self._decode(hit, payload, damaged)
        if hit.overflow and not complete:
            other = self._other_chain(hit, hit.local_payload(page), check_live)
            if other is not None:
                values, complete = self._decode(hit, other, [])
                used = True
        return values, complete, used

    def _decode(self, hit: Hit, payload: bytes, damaged: list[tuple[int, int]]) -> tuple[list[object], bool]:
        """The values of a hit from its full payload (``damaged`` payload ranges give None)."""
        values: list[object] = []
        complete = True
        p = len(hit.header)
        n = len(payload)
        for st in hit.types:
            size = serial_size(st)
            if p + size > n or any(a < p + size and p < b for a, b in damaged):
                values.append(None)
                complete = False
            else:
                try:
                    values.append(decode_value(st, payload, p, self.enc))
                except FormatError:
                    values.append(None)
                    complete = False
            p += size
        return values, complete

    def _other_chain(self, hit: Hit, local: bytes, check_live: bool) -> bytes | None:
        """The full payload of a long record whose chain did not hold in its own snapshot.

        The pages of a freed chain are often kept only in another version: a journal
        record of another transaction, a WAL frame of a later commit, the main file. Every
        stored version of each page is tried; a chain must end exactly (the next-page
        pointer is 0 on its last page only) and every value must decode strictly. Of the
        complete chains, the one whose pages were stored closest together (same file,
        nearest journal records or WAL frames: written by one transaction) is taken when
        it is the only one that close; otherwise the value stays unknown.
        """
        need = hit.payload_size - len(local)
        room = self.U - 4
        top = self._top_page()
        chains: list[tuple[int, bytes]] = []  # (spread of the pages' positions, overflow bytes)
        budget = [512]

        def walk(pg: int, parts: list[bytes], where: list[tuple[int, int]], left: int, seen: frozenset[int]) -> None:
            take = min(room, left)
            for src, pos, img in self._images_of(pg, check_live):
                if budget[0] <= 0:
                    return
                nxt = int.from_bytes(img[:4], "big")
                here = [*where, (src, pos)]
                if take == left:
                    if nxt == 0:
                        srcs = {w[0] for w in here}
                        poss = [w[1] for w in here]
                        spread = max(poss) - min(poss) if len(srcs) == 1 else 1 << 40
                        chains.append((spread, b"".join([*parts, img[4 : 4 + take]])))
                elif 1 <= nxt <= top and nxt not in seen:
                    budget[0] -= 1
                    walk(nxt, [*parts, img[4 : 4 + take]], here, left - take, seen | {pg})

        if 1 <= hit.overflow <= top:
            walk(hit.overflow, [], [], need, frozenset({hit.overflow}))
        if not chains:
            return None
        best = min(c[0] for c in chains)
        payloads = {c[1] for c in chains if c[0] == best}
        if len(payloads) != 1:
            return None
        payload = local + payloads.pop()
        if not values_ok(hit.types, payload, len(hit.header), len(payload), self.enc):
            return None
        return payload

    def _images_of(self, pgno: int, check_live: bool) -> list[tuple[int, int, bytes]]:
        """Every distinct stored image of page ``pgno`` as ``(source, position, image)``:
        WAL frames (source 0, frame number), journal records (1, record number), main file (2, 0)."""
        d = self.d
        if self._page_versions is None:
            self._page_versions = {}
            if d.wal is not None:
                for fr in d.wal.frames:
                    self._page_versions.setdefault(fr.pgno, []).append((0, fr.index, fr))
            if d.journal is not None:
                for n, jp in enumerate(d.journal.pages):
                    self._page_versions.setdefault(jp.pgno, []).append((1, n, jp))
        out: list[tuple[int, int, bytes]] = []
        seen: set[bytes] = set()
        for src, pos, ref in self._page_versions.get(pgno, ()):
            img = d.wal.page(ref) if src == 0 else d.journal.page(ref)  # type: ignore[union-attr, arg-type]
            if img not in seen:
                seen.add(img)
                out.append((src, pos, img))
        if not (check_live and self._reused(pgno)) and pgno <= d.file_pages:
            img = d.db_page(pgno)
            if img is not None and img not in seen:
                out.append((2, 0, img))
        return out

    # -- main loop ---------------------------------------------------------------------------------
    def images(self) -> Iterator[tuple[int, bytes, str, str, str, int | None, PageGetter]]:
        """Every page image to carve: ``(pgno, page, role, cell_area, free_area, frame, getter)``."""
        d = self.d
        trunks, leaves = d.freelist()
        trunk_set, leaf_set = set(trunks), set(leaves)
        first_frame: dict[int, int] = {}
        if d.wal is not None:
            for fr in d.wal.frames:
                if fr.valid:
                    first_frame.setdefault(fr.pgno, fr.index)
        main_get = self._main_get
        for pg in range(1, d.file_pages + 1):
            if pg in d.ptrmaps or (self.live_overflow(pg) and pg not in d.latest):  # (an older image is carved)
                continue
            data = d.db_page(pg)
            if data is None:
                continue
            if pg in d.latest:
                yield pg, data, "old", "wal", "", first_frame.get(pg), main_get
            elif pg in leaf_set:
                yield pg, data, "freelist", "freelist", "freelist", None, main_get
            elif pg in trunk_set:
                yield pg, data, "trunk", "freelist", "freelist", None, main_get
            elif self.owner(pg) is not None:
                yield pg, data, "live", "", "", None, main_get
            else:
                yield pg, data, "orphan", "unallocated", "unallocated", None, main_get
        if d.wal is not None:
            wal = d.wal
            history: dict[int, list[tuple[int, object]]] = {}
            for fr in wal.frames:
                history.setdefault(fr.pgno, []).append((fr.index, fr))
            # A frame's snapshot is the state at the end of its transaction: the overflow
            # pages of a row are often written in later frames of the same commit. Frames
            # with other salts belong to another generation of the WAL (before or after a
            # restart) and never describe the same moment.
            ends: dict[int, int] = {}
            pending: list[int] = []
            for k, fr in enumerate(wal.frames):
                pending.append(k)
                nxt = wal.frames[k + 1] if k + 1 < len(wal.frames) else None
                if fr.commit_size or nxt is None or nxt.salt != fr.salt:
                    for j in pending:
                        ends[wal.frames[j].index] = fr.index
                    pending = []
            for fr in wal.frames:
                if fr.pgno in d.ptrmaps:
                    continue
                data = wal.page(fr)
                area = "wal" if fr.valid else "wal-stale"
                latest = d.latest.get(fr.pgno)
                if latest is fr and self.owner(fr.pgno) is not None:
                    role = "live"
                elif fr.pgno in trunk_set and latest is fr:
                    role = "trunk"
                else:
                    role = "old"
                getter = self._wal_getter(ends.get(fr.index, fr.index), fr.salt, history)
                yield fr.pgno, data, role, area, area, fr.index, getter
        if d.journal is not None:
            jr = d.journal
            jpages: dict[int, object] = {}
            for jp in jr.pages:
                jpages.setdefault(jp.pgno, jp)

            def jget(p: int) -> bytes | None:
                jp = jpages.get(p)
                return jr.page(jp) if jp is not None else d.db_page(p)  # type: ignore[arg-type]

            for jp in jr.pages:
                if jp.pgno in d.ptrmaps:
                    continue
                yield jp.pgno, jr.page(jp), "old", "journal", "journal", None, jget

    def _wal_getter(
        self, index: int, salt: tuple[int, int], history: dict[int, list[tuple[int, object]]]
    ) -> PageGetter:
        """Pages as they were after WAL frame ``index`` (frames of the same salt generation only)."""
        d = self.d

        def get(p: int) -> bytes | None:
            best = None
            for i, fr in history.get(p, ()):
                if i <= index and fr.salt == salt:  # type: ignore[attr-defined]
                    best = fr
            if best is not None and d.wal is not None:
                return d.wal.page(best)  # type: ignore[arg-type]
            return d.db_page(p)

        return get

    def run(self) -> list[CarvedRecord]:
        """Carve everything and return the deleted records (sorted by table, rowid, location)."""
        self.scan_live()
        self.trunks = set(self.d.freelist()[0])
        self._older_owners()
        dropped = self.find_dropped()
        self.build_profiles([*self.d.schema, *dropped, SQLITE_MASTER])
        # Index b-tree pages only serve to restore rowids: they are carved at the end, and
        # only those holding the key of a record that needs its rowid (see rowids.py).
        defer = not any(p.index_format and p.td.kind != "index" for p in self.profiles)
        deferred: set[int] = set()  # positions in images() of the index pages
        for i, (pgno, page, role, cell_area, free_area, frame, get) in enumerate(self.images()):
            if defer and self._is_index_page(page, pgno):
                deferred.add(i)
                continue
            self._main_image = get is self._main_get and pgno in self.d.latest
            self._carve_one(pgno, page, role, cell_area, free_area, frame, get)
        self._main_image = False
        if deferred:
            self._carve_index_pages(deferred)
        return self._finish()

    def _carve_one(
        self, pgno: int, page: bytes, role: str, cell_area: str, free_area: str, frame: int | None, get: PageGetter
    ) -> None:
        """Carve one page image (identical images are carved once) and keep what it holds."""
        digest = hashlib.blake2b(page, digest_size=16).digest() + role.encode()
        if digest in self._seen_images:
            return
        self._seen_images.add(digest)
        for hit, where in self.carve_image(page, pgno, role):
            self._consider(hit, where, page, pgno, cell_area, free_area, frame, get)

    def _is_index_page(self, page: bytes, pgno: int) -> bool:
        if page[100 if pgno == 1 else 0] not in (INDEX_LEAF, INDEX_INTERIOR):
            return False
        try:
            parse_btree_page(page, pgno, self.U)
        except FormatError:
            return False
        return True

    def _carve_index_pages(self, deferred: set[int]) -> None:
        """Second pass over the index pages (``deferred`` positions in :meth:`images`): the
        entries that may give a needed rowid back (see :mod:`reclaim.sqlite.rowids`)."""
        wanted_tables = self._unique_for  # rowids only matter for the records someone asked for
        records = [(f.hit.prof.td, f.values) for f in self.store.all() if f.hit.rowid is None
                   and (wanted_tables is None or f.hit.prof.td.name.lower() in wanted_tables)]
        wanted = needles(records, restorers(p.td for p in self.profiles), self.enc)
        if wanted is None:
            return
        for i, (pgno, page, role, cell_area, free_area, frame, get) in enumerate(self.images()):
            if i not in deferred:
                continue
            if isinstance(wanted, Wanted):
                digest = hashlib.blake2b(page, digest_size=16).digest() + b"k"
                if digest in self._seen_images:
                    continue
                self._seen_images.add(digest)
                for hit in self._entries_with(wanted, page, pgno, role == "live"):
                    self._consider(hit, "cell", page, pgno, cell_area, free_area, frame, get)
            else:
                self._carve_one(pgno, page, role, cell_area, free_area, frame, get)

    def _entries_with(self, wanted: Wanted, page: bytes, pgno: int, live: bool) -> list[Hit]:
        """Index entries of a page image that contain a wanted key (in its free space if ``live``).

        An intact entry is found from the key's position: its header ends ``before`` bytes
        ahead of it and starts with its own length, so only a few starts are possible. A
        key inside a freeblock is read with the freeblock's chain of rebuilt cells.
        """
        U = self.U
        self._memo = {}
        bp = parse_btree_page(page, pgno, U)
        profs, owned = self._profs_for(pgno, True)
        if not profs:
            return []
        maxh = 2 + 9 * max(p.ncols for p in profs)
        blocks = freeblocks(page, bp, U)
        out: list[Hit] = []
        done: set[int] = set()
        if live:  # the cells of a live page are live entries: only its free space can help
            regions = [(bp.array_end, min(bp.content_start, U)), *((o, o + n) for o, n in blocks)]
        else:
            regions = [(bp.array_end, U)]
        matches = [m for a, b in regions if b > a for m in wanted.pattern.finditer(page, a, b)]
        for m in matches:
            at = m.start()
            for before in wanted.offsets.get(m.group(), ()):
                hend = at - before
                for h in range(2, min(maxh, hend) + 1):
                    if page[hend - h] != h:
                        continue
                    for s in (hend - h - 1, hend - h - 2):
                        if s < bp.array_end or s in done:
                            continue
                        hit = intact(page, s, U, profs, U, self.enc, True, self._memo)
                        if hit is not None and hit.end > at:
                            done.add(s)
                            out.append(hit)
            for off, size in blocks:
                if off <= at < off + size and -off not in done:
                    done.add(-off)
                    # No tail scan: intact entries with a key were found from the key above.
                    out += self.chain(page, off, off + size, profs, True, owned, True, tail_scan=False)
        return out

    def _consider(
        self,
        hit: Hit,
        where: str,
        page: bytes,
        pgno: int,
        cell_area: str,
        free_area: str,
        frame: int | None,
        get: PageGetter,
    ) -> None:
        td = hit.prof.td
        if td.kind == "index":
            # Kept only to restore rowids: an entry whose rowid is live (a copy of a live
            # entry, or an older one) can never restore a deleted row's rowid.
            table = self._rowid_tables.get(td.table.lower())
            if table is None or not (hit.intact or hit.score >= 2.5):
                return
            rid = _last_int(hit, page)
            if rid is not None and self.live.maybe_rowid_live(table, rid):
                return  # (a false "maybe" costs one rowid restoration with probability < 1e-5)
            vals, ok, _ = self._values(hit, page, get)
            if ok and vals and isinstance(vals[-1], int) and not self.live.rowid_live(table, vals[-1]):
                self.index_entries.append((td, vals))
            return
        live = self.live
        if live.seen.has_hash(hit.live_key(page)):
            return  # the bytes of a live row: a stale copy
        store = self.store
        live_rowid = None
        key = hit.key(page)
        if hit.rowid is not None and live.rowid_live(td.name, hit.rowid):
            self._old_keys.add((td.name, key))
            if not self.superseded:
                return  # an older version of a live row (an UPDATE), not a deleted row
            store, live_rowid = self.old, hit.rowid
        if td.name.lower() in _INTERNAL or td.name.lower() == "sqlite_sequence":
            return
        prev = store.seen(key, hit.rowid)
        if (
            prev is not None
            and prev.complete
            and (prev.hit.rowid is not None or hit.rowid is None)
            and (prev.confidence >= 1.0 or not hit.intact or where != "cell")
        ):
            return
        if where == "cell":
            area = cell_area
        elif where == "freeblock":
            area = free_area or "freeblock"
        else:
            area = free_area or "unallocated"
        main = get is self._main_get
        vals, complete, used = self._values(hit, page, get, check_live=main)
        if live_rowid is None and live.unique_clash(td.name, vals):
            # The UNIQUE key of a live row: an older version of it (e.g. rewritten in place)
            live_rowid = self._unique_owner(td, vals) if self.superseded else None
            if live_rowid is None:
                return
            store = self.old
        if used and area in ("freeblock", "unallocated", "freelist"):
            area = "overflow"
        conf = self._confidence(hit, where, complete, vals)
        store.add(Found(hit, key, vals, complete, area, pgno, frame, conf, used, live_rowid))

    def _unique_owner(self, td: TableDef, values: list[object]) -> int | None:
        """The rowid of the live row holding the UNIQUE key found in ``values`` (superseded mode).

        The live UNIQUE index is read once into a dict, only when an older version needs
        it (so only in ``superseded`` mode, and only for tables where one was found).
        """
        for positions in self.live.unique.get(td.name, ()):
            if any(p >= len(values) for p in positions):
                continue
            key = tuple(values[p] for p in positions)
            if all(v is None for v in key):
                continue
            mapping = self._unique_rowids.get((td.name, tuple(positions)))
            if mapping is None:
                mapping = self._unique_rowids[(td.name, tuple(positions))] = self._read_unique(td, positions)
            rid = mapping.get(key)
            if rid is not None:
                return rid
        return None

    def _read_unique(self, table: TableDef, positions: list[int]) -> dict[tuple[object, ...], int]:
        """Live ``{key: rowid}`` of the UNIQUE index on ``table`` whose key is at record ``positions``."""
        col_index = {c.name.lower(): i for i, c in enumerate(table.columns)}
        for idx in self.d.schema:
            if idx.kind != "index" or not idx.unique or idx.table.lower() != table.name.lower():
                continue
            names = [c.name.lower() for c in idx.columns[:-1]]
            if any(n not in col_index for n in names):
                continue
            pos = [table.record_order.index(col_index[n]) for n in names if col_index[n] in table.record_order]
            if pos != list(positions):
                continue
            out: dict[tuple[object, ...], int] = {}
            for values in self.d.records(idx.root):
                if values and isinstance(values[-1], int):
                    out[tuple(values[: len(pos)])] = values[-1]
            return out
        return {}

    def _confidence(self, hit: Hit, where: str, complete: bool, vals: list[object]) -> float:
        if hit.intact:
            conf = 1.0 if where == "cell" else 0.9
        else:
            conf = 0.85 if hit.score >= 2.5 else 0.7 if hit.score >= 1.0 else 0.55
        conf -= 0.1 * hit.misfit
        if hit.prof.td.dropped:
            conf *= 0.95
        if not complete:
            known = sum(v is not None for v in vals)
            conf *= max(0.3, known / max(1, len(vals)))
        return max(0.05, min(1.0, conf))

    def _finish(self) -> list[CarvedRecord]:
        restore = self._rowid_map()
        self._unique_restorers = {(r.table, r.positions) for r in restorers(p.td for p in self.profiles) if r.unique}
        out: list[CarvedRecord] = []
        old_keys = self._old_keys
        # A copy without rowid of an older version of a live row is that version too.
        found = [
            (f, False)
            for f in self.store.all()
            if f.hit.rowid is not None or (f.hit.prof.td.name, f.key) not in old_keys
        ]
        if self.superseded:
            found += [(f, True) for f in self.old.all()]
        for f, old in found:
            td = f.hit.prof.td
            rowid = f.hit.rowid
            if old:
                rowid = f.live_rowid  # the same row: its rowid is the live one's
            elif rowid is None and td.kind == "table":
                rowid = self._restore_rowid(td, f.values, restore)
            values = row_dict(td, f.values, rowid)
            partial = not f.complete
            if td.alias is not None and rowid is None:
                partial = True
            out.append(
                CarvedRecord(
                    table=td.name,
                    values=values,
                    rowid=rowid,
                    area=f.area,
                    page=f.page,
                    offset=f.hit.start,
                    frame=f.frame if f.area in ("wal", "wal-stale") else None,
                    confidence=round(f.confidence, 3),
                    partial=partial,
                    superseded=old,
                    live_rowid=f.live_rowid if old else None,
                )
            )
        out.sort(key=lambda r: (r.table or "", r.rowid if r.rowid is not None else 1 << 63, r.page, r.offset))
        return out

    def _rowid_map(self) -> dict[tuple[str, tuple[int, ...]], dict[tuple[object, ...], set[int]]]:
        """Deleted index entries as ``(table, record positions) -> {key: {rowids}}``."""
        tables = {p.td.name.lower(): p.td for p in self.profiles if p.td.kind == "table"}
        out: dict[tuple[str, tuple[int, ...]], dict[tuple[object, ...], set[int]]] = {}
        for idx, vals in self.index_entries:
            table = tables.get(idx.table.lower())
            if table is None or len(vals) < 2 or not isinstance(vals[-1], int):
                continue
            pos = index_positions(idx, table)
            if pos is None:
                continue
            key = tuple(vals[: len(pos)])
            if all(v is None for v in key):
                continue
            out.setdefault((table.name, pos), {}).setdefault(key, set()).add(vals[-1])
        return out

    def _restore_rowid(
        self, td: TableDef, values: list[object], restore: dict[tuple[str, tuple[int, ...]], dict]
    ) -> int | None:
        """The rowid of a record, from the one deleted index entry with its key (None if not one).

        Keys shorter than :data:`~reclaim.sqlite.rowids.MIN_KEY` bytes are trusted only
        from UNIQUE indexes: a status flag shared by many rows names none of them.
        """
        unique = self._unique_restorers
        for (name, pos), mapping in restore.items():
            if name != td.name or any(p >= len(values) for p in pos):
                continue
            if (name, pos) not in unique:
                needle = key_needle(values, pos, self.enc)
                if needle is None or len(needle) < MIN_KEY:
                    continue
            cands = mapping.get(tuple(values[p] for p in pos))
            if cands and len(cands) == 1:
                rid = next(iter(cands))
                if not self.live.rowid_live(td.name, rid):
                    return rid
        return None


def carve(
    db: str | Path,
    *,
    wal: str | Path | bool | None = True,
    journal: str | Path | bool | None = True,
    tables: Iterable[str] | None = None,
    superseded: bool = False,
    live: sqlite3.Connection | None = None,
) -> Iterator[CarvedRecord]:
    """Every deleted record recoverable from a database file.

    ``wal``/``journal``: True looks for ``<db>-wal`` / ``<db>-journal`` beside the database,
    a path uses that file, False or None ignores it. ``tables`` limits the output to those
    tables (case-insensitive). ``superseded=True`` also yields the older versions of rows
    that are still live (an edited message, a renamed contact), flagged
    ``superseded=True`` with ``live_rowid`` naming the live row: they are not deleted rows,
    so they are left out by default. The files are opened read-only and never modified.
    ``live``: the caller's read-only connection to the same database (WAL replayed), if it has one: the
    live UNIQUE keys are read through it (without one, a file carved with no WAL or journal is read so by an
    immutable connection of its own).
    Raises :class:`reclaim.errors.CorruptFile` (at call time) if ``db`` is not a readable
    SQLite database; damaged pages inside a readable database are skipped.
    """
    database = Database(db, wal=wal, journal=journal)
    own: sqlite3.Connection | None = None
    try:
        if live is None and database.wal is None and database.journal is None:
            own = live = _immutable(Path(db))  # the file alone is the live state: SQLite reads it as it is
        wanted = {t.lower() for t in tables} if tables is not None else None
        records = Engine(database, superseded=superseded, unique_for=wanted, live=live).run()
    finally:
        database.close()
        if own is not None:
            own.close()

    def gen() -> Iterator[CarvedRecord]:
        for r in records:
            if wanted is None or (r.table or "").lower() in wanted:
                yield r

    return gen()


def _immutable(path: Path) -> sqlite3.Connection | None:
    """A connection that reads ``path`` as it is and never writes (no lock, no journal, no ``-shm``)."""
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return None


__all__ = ["Engine", "FileReader", "carve"]
