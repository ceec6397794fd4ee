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

import re
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


def make_profile(td: TableDef, samples: list[list[int]], max_rowid: int, nlive: int) -> Profile:
    """Build a profile from a definition and the serial types of some live records."""
    n = td.ncols
    text_only = []
    for ci in td.record_order:
        aff = td.columns[ci].affinity if ci < len(td.columns) else "BLOB"
        text_only.append(aff == "TEXT")
    alias_pos = td.record_order.index(td.alias) if td.alias is not None and td.alias in td.record_order else None
    seen = None
    min_cols = n
    if samples:
        per: list[set[str]] = [set() for _ in range(n)]
        for types in samples:
            for i, st in enumerate(types[:n]):
                per[i].add(serial_class(st))
        min_cols = min(n, min(len(t) for t in samples))
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
    numeric = [
        (td.columns[ci].affinity if ci < len(td.columns) else "BLOB") in ("INTEGER", "REAL", "NUMERIC")
        for ci in td.record_order
    ]
    prof = Profile(td, td.kind != "table", n, min_cols, text_only, alias_pos, seen, first, max_rowid, nlive, numeric)
    for st in first:
        m = _pos_misfit(prof, 0, st) if n else None
        if m is not None:
            prof.first_misfit[st] = m
    return prof


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
    misfit = 0.0
    for i, st in enumerate(types, start):
        m = _pos_misfit(prof, i, st)
        if m is None:
            return None
        misfit += m
    return misfit


def values_ok(types: list[int], page: bytes, body: int, limit: int, encoding: str) -> bool:
    """True if every value stored in ``page[body:limit]`` decodes cleanly (text strictly)."""
    p = body
    for st in types:
        size = serial_size(st)
        if st >= 13 and st & 1:
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
) -> tuple[list[int], list[int], list[float]]:
    """Serial types from ``pos`` for record positions ``first_pos``...; stops at the first impossible one.

    Returns the types, the offset after each, and the cumulative misfit after each.
    """
    types: list[int] = []
    ends: list[int] = []
    fits: list[float] = []
    p = pos
    i = first_pos
    n = prof.ncols
    misfit = 0.0
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
        if st == 10 or st == 11:
            break
        m = _pos_misfit(prof, i, st)
        if m is None:
            break
        misfit += m
        if misfit > max_misfit:
            break
        types.append(st)
        ends.append(p)
        fits.append(misfit)
        i += 1
    return types, ends, fits


def _parse_types(page: bytes, pos: int, stop: int, maxn: int) -> tuple[list[int], list[int]]:
    """Up to ``maxn`` serial types from ``pos``; returns the types and the end offset after each."""
    types: list[int] = []
    ends: list[int] = []
    p = pos
    while len(types) < maxn and p < stop:
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
        if st == 10 or st == 11:
            break
        types.append(st)
        ends.append(p)
    return types, ends


_SIZES = (0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1)


def intact(
    page: bytes, s: int, limit: int, profs: list[Profile], usable: int, encoding: str, index: bool
) -> Hit | None:
    """A cell with its header intact at ``page[s]`` that fits one of ``profs`` (best fit), or None.

    This runs at every non-zero byte of unallocated space, so it rejects early: the payload
    must fit before ``limit`` before any serial type is read, and types are summed as read.
    """
    try:
        psize, p = read_varint(page, s, limit)
        rowid = None
        if not index:
            rid, p = read_varint(page, p, limit)
            rowid = rid - (1 << 64) if rid >= (1 << 63) else rid
        hlen, q = read_varint(page, p, limit)
    except FormatError:
        return None
    maxn = 0
    for pr in profs:
        if pr.ncols > maxn:
            maxn = pr.ncols
    if hlen < 2 or hlen > psize or hlen > 2 + 9 * maxn or psize > 0x7FFFFFFF:
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
    for prof in profs:
        if prof.index_format != index:
            continue
        m = fit(prof, types)
        if m is None or m > max(1.0, len(types) / 4):
            continue
        if best is None or m < best.misfit:
            best = Hit(prof, s, end, rowid, types, psize, bytes(page[p:hend]), hend, lend, ovf, True, m)
    if best is not None and not values_ok(types, page, hend, lend, encoding):
        return None
    return best


def lost_head(
    page: bytes, s: int, limit: int, prof: Profile, usable: int, encoding: str, lost: int = 4
) -> list[Hit]:
    """Every consistent reading of a cell at ``page[s]`` whose first ``lost`` bytes were overwritten.

    For each possible size of the lost prefix (payload-length and rowid varints, header
    length) the serial types are read from the first intact byte on; a first type that fell
    inside the lost bytes is taken from the profile. A reading is kept only if the header
    length, payload length and varint sizes are consistent, the cell fits before ``limit``,
    the types fit the profile and every value decodes.
    """
    out: list[Hit] = []
    index = prof.index_format
    n = prof.ncols
    nmin = max(1, prof.min_cols)
    known = s + lost
    parsed: dict[tuple[int, bool], tuple[list[int], list[int], list[float]]] = {}
    max_misfit = max(1.0, n / 5)
    rowid_cap = varint_len(max(prof.max_rowid, 1) * 4 + 1000) if prof.nlive else 9
    for h in range(1 if index else 2, min(11, 6 + rowid_cap)):
        for hv in (1, 2):
            ts = s + h + hv
            if ts < known - 1:
                continue  # more than one serial type would be lost
            hlen_known: int | None = None
            if s + h >= known:
                try:
                    hlen_known, q = read_varint(page, s + h, limit)
                except FormatError:
                    continue
                if q != ts:
                    continue
            lost_first = ts < known
            tstart = known if lost_first else ts
            pkey = (tstart, lost_first)
            if pkey not in parsed:
                parsed[pkey] = _parse_fit(page, tstart, limit, prof, 1 if lost_first else 0, max_misfit)
            types_all, ends, fits = parsed[pkey]
            for k in range(n, nmin - 1, -1):
                ntail = k - 1 if lost_first else k
                if ntail > len(types_all) or ntail < 0:
                    continue
                tail = types_all[:ntail]
                hend = ends[ntail - 1] if ntail else tstart
                hlen = hend - (s + h)
                if (hlen_known is not None and hlen != hlen_known) or varint_len(hlen) != hv:
                    continue
                if not any(tail):
                    continue  # nothing but NULLs (zeroed space): no record worth rebuilding
                tfit = fits[ntail - 1]
                tbody = 0
                for st in tail:
                    tbody += serial_size(st)
                firsts: list[tuple[int | None, float]] = (
                    list(prof.first_misfit.items()) if lost_first else [(None, 0.0)]
                )
                for f, fm in firsts:
                    body = tbody + (serial_size(f) if f is not None else 0)
                    psize = hlen + body
                    plen = varint_len(psize)
                    m = tfit + fm
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
                    lend = s + h + local
                    end = lend + (4 if local < psize else 0)
                    if end > limit:
                        continue
                    ovf = int.from_bytes(page[lend:end], "big") if local < psize else 0
                    if local < psize and ovf == 0:
                        continue
                    types = [f, *tail] if f is not None else tail
                    if not values_ok(types, page, hend, lend, encoding):
                        continue
                    header = encode_varint(hlen) + b"".join(encode_varint(t) for t in types)
                    if len(header) != hlen:
                        continue
                    out.append(Hit(prof, s, end, None, types, psize, header, hend, lend, ovf, False, m))
    return out


def best_lost(
    page: bytes,
    s: int,
    limit: int,
    profs: list[Profile],
    usable: int,
    encoding: str,
    lookahead: bool = True,
    owned: bool = False,
) -> Hit | None:
    """The most plausible rebuilt cell at ``s``, or None if no reading is convincing.

    Readings are scored: +3 when the cell ends exactly where the free region ends (up to 3
    fragment bytes), +2 when another valid cell starts right after it (+1 more if that one
    ends the region), minus the profile misfit. With ``owned`` the first profile is the
    page's owner and is tried alone first.
    """
    groups = [profs[:1], profs[1:]] if owned and len(profs) > 1 else [profs]
    if owned and not lookahead:
        groups = groups[:1]
    fallback: Hit | None = None
    for group in groups:
        hits: list[Hit] = []
        for prof in group:
            hits.extend(lost_head(page, s, limit, prof, usable, encoding))
        if not hits:
            continue
        best = _rank(page, s, limit, profs, usable, encoding, hits, lookahead, owned)
        if not lookahead and best is not None:
            return best
        if best is None:
            continue
        if best.score >= 1.0:
            return best
        if fallback is None:
            fallback = best
    return fallback


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
                for d, p in enumerate(range(h.end, min(h.end + 4, limit - 3))):
                    nxt = intact(page, p, limit, profs, usable, encoding, h.prof.index_format)
                    if nxt is None:
                        nxt = best_lost(page, p, limit, profs, usable, encoding, lookahead=False, owned=owned)
                    if nxt is not None:
                        bonus = (2.0 if d == 0 else 1.0) + (1.0 if 0 <= limit - nxt.end <= 3 else 0.0)
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
