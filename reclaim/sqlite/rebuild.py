"""Finding records in free space: intact cells, and cells whose first bytes were overwritten.

When SQLite frees a cell inside a page it writes a 4-byte freeblock header (next offset,
size) over the start of the cell. That destroys the payload-length varint, the rowid
varint, the header-length varint and, for small cells, the first serial type. What is left
is the tail of the serial-type list and the whole body. :func:`lost_head` rebuilds the
missing bytes: it tries each possible layout of the lost prefix, takes the missing first
serial type from the table's *profile* (schema affinities plus signatures learned from the
live rows), and keeps a layout only if every length adds up exactly and every value
decodes. Cells that end exactly where the free region ends, or that are followed by
another valid cell, are preferred; this resolves the remaining ambiguity.
"""

from __future__ import annotations

import itertools
import re
import zlib
from bisect import bisect_left
from dataclasses import dataclass, field

from reclaim.sqlite.format import (
    FormatError,
    encode_varint,
    local_payload,
    read_varint,
    serial_class,
    serial_size,
    varint_len,
)
from reclaim.sqlite.schema import TableDef

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Serial types a lost first column may have when nothing narrower is known (1-byte varints).
_ANY_FIXED = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)


@dataclass(slots=True)
class Profile:
    """What a record of one table (or index) must look like.

    ``seen`` holds, per record position, the serial-type classes observed in live rows
    (None when there are too few live rows to learn from); ``first_types`` are the serial
    types the first value may have when its type byte was overwritten.
    """

    td: TableDef
    index_format: bool
    ncols: int
    min_cols: int
    text_only: list[bool]
    alias_pos: int | None
    seen: list[frozenset[str]] | None
    first_types: tuple[int, ...]
    max_rowid: int = 0
    nlive: int = 0
    numeric: list[bool] = field(default_factory=list)
    first_misfit: dict[int, float] = field(default_factory=dict)
    #: Derived by :func:`make_profile` for speed: per record position, the misfit of each
    #: serial-type slot (0..11 as is, 12 = any blob, 13 = any text; None = impossible).
    mis: list[tuple[float | None, ...]] = field(default_factory=list)
    rowid_cap: int = 9
    #: ``(first type, misfit, content size)`` for every type a lost first value may have.
    firsts: tuple[tuple[int, float, int], ...] = ()
    fsize_min: int = 0
    fsize_max: int = 0
    #: Everything the cell searches depend on besides the table's identity: profiles with
    #: equal shapes (e.g. WeChat's hundreds of ``Chat_<md5>`` tables) give equal readings,
    #: so the searches run once per shape.
    shape: int = -1


def record_affinities(td: TableDef) -> list[str]:
    """The affinity of each value of a record of ``td``, in record order (BLOB past the declared columns)."""
    return [td.columns[ci].affinity if ci < len(td.columns) else "BLOB" for ci in td.record_order]


def alias_position(td: TableDef) -> int | None:
    """Where in a record of ``td`` its INTEGER PRIMARY KEY alias sits (stored as NULL), if it has one."""
    return td.record_order.index(td.alias) if td.alias is not None and td.alias in td.record_order else None


def make_profile(td: TableDef, samples: list[list[int]], max_rowid: int, nlive: int) -> Profile:
    """Build a profile from a definition and the serial types of some live records."""
    n = td.ncols
    affinities = record_affinities(td)
    text_only = [aff == "TEXT" for aff in affinities]
    alias_pos = alias_position(td)
    seen = None
    min_cols = n
    if samples:
        # The classes of the serial types seen at each position (of a sample long enough): the distinct types
        # of each position first (C loops; hundreds of samples per table, thousands of tables in a WeChat file).
        per: list[set[str]] = [set() for _ in range(n)]
        for i, column in zip(range(n), itertools.zip_longest(*samples), strict=False):
            per[i].update(map(serial_class, set(column) - {None}))
        min_cols = min(n, min(map(len, samples)))
        if len(samples) >= 3:
            seen = [frozenset(s) for s in per]
    if alias_pos == 0:
        first: tuple[int, ...] = (0,)
    elif samples and len(samples) >= 3:
        sts = {t[0] for t in samples if t}
        fixed = sorted(s for s in sts if s < 12)
        var = [s for s in sts if s >= 12]
        extra: list[int] = []
        if any(s & 1 for s in var):
            extra += list(range(13, 128, 2))
        if any(not s & 1 for s in var):
            extra += list(range(12, 128, 2))
        if any(0 < s < 7 for s in fixed):
            fixed = sorted(set(fixed) | {1, 2, 3, 4, 5, 6})
        first = tuple(fixed + extra)
    elif text_only and text_only[0]:
        first = (0, *range(12, 128))
    else:
        first = _ANY_FIXED + tuple(range(12, 128))
    numeric = [aff in ("INTEGER", "REAL", "NUMERIC") for aff in affinities]
    prof = Profile(td, td.kind != "table", n, min_cols, text_only, alias_pos, seen, first, max_rowid, nlive, numeric)
    for st in first:
        m = _pos_misfit(prof, 0, st) if n else None
        if m is not None:
            prof.first_misfit[st] = m
    _derive(prof)
    return prof


def _derive(prof: Profile) -> None:
    """Fill the lookup tables and the shape key of a profile (see :class:`Profile`)."""
    prof.mis = [tuple(_pos_misfit(prof, i, st) for st in range(14)) for i in range(prof.ncols)]
    prof.rowid_cap = varint_len(max(prof.max_rowid, 1) * 4 + 1000) if prof.nlive else 9
    prof.firsts = tuple((f, m, serial_size(f)) for f, m in prof.first_misfit.items())
    prof.fsize_min = min((f[2] for f in prof.firsts), default=0)
    prof.fsize_max = max((f[2] for f in prof.firsts), default=0)
    key = (prof.index_format, prof.ncols, prof.min_cols, tuple(prof.mis), prof.rowid_cap, prof.firsts)
    prof.shape = _SHAPES.setdefault(key, len(_SHAPES))


#: Shape keys -> small ints (hashing the full key on every memo lookup would cost more than it saves).
_SHAPES: dict[tuple[object, ...], int] = {}


@dataclass(slots=True)
class Hit:
    """A record found in a page image (values not yet completed from overflow pages)."""

    prof: Profile
    start: int
    end: int
    rowid: int | None
    types: list[int]
    payload_size: int
    header: bytes  # the record header as it must have been (rebuilt if lost)
    body_start: int  # offset of the record body in the page
    local_end: int  # end of the payload bytes stored in the page
    overflow: int
    intact: bool
    misfit: float
    score: float = 0.0

    def local_payload(self, page: bytes) -> bytes:
        """The record's in-page payload bytes (header rebuilt when it was overwritten)."""
        return self.header + page[self.body_start : self.local_end]

    def key(self, page: bytes) -> int:
        """Identity of the record's bytes: equal for every copy of the same stored row."""
        return hash((self.payload_size, self.local_payload(page)))

    def live_key(self, page: bytes) -> int:
        """:func:`live_key` of the record (what the live pass remembered of a live copy)."""
        return live_key(self.payload_size, self.local_payload(page))


def live_key(psize: int, payload: bytes) -> int:
    """A fingerprint of a record's bytes that is the same in every run.

    Python's ``hash`` of bytes changes with each process, which would make the rare
    false positive of the live-row filter (a deleted row taken for a live copy) come and
    go between runs; CRC-32 and Adler-32 (C speed) with the payload length do not.
    """
    return hash((psize, zlib.crc32(payload), zlib.adler32(payload)))


def _pos_misfit(prof: Profile, i: int, st: int) -> float | None:
    """Misfit of serial type ``st`` at record position ``i`` (None: impossible there)."""
    c = serial_class(st)
    if i == prof.alias_pos:
        return 0.0 if st == 0 else None
    if prof.text_only[i] and (c == "int" or c == "float"):
        return None
    seen = prof.seen
    if seen is not None:
        s = seen[i]
        if c not in s:
            return 0.25 if c == "null" or (c == "int" and "float" in s) else 1.0
        return 0.0
    if (c == "text" or c == "blob") and prof.numeric[i]:
        return 1.0
    if c == "blob" and prof.text_only[i]:
        return 0.5
    return 0.0


def fit(prof: Profile, types: list[int], start: int = 0) -> float | None:
    """How badly serial types fit a profile (0 = perfectly); None if they cannot belong to it.

    ``start`` is the record position of ``types[0]`` (1 when checking the tail of a record
    whose first type is rebuilt separately).
    """
    n = len(types) + start
    if n < prof.min_cols or n > prof.ncols:
        return None
    mis = prof.mis
    misfit = 0.0
    for i, st in enumerate(types, start):
        m = mis[i][st if st < 12 else 12 + (st & 1)]
        if m is None:
            return None
        misfit += m
    return misfit


def values_ok(types: list[int], page: bytes, body: int, limit: int, encoding: str) -> bool:
    """True if every value stored in ``page[body:limit]`` decodes cleanly (text strictly)."""
    p = body
    for st in types:
        if st < 13:
            if st < 12:
                size = _SIZES[st]
                if p + size > limit:
                    return True
            else:
                size = (st - 12) >> 1
                if p + size > limit:
                    return True
            p += size
            continue
        size = (st - 12) >> 1
        if st & 1:
            chunk = page[p : min(p + size, limit)]
            if p + size > limit:
                # Continues on overflow pages: check the part we have, tolerating a cut character.
                try:
                    text = chunk.decode(encoding, errors="strict")
                except UnicodeDecodeError as exc:
                    if exc.start < len(chunk) - 4:
                        return False
                    text = chunk[: exc.start].decode(encoding, errors="ignore")
                return not _CONTROL.search(text)
            try:
                text = chunk.decode(encoding)
            except UnicodeDecodeError:
                return False
            if _CONTROL.search(text):
                return False
        elif p + size > limit:
            return True
        p += size
    return True


def _parse_fit(
    page: bytes, pos: int, stop: int, prof: Profile, first_pos: int, max_misfit: float
) -> tuple[list[int], list[int], list[float], list[int], int]:
    """Serial types from ``pos`` for record positions ``first_pos``...; stops at the first impossible one.

    Returns the types, the offset after each, the cumulative misfit after each, the
    cumulative content size after each and the index of the first non-zero type.
    """
    types: list[int] = []
    ends: list[int] = []
    fits: list[float] = []
    sizes: list[int] = []
    p = pos
    i = first_pos
    n = prof.ncols
    mis = prof.mis
    misfit = 0.0
    body = 0
    nonzero = -1
    while i < n and p < stop:
        st = page[p]
        if st < 0x80:
            p += 1
        else:
            try:
                st, p = read_varint(page, p, stop)
            except FormatError:
                break
            if st > 0x7FFFFFFF:
                break
        if st < 12:
            if st == 10 or st == 11:
                break
            m = mis[i][st]
            size = _SIZES[st]
        else:
            m = mis[i][12 + (st & 1)]
            size = (st - 12) >> 1
        if m is None:
            break
        misfit += m
        if misfit > max_misfit:
            break
        body += size
        if st and nonzero < 0:
            nonzero = len(types)
        types.append(st)
        ends.append(p)
        fits.append(misfit)
        sizes.append(body)
        i += 1
    return types, ends, fits, sizes, nonzero if nonzero >= 0 else len(types)


_SIZES = (0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1)
#: Memo of one page's searches (see :func:`intact`); keys are tagged tuples.
Memo = dict


def intact(
    page: bytes,
    s: int,
    limit: int,
    profs: list[Profile],
    usable: int,
    encoding: str,
    index: bool,
    memo: Memo | None = None,
) -> Hit | None:
    """A cell with its header intact at ``page[s]`` that fits one of ``profs`` (best fit), or None.

    This runs at every non-zero byte of unallocated space, so it rejects early: the payload
    must fit before ``limit`` before any serial type is read, and types are summed as read.
    ``memo`` (one dict per page image, with ``profs`` lists that live as long as it) remembers
    the places where nothing was found.
    """
    if memo is not None:
        mkey = ("i", s, limit, id(profs), index)
        if mkey in memo:
            return None
        skey = ("s", id(profs))
        reps = memo.get(skey)
        if reps is None:
            reps = memo[skey] = _reps(profs)
    else:
        reps = _reps(profs)
    hit = intact_at(page, s, limit, reps, usable, encoding, index)
    if hit is None and memo is not None:
        memo[mkey] = None
    return hit


def shapes_of(profs: list[Profile], memo: Memo) -> tuple[int, list[Profile]]:
    """:func:`_reps` of ``profs``, kept in a page memo (for :func:`intact_at`)."""
    skey = ("s", id(profs))
    reps = memo.get(skey)
    if reps is None:
        reps = memo[skey] = _reps(profs)
    return reps


def _reps(profs: list[Profile]) -> tuple[int, list[Profile]]:
    """The most columns of any profile, and the first profile of each distinct shape, in order.

    Profiles of one shape fit any serial types equally, so the first of them is the one
    a search over all of ``profs`` picks (it keeps the first best fit).
    """
    maxn = 0
    for pr in profs:
        if pr.ncols > maxn:
            maxn = pr.ncols
    return maxn, _distinct_shapes(profs)


def intact_at(
    page: bytes, s: int, limit: int, reps: tuple[int, list[Profile]], usable: int, encoding: str, index: bool
) -> Hit | None:
    """:func:`intact` without the memo, for ``reps`` from :func:`shapes_of` (the scan's probe)."""
    # Varints inline for the 1-byte case: most candidate positions fail on these first bytes.
    if s >= limit:
        return None
    psize = page[s]
    if psize < 0x80:
        p = s + 1
    else:
        try:
            psize, p = read_varint(page, s, limit)
        except FormatError:
            return None
    rowid = None
    try:
        if not index:
            if p >= limit:
                return None
            rid = page[p]
            if rid < 0x80:
                p += 1
            else:
                rid, p = read_varint(page, p, limit)
            rowid = rid - (1 << 64) if rid >= (1 << 63) else rid
        if p >= limit:
            return None
        hlen = page[p]
        if hlen < 0x80:
            q = p + 1
        else:
            hlen, q = read_varint(page, p, limit)
    except FormatError:
        return None
    if hlen < 2 or hlen > psize or psize > 0x7FFFFFFF:
        return None
    maxn, shapes = reps
    if hlen > 2 + 9 * maxn:
        return None
    hend = p + hlen
    local = local_payload(psize, usable, index)
    lend = p + local
    end = lend + (4 if local < psize else 0)
    if end > limit:
        return None
    budget = psize - hlen
    body = 0
    types: list[int] = []
    pos = q
    while pos < hend:
        b = page[pos]
        if b < 0x80:
            st = b
            pos += 1
        else:
            try:
                st, pos = read_varint(page, pos, hend)
            except FormatError:
                return None
        if st < 12:
            size = _SIZES[st]
            if size < 0:
                return None
        else:
            size = (st - 12) >> 1
        body += size
        if body > budget or len(types) >= maxn:
            return None
        types.append(st)
    if pos != hend or body != budget:
        return None
    ovf = int.from_bytes(page[lend:end], "big") if local < psize else 0
    if local < psize and ovf == 0:
        return None
    best: Hit | None = None
    cap = max(1.0, len(types) / 4)
    for prof in shapes:
        if prof.index_format != index:
            continue
        m = fit(prof, types)
        if m is None or m > cap:
            continue
        if best is None or m < best.misfit:
            best = Hit(prof, s, end, rowid, types, psize, bytes(page[p:hend]), hend, lend, ovf, True, m)
    if best is not None and not values_ok(types, page, hend, lend, encoding):
        return None
    return best


def _text_ok(page: bytes, p: int, size: int, encoding: str) -> bool:
    """True if ``page[p:p + size]`` is text in the database encoding without control characters."""
    try:
        text = page[p : p + size].decode(encoding)
    except UnicodeDecodeError:
        return False
    return not _CONTROL.search(text)


def _header(hlen: int, types: list[int]) -> bytes:
    """The record header bytes for a header length and serial types (canonical varints)."""
    if hlen < 0x80:
        for t in types:
            if t >= 0x80:
                break
        else:
            return bytes((hlen, *types))
    return encode_varint(hlen) + b"".join(encode_varint(t) for t in types)


#: One rebuilt reading: (end, types, payload size, header, body start, local end, overflow, misfit).
Reading = tuple[int, list[int], int, bytes, int, int, int, float]


def lost_head(
    page: bytes,
    s: int,
    limit: int,
    prof: Profile,
    usable: int,
    encoding: str,
    lost: int = 4,
    memo: Memo | None = None,
) -> list[Hit]:
    """Every consistent reading of a cell at ``page[s]`` whose first ``lost`` bytes were overwritten.

    For each possible size of the lost prefix (payload-length and rowid varints, header
    length) the serial types are read from the first intact byte on; a first type that fell
    inside the lost bytes is taken from the profile. A reading is kept only if the header
    length, payload length and varint sizes are consistent, the cell fits before ``limit``,
    the types fit the profile and every value decodes. Readings depend only on the
    profile's shape, so ``memo`` shares them between profiles of the same shape.
    """
    if memo is not None:
        key = ("l", s, limit, prof.shape, lost)
        readings = memo.get(key)
        if readings is None:
            readings = memo[key] = _readings(page, s, limit, prof, usable, encoding, lost)
    else:
        readings = _readings(page, s, limit, prof, usable, encoding, lost)
    return [
        Hit(prof, s, end, None, types, psize, header, hend, lend, ovf, False, m)
        for end, types, psize, header, hend, lend, ovf, m in readings
    ]


def _readings(page: bytes, s: int, limit: int, prof: Profile, usable: int, encoding: str, lost: int) -> list[Reading]:
    out: list[Reading] = []
    index = prof.index_format
    n = prof.ncols
    nmin = max(1, prof.min_cols)
    known = s + lost
    parsed: dict[tuple[int, bool], tuple[list[int], list[int], list[float], list[int], int]] = {}
    max_misfit = max(1.0, n / 5)
    rowid_cap = prof.rowid_cap
    # local_payload() inline: payloads up to x bytes are stored whole in the cell.
    x = ((usable - 12) * 64 // 255) - 23 if index else usable - 35
    span = 9 * n  # the most bytes n serial types can take
    for h in range(1 if index else 2, min(11, 6 + rowid_cap)):
        pmax = _PMAX[h + 1] if index else _PMAX[h]
        for hv in (1, 2):
            ts = s + h + hv
            if ts < known - 1:
                continue  # more than one serial type would be lost
            if hv == 2 and (pmax < 0x80 or hv + span < 0x80):
                continue  # a header of 128+ bytes: longer than the payload or than n types
            hlen_known: int | None = None
            if s + h >= known:
                if s + h >= limit:
                    continue
                hlen_known = page[s + h]
                if hlen_known < 0x80:
                    q = s + h + 1
                else:
                    try:
                        hlen_known, q = read_varint(page, s + h, limit)
                    except FormatError:
                        continue
                if q != ts:
                    continue
                if hlen_known <= hv or hlen_known > hv + span or s + h + hlen_known > limit:
                    continue  # no list of serial types can end there
            lost_first = ts < known
            tstart = known if lost_first else ts
            pkey = (tstart, lost_first)
            if pkey not in parsed:
                parsed[pkey] = _parse_fit(page, tstart, limit, prof, 1 if lost_first else 0, max_misfit)
            types_all, ends, fits, sizes, nonzero = parsed[pkey]
            lf = 1 if lost_first else 0
            base = s + h
            # Only tails whose header-length varint has hv bytes (and the known length, if any).
            hi = min(n, len(types_all) + lf) - lf
            lo = max(1, nmin - lf)
            if hlen_known is not None:
                if (hlen_known < 0x80) != (hv == 1) or hlen_known >= 0x4000:
                    continue  # a non-canonical length varint
                j = bisect_left(ends, base + hlen_known)
                if j >= len(ends) or ends[j] != base + hlen_known:
                    continue
                lo = max(lo, j + 1)
                hi = min(hi, j + 1)
            elif hv == 1:
                hi = min(hi, bisect_left(ends, base + 0x80))
            else:
                lo = max(lo, bisect_left(ends, base + 0x80) + 1)
                hi = min(hi, bisect_left(ends, base + 0x4000))
            lo = max(lo, nonzero + 1)  # nothing but NULLs (zeroed space): no record worth rebuilding
            firsts = prof.firsts if lost_first else _NO_FIRST
            fmin, fmax = (prof.fsize_min, prof.fsize_max) if lost_first else (0, 0)
            # Payload sizes the lost bytes allow: a table cell's payload-length varint takes at
            # most h - 1 bytes (the rowid at least one), an index cell's exactly h bytes.
            pmin = _PMAX[h] + 1 if index else 0
            room = limit - base
            cap = min(pmax, room)  # largest payload stored whole that ends inside the region
            for ntail in range(hi, lo - 1, -1):
                hend = ends[ntail - 1]
                hlen = hend - base
                need = hlen + sizes[ntail - 1]
                least = need + fmin
                if least > pmax or need + fmax < pmin:
                    continue  # the payload-length varint would not fit in h bytes
                if least > room and need + fmax <= x:
                    continue  # the cell would run past the region
                tail = types_all[:ntail]
                tfit = fits[ntail - 1]
                tails: dict[int, bool] = {}  # value checks of the tail, by size of the first value
                for f, fm, fsize in firsts:
                    psize = need + fsize
                    m = tfit + fm
                    if psize <= x:
                        # Stored whole: the varint and end checks are bounds on the size.
                        if psize > cap or psize < pmin:
                            continue
                        if not index:
                            plen = 1 if psize < 0x80 else 2 if psize < 0x4000 else varint_len(psize)
                            if h - plen > rowid_cap:
                                m += 1.0
                        lend = end = base + psize
                        ovf = 0
                        # Values: the first (rebuilt) one, then the tail, which only depends on
                        # where it starts (the cell ends right after it).
                        if f is not None:
                            types = [f, *tail]
                            if f >= 13 and f & 1 and not _text_ok(page, hend, fsize, encoding):
                                continue
                            ok = tails.get(fsize)
                            if ok is None:
                                ok = tails[fsize] = values_ok(tail, page, hend + fsize, lend, encoding)
                        else:
                            types = tail
                            ok = values_ok(tail, page, hend, lend, encoding)
                        if not ok:
                            continue
                    else:
                        plen = varint_len(psize)
                        if index:
                            if plen != h:
                                continue
                        else:
                            rl = h - plen
                            if rl < 1 or rl > 9:
                                continue
                            if rl > rowid_cap:
                                m += 1.0
                        local = local_payload(psize, usable, index)
                        lend = base + local
                        end = lend + (4 if local < psize else 0)
                        if end > limit:
                            continue
                        ovf = int.from_bytes(page[lend:end], "big") if local < psize else 0
                        if local < psize and ovf == 0:
                            continue
                        types = [f, *tail] if f is not None else tail
                        if not values_ok(types, page, hend, lend, encoding):
                            continue
                    header = _header(hlen, types)
                    if len(header) != hlen:
                        continue
                    out.append((end, types, psize, header, hend, lend, ovf, m))
    return out


_NO_FIRST: tuple[tuple[None, float, int], ...] = ((None, 0.0, 0),)
#: _PMAX[j]: largest value a varint of at most j - 1 bytes holds (a table cell's payload
#: length varint takes at most h - 1 of the h lost bytes, the rowid at least one).
_PMAX = [0, 0] + [(1 << (7 * j)) - 1 for j in range(1, 9)] + [1 << 64] * 4


def best_lost(
    page: bytes,
    s: int,
    limit: int,
    profs: list[Profile],
    usable: int,
    encoding: str,
    lookahead: bool = True,
    owned: bool = False,
    memo: Memo | None = None,
) -> Hit | None:
    """The most plausible rebuilt cell at ``s``, or None if no reading is convincing.

    Readings are scored: +3 when the cell ends exactly where the free region ends (up to 3
    fragment bytes), +2 when another valid cell starts right after it (+1 more if that one
    ends the region), minus the profile misfit. With ``owned`` the first profile is the
    page's owner and is tried alone first.
    """
    if memo is None:
        memo = {}
    gkey = ("g", id(profs), owned, lookahead)
    groups = memo.get(gkey)
    if groups is None:
        parts = [profs[:1], profs[1:]] if owned and len(profs) > 1 else [profs]
        if owned and not lookahead:
            parts = parts[:1]
        groups = memo[gkey] = [(g, _distinct_shapes(g)) for g in parts]
    fallback: Hit | None = None
    for group, shapes in groups:
        hits = _group_hits(page, s, limit, group, shapes, usable, encoding, memo)
        if not hits:
            continue
        best = _rank(page, s, limit, profs, usable, encoding, hits, lookahead, owned, memo)
        if not lookahead and best is not None:
            return best
        if best is None:
            continue
        if best.score >= 1.0:
            return best
        if fallback is None:
            fallback = best
    return fallback


def _distinct_shapes(group: list[Profile]) -> list[Profile]:
    """One profile per distinct shape of ``group`` (the first of each)."""
    seen: set[int] = set()
    out: list[Profile] = []
    for prof in group:
        if prof.shape not in seen:
            seen.add(prof.shape)
            out.append(prof)
    return out


def _group_hits(
    page: bytes,
    s: int,
    limit: int,
    group: list[Profile],
    shapes: list[Profile],
    usable: int,
    encoding: str,
    memo: Memo,
) -> list[Hit]:
    """``lost_head`` for every profile of ``group`` in order, each distinct shape searched once."""
    for prof in shapes:
        key = ("l", s, limit, prof.shape, 4)
        readings = memo.get(key)
        if readings is None:
            readings = memo[key] = _readings(page, s, limit, prof, usable, encoding, 4)
        if readings:
            break
    else:
        return []
    hits: list[Hit] = []
    for prof in group:
        hits.extend(lost_head(page, s, limit, prof, usable, encoding, memo=memo))
    return hits


def _rank(
    page: bytes,
    s: int,
    limit: int,
    profs: list[Profile],
    usable: int,
    encoding: str,
    hits: list[Hit],
    lookahead: bool,
    owned: bool,
    memo: Memo,
) -> Hit | None:
    for h in hits:
        h.score = -h.misfit
        if 0 <= limit - h.end <= 3:
            h.score += 3.0
        if h.prof.seen is not None:
            h.score += 0.5
    if lookahead:
        support: dict[int, float] = {}
        for h in sorted(hits, key=lambda x: (-x.score, x.misfit))[:8]:
            if 0 <= limit - h.end <= 3:
                continue
            if h.end not in support:
                bonus = 0.0
                index = h.prof.index_format
                for d, p in enumerate(range(h.end, min(h.end + 4, limit - 3))):
                    nend = _next_end(page, p, limit, profs, usable, encoding, index, owned, memo)
                    if nend is not None:
                        bonus = (2.0 if d == 0 else 1.0) + (1.0 if 0 <= limit - nend <= 3 else 0.0)
                        break
                support[h.end] = bonus
            h.score += support[h.end]
    hits.sort(key=lambda x: (-x.score, x.misfit, -x.payload_size))
    best = hits[0]
    supported = best.score >= 1.0
    if not supported and best.misfit > 0:
        return None
    if not lookahead and not supported:
        return best if best.misfit == 0 else None
    if len(hits) > 1 and hits[1].score == best.score and hits[1].types != best.types:
        best.score -= 1.0  # ambiguous: keep the best guess, lower confidence
    return best


def _next_end(
    page: bytes,
    p: int,
    limit: int,
    profs: list[Profile],
    usable: int,
    encoding: str,
    index: bool,
    owned: bool,
    memo: Memo,
) -> int | None:
    """End of the cell (intact, else rebuilt without lookahead) starting at ``p``, or None."""
    key = ("n", p, limit, id(profs), index, owned)
    if key in memo:
        return memo[key]
    nxt = intact(page, p, limit, profs, usable, encoding, index, memo)
    if nxt is None:
        nxt = best_lost(page, p, limit, profs, usable, encoding, lookahead=False, owned=owned, memo=memo)
    end = memo[key] = nxt.end if nxt is not None else None
    return end
