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
from collections.abc import Iterable
from dataclasses import dataclass

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
    return Profile(td, td.kind != "table", n, min_cols, text_only, alias_pos, seen, first, max_rowid, nlive)


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


def fit(prof: Profile, types: list[int]) -> float | None:
    """How badly serial types fit a profile (0 = perfectly); None if they cannot belong to it."""
    n = len(types)
    if n < prof.min_cols or n > prof.ncols:
        return None
    misfit = 0.0
    seen = prof.seen
    for i, st in enumerate(types):
        c = serial_class(st)
        if i == prof.alias_pos:
            if st != 0:
                return None
            continue
        if prof.text_only[i] and (c == "int" or c == "float"):
            return None
        if seen is not None:
            s = seen[i]
            if c not in s:
                misfit += 0.25 if c == "null" or (c == "int" and "float" in s) else 1.0
        elif (c == "text" or c == "blob") and prof.td.columns[prof.td.record_order[i]].affinity in (
            "INTEGER",
            "REAL",
            "NUMERIC",
        ):
            misfit += 1.0
        elif c == "blob" and prof.text_only[i]:
            misfit += 0.5
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


def _parse_types(page: bytes, pos: int, stop: int, maxn: int) -> tuple[list[int], list[int]]:
    """Up to ``maxn`` serial types from ``pos``; returns the types and the end offset after each."""
    types: list[int] = []
    ends: list[int] = []
    p = pos
    while len(types) < maxn and p < stop:
        try:
            st, p = read_varint(page, p, stop)
        except FormatError:
            break
        if st == 10 or st == 11 or st > 0x7FFFFFFF:
            break
        types.append(st)
        ends.append(p)
    return types, ends


def intact(
    page: bytes, s: int, limit: int, profs: Iterable[Profile], usable: int, encoding: str, index: bool
) -> Hit | None:
    """A cell with its header intact at ``page[s]`` that fits one of ``profs`` (best fit), or None."""
    try:
        psize, p = read_varint(page, s, limit)
        rowid = None
        if not index:
            rid, p = read_varint(page, p, limit)
            rowid = rid - (1 << 64) if rid >= (1 << 63) else rid
        hlen, q = read_varint(page, p, limit)
    except FormatError:
        return None
    if hlen < 2 or hlen > psize or hlen > 1000 or psize > 0x7FFFFFFF:
        return None
    hend = p + hlen
    if hend > limit:
        return None
    types, ends = _parse_types(page, q, hend, 1000)
    if not ends or ends[-1] != hend:
        return None
    body = 0
    for st in types:
        body += serial_size(st)
    if body + hlen != psize:
        return None
    local = local_payload(psize, usable, index)
    lend = p + local
    end = lend + (4 if local < psize else 0)
    if end > limit:
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
    hmin = 1 if index else 2
    n = prof.ncols
    known = s + lost
    for h in range(hmin, 11):
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
            if ts >= known:
                types_all, ends = _parse_types(page, ts, limit, n)
                options: list[tuple[list[int], int]] = []
                for k in range(len(types_all), 0, -1):
                    options.append((types_all[:k], ends[k - 1]))
                firsts: tuple[int, ...] = ()
            else:  # ts == known - 1: the first type is the single lost byte before `known`
                rest, ends = _parse_types(page, known, limit, n - 1)
                options = [(rest[:k], ends[k - 1]) for k in range(len(rest), 0, -1)]
                if n == 1:
                    options.append(([], known))
                firsts = prof.first_types
            for tail, hend in options:
                cands = [[f, *tail] for f in firsts] if firsts else [tail]
                for types in cands:
                    m = fit(prof, types)
                    if m is None:
                        continue
                    hlen = hend - (s + h)
                    if hlen_known is not None and hlen != hlen_known:
                        continue
                    if varint_len(hlen) != hv:
                        continue
                    body = 0
                    for st in types:
                        body += serial_size(st)
                    psize = hlen + body
                    plen = varint_len(psize)
                    if index:
                        if plen != h:
                            continue
                    else:
                        rl = h - plen
                        if rl < 1 or rl > 9:
                            continue
                        if prof.nlive and rl > varint_len(max(prof.max_rowid, 1) * 4 + 1000):
                            m += 1.0
                    local = local_payload(psize, usable, index)
                    lend = s + h + local
                    end = lend + (4 if local < psize else 0)
                    if end > limit:
                        continue
                    ovf = int.from_bytes(page[lend:end], "big") if local < psize else 0
                    if local < psize and ovf == 0:
                        continue
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
) -> Hit | None:
    """The most plausible rebuilt cell at ``s`` over all profiles, or None if none is convincing."""
    hits: list[Hit] = []
    for prof in profs:
        hits.extend(lost_head(page, s, limit, prof, usable, encoding))
    if not hits:
        return None
    for h in hits:
        h.score = -h.misfit
        gap = limit - h.end
        if 0 <= gap <= 3:
            h.score += 3.0
        if h.prof.seen is not None:
            h.score += 0.5
    if lookahead and len(hits) > 1:
        for h in hits:
            if 0 <= limit - h.end <= 3:
                continue
            bonus = 0.0
            for d, p in enumerate(range(h.end, min(h.end + 4, limit))):
                nxt = intact(page, p, limit, profs, usable, encoding, h.prof.index_format)
                if nxt is None:
                    nxt = best_lost(page, p, limit, profs, usable, encoding, lookahead=False)
                if nxt is not None:
                    bonus = (2.0 if d == 0 else 1.0) + (1.0 if 0 <= limit - nxt.end <= 3 else 0.0)
                    break
            h.score += bonus
    hits.sort(key=lambda x: (-x.score, x.misfit, -x.payload_size))
    best = hits[0]
    supported = best.score >= 1.0 or (0 <= limit - best.end <= 3)
    if not supported and best.misfit > 0:
        return None
    if not lookahead and not supported:
        return best if best.misfit == 0 else None
    if len(hits) > 1 and hits[1].score == best.score and hits[1].types != best.types:
        best.score -= 1.0  # ambiguous: keep the best guess, lower confidence
    return best
