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
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from reclaim.sqlite.dedupe import Found, LiveIndex, Store
from reclaim.sqlite.format import (
    INDEX_INTERIOR,
    INDEX_LEAF,
    TABLE_LEAF,
    FormatError,
    decode_value,
    parse_record_header,
    serial_size,
)
from reclaim.sqlite.pages import (
    BTreePage,
    FileReader,
    freeblocks,
    parse_btree_page,
    parse_leaf_cell,
    read_overflow,
    walk_btree,
)
from reclaim.sqlite.reader import Database, row_dict
from reclaim.sqlite.rebuild import Hit, Profile, best_lost, intact, make_profile
from reclaim.sqlite.records import CarvedRecord
from reclaim.sqlite.schema import SQLITE_MASTER, TableDef, build_schema

_NONZERO = re.compile(rb"[^\x00]")
_STALE_RE: dict[int, re.Pattern[bytes]] = {}


def _stale_header_re(hi: int) -> re.Pattern[bytes]:
    """Pattern of a possible freeblock header: next-offset high byte and size high byte <= ``hi``, size >= 8."""
    rx = _STALE_RE.get(hi)
    if rx is None:
        c = re.escape(bytes([hi]))
        rx = _STALE_RE[hi] = re.compile(
            rb"(?=[\x00-" + c + rb"].(?:[\x01-" + c + rb"].|\x00[\x08-\xff]))", re.S
        )
    return rx
PageGetter = Callable[[int], "bytes | None"]
_INTERNAL = ("sqlite_master", "sqlite_schema", "sqlite_temp_master")


def _mark(mask: bytearray, hits: list[Hit]) -> None:
    """Set ``mask`` to 1 over the bytes of every hit."""
    n = len(mask)
    for h in hits:
        e = min(h.end, n)
        if e > h.start:
            mask[h.start : e] = b"\x01" * (e - h.start)


class Engine:
    """One carving run over an opened :class:`Database` (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.d = db
        self.U = db.usable
        self.enc = db.encoding
        self.live = LiveIndex()
        self.owner: dict[int, TableDef] = {}
        self.live_overflow: set[int] = set()
        self.samples: dict[str, list[list[int]]] = {}
        self.max_rowid: dict[str, int] = {}
        self.nlive: dict[str, int] = {}
        self.store = Store()
        self.index_entries: list[tuple[TableDef, list[object]]] = []
        self._seen_images: set[bytes] = set()
        self.trunks: set[int] = set()
        self._memo: dict = {}  # searches on the page image being carved (see rebuild.intact)
        self._profs_cache: dict[tuple[object, bool], tuple[list[Profile], bool]] = {}

    # -- live state ----------------------------------------------------------------------------
    def scan_live(self) -> None:
        """Fingerprint every live record; learn signatures, page owners and UNIQUE keys."""
        d = self.d
        for td in [SQLITE_MASTER, *d.schema]:
            index = td.kind != "table"
            samples: list[list[int]] = []
            rowids: set[int] = set()
            n = 0
            maxr = 0
            for pgno, page, bp in walk_btree(d.get, td.root, self.U, d.max_page):
                self.owner.setdefault(pgno, td)
                if bp.kind not in (TABLE_LEAF, INDEX_LEAF, INDEX_INTERIOR):
                    continue
                shift = 4 if bp.kind == INDEX_INTERIOR else 0
                for off in bp.cell_pointers:
                    try:
                        c = parse_leaf_cell(page, off + shift, not index, self.U)
                    except FormatError:
                        continue
                    local = page[c.local_start : c.local_start + c.local_size]
                    self.live.payloads.add(hash((c.payload_size, local)))
                    if c.rowid is not None:
                        rowids.add(c.rowid)
                        maxr = max(maxr, c.rowid)
                    n += 1
                    if len(samples) < 400:
                        try:
                            samples.append(parse_record_header(local, 0, len(local))[0])
                        except FormatError:
                            pass
                    if c.overflow:
                        self._mark_overflow(c.overflow)
            self.samples[td.name] = samples
            self.max_rowid[td.name] = maxr
            self.nlive[td.name] = n
            if not index:
                self.live.rowids[td.name] = rowids
        self._unique_keys()

    def _mark_overflow(self, first: int) -> None:
        pg = first
        while pg and 1 <= pg <= self.d.max_page and pg not in self.live_overflow:
            self.live_overflow.add(pg)
            data = self.d.get(pg)
            if data is None:
                break
            pg = int.from_bytes(data[:4], "big")

    def _unique_keys(self) -> None:
        tables = {t.name.lower(): t for t in self.d.schema if t.kind == "table"}
        for idx in self.d.schema:
            if idx.kind != "index" or not idx.unique:
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
            keys: set[tuple[object, ...]] = set()
            for values in self.d.records(idx.root):
                keys.add(tuple(values[: len(cis)]))
            self.live.unique_keys.setdefault(table.name, []).append((positions, keys))

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
        self.root_owner: dict[int, Profile] = {p.td.root: p for p in self.profiles if p.td.dropped}
        self._profs_cache = {}

    def _profs_for(self, pgno: int, index: bool) -> tuple[list[Profile], bool]:
        """Profiles to try on a page, the page's owner first; and whether an owner is known.

        The lists are shared by every page with the same first profile (they are never
        modified), so page memos can key on their identity.
        """
        own = self.owner.get(pgno)
        first = self.by_name.get(own.name) if own is not None else self.root_owner.get(pgno)
        ckey = (id(first) if first is not None else None, index)
        got = self._profs_cache.get(ckey)
        if got is not None:
            return got
        out = [p for p in self.profiles if p.index_format == index]
        if first is not None and first in out:
            out.remove(first)
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
        pages = {pg for pg, td in self.owner.items() if td is SQLITE_MASTER} | {1}
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
        pos = a
        U, enc, memo = self.U, self.enc, self._memo
        covered: list[tuple[int, int]] = []
        while pos < b - 3:
            m = _NONZERO.search(page, pos, b)
            if m is None:
                break
            pos = m.start()
            h = intact(page, pos, b, profs, U, enc, index, memo)
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
            if size < 8 or size > U or (nxt and nxt >= U) or not any(page[x + 4 : x + 12]):
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
            seen = set(self.live_overflow) | set(self.owner) if check_live else None
            rest, pages = read_overflow(get, hit.overflow, need, self.U, self.d.max_page, seen)
            for k, pg in enumerate(pages):
                if pg in self.trunks:
                    data = get(pg) or b""
                    cnt = min(int.from_bytes(data[4:8], "big"), (self.U - 8) // 4)
                    base = len(payload) + k * (self.U - 4)
                    damaged.append((base, base + 4 + 4 * cnt))
            payload += rest
            used = bool(pages)
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
        return values, complete, used

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
        main_get = d.db_page
        for pg in range(1, d.file_pages + 1):
            if pg in d.ptrmaps or pg in self.live_overflow:
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
            elif pg in self.owner:
                yield pg, data, "live", "", "", None, main_get
            else:
                yield pg, data, "orphan", "unallocated", "unallocated", None, main_get
        if d.wal is not None:
            wal = d.wal
            history: dict[int, list[tuple[int, object]]] = {}
            for fr in wal.frames:
                history.setdefault(fr.pgno, []).append((fr.index, fr))
            for fr in wal.frames:
                if fr.pgno in d.ptrmaps:
                    continue
                data = wal.page(fr)
                area = "wal" if fr.valid else "wal-stale"
                latest = d.latest.get(fr.pgno)
                if latest is fr and fr.pgno in self.owner:
                    role = "live"
                elif fr.pgno in trunk_set and latest is fr:
                    role = "trunk"
                else:
                    role = "old"
                yield fr.pgno, data, role, area, area, fr.index, self._wal_getter(fr.index, history)
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

    def _wal_getter(self, index: int, history: dict[int, list[tuple[int, object]]]) -> PageGetter:
        d = self.d

        def get(p: int) -> bytes | None:
            best = None
            for i, fr in history.get(p, ()):
                if i <= index:
                    best = fr
            if best is not None and d.wal is not None:
                return d.wal.page(best)  # type: ignore[arg-type]
            return d.db_page(p)

        return get

    def run(self) -> list[CarvedRecord]:
        """Carve everything and return the deleted records (sorted by table, rowid, location)."""
        self.scan_live()
        self.trunks = set(self.d.freelist()[0])
        dropped = self.find_dropped()
        self.build_profiles([*self.d.schema, *dropped, SQLITE_MASTER])
        for pgno, page, role, cell_area, free_area, frame, get in self.images():
            digest = hashlib.blake2b(page, digest_size=16).digest() + role.encode()
            if digest in self._seen_images:
                continue
            self._seen_images.add(digest)
            for hit, where in self.carve_image(page, pgno, role):
                self._consider(hit, where, page, pgno, cell_area, free_area, frame, get)
        return self._finish()

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
        key = hit.key(page)
        if self.live.is_live_copy(td.name, key, hit.rowid):
            return
        if td.kind == "index":
            if hit.intact or hit.score >= 2.5:
                vals, ok, _ = self._values(hit, page, get)
                if ok:
                    self.index_entries.append((td, vals))
            return
        if td.name.lower() in _INTERNAL or td.name.lower() == "sqlite_sequence":
            return
        prev = self.store.seen(key, hit.rowid)
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
        main = get is self.d.db_page
        vals, complete, used = self._values(hit, page, get, check_live=main)
        if self.live.unique_clash(td.name, vals):
            return
        if used and area in ("freeblock", "unallocated", "freelist"):
            area = "overflow"
        conf = self._confidence(hit, where, complete, vals)
        self.store.add(Found(hit, key, vals, complete, area, pgno, frame, conf, used))

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
        out: list[CarvedRecord] = []
        for f in self.store.all():
            td = f.hit.prof.td
            rowid = f.hit.rowid
            if rowid is None and td.kind == "table":
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
            col_index = {c.name.lower(): i for i, c in enumerate(table.columns)}
            names = [c.name.lower() for c in idx.columns[:-1]]
            if any(n not in col_index for n in names):
                continue
            cis = [col_index[n] for n in names]
            if table.alias in cis or any(ci not in table.record_order for ci in cis):
                continue
            pos = tuple(table.record_order.index(ci) for ci in cis)
            key = tuple(vals[: len(cis)])
            if all(v is None for v in key):
                continue
            out.setdefault((table.name, pos), {}).setdefault(key, set()).add(vals[-1])
        return out

    def _restore_rowid(
        self, td: TableDef, values: list[object], restore: dict[tuple[str, tuple[int, ...]], dict]
    ) -> int | None:
        live = self.live.rowids.get(td.name, set())
        for (name, pos), mapping in restore.items():
            if name != td.name or any(p >= len(values) for p in pos):
                continue
            cands = mapping.get(tuple(values[p] for p in pos))
            if cands and len(cands) == 1:
                rid = next(iter(cands))
                if rid not in live:
                    return rid
        return None


def carve(
    db: str | Path,
    *,
    wal: str | Path | bool | None = True,
    journal: str | Path | bool | None = True,
    tables: Iterable[str] | None = None,
) -> Iterator[CarvedRecord]:
    """Every deleted record recoverable from a database file.

    ``wal``/``journal``: True looks for ``<db>-wal`` / ``<db>-journal`` beside the database,
    a path uses that file, False or None ignores it. ``tables`` limits the output to those
    tables (case-insensitive). The files are opened read-only and never modified. Raises
    :class:`reclaim.errors.CorruptFile` (at call time) if ``db`` is not a readable SQLite
    database; damaged pages inside a readable database are skipped.
    """
    database = Database(db, wal=wal, journal=journal)
    try:
        records = Engine(database).run()
    finally:
        database.close()
    wanted = {t.lower() for t in tables} if tables is not None else None

    def gen() -> Iterator[CarvedRecord]:
        for r in records:
            if wanted is None or (r.table or "").lower() in wanted:
                yield r

    return gen()


__all__ = ["Engine", "FileReader", "carve"]
