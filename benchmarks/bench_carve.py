"""Benchmark of ``reclaim.sqlite.carve`` on generated databases with known deleted rows.

Usage::

    .venv/bin/python benchmarks/bench_carve.py            # 60 cases + the large case (~1-2 min)
    .venv/bin/python benchmarks/bench_carve.py --quick    # 10 representative cases + the large case
    .venv/bin/python benchmarks/bench_carve.py --no-dissect --large-mb 0 --keep /tmp/bc

For every combination of page size (1024/4096), ``secure_delete`` (off/on), ``auto_vacuum``
(none/full/incremental) and journal mode (delete, persist, WAL uncheckpointed, WAL
checkpointed, WAL restarted), it builds a database with three iOS-shaped tables (sms.db
``message`` with its guid index and Apple-epoch nanosecond dates, a WeChat ``Chat_<md5>``
table, AddressBook ``ABPerson``), inserts rows, deletes scattered rows, a range of rows
(freelist pages) and long rows (overflow chains), and copies the files while the writer
is still open (so no checkpoint at close hides anything).

Ground truth comes from the generator, never from the database. A deleted row counts as
"in files" when its unique token is still somewhere in the raw bytes of db + wal +
journal, and as "physically present" (``phys``) when its whole stored record is: the
record the generator's values encode to (header + body, as SQLite stores it), less the
first 4 bytes of the in-cell part that a freeblock header may overwrite, plus the content
of every overflow page it needs. Reported per case: recall (rows found / rows with every
value right) over rows in files and over rows physically present, then per area holding the
bytes of present rows (freeblock, unallocated, freelist, overflow, wal, wal-stale, journal),
precision with false hits split into live copies, junk and fragments, the areas the
hits came from, and throughput (MB/s = bytes of db + wal + journal / wall seconds of
``carve()``; totals also per CPU second, which a shared machine disturbs less). Then a
large WeChat-like ``message_1.sqlite`` (``--large-mb``, default 60 MB,
24 ``Chat_<md5>`` tables with WeChat's indexes, ~3% of rows deleted, a WAL) is generated
(reused from a ``--keep`` folder) and carved in a child process, reporting the same scores,
MB/s and the child's peak RSS. The load average is printed before and after, since
timings on a shared machine vary. If ``sqlite-dissect`` is installed in ``/tmp/sd-venv`` (a
separate venv; ``python3 -m venv /tmp/sd-venv && /tmp/sd-venv/bin/pip install sqlite-dissect``)
it is run on the same files and its figures are printed beside ours.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import glob
import hashlib
import itertools
import json
import mmap
import os
import pickle
import random
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.sqlite import Database, carve
from reclaim.sqlite.format import FormatError, encode_varint, local_payload
from reclaim.sqlite.pages import freeblocks, parse_btree_page

APPLE_EPOCH_NS = 978_307_200 * 10**9
WECHAT = "Chat_" + hashlib.md5(b"wxid_friend").hexdigest()

SCHEMA = f"""
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT,
  attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
  account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
  is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0,
  is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0,
  cache_roomnames TEXT, group_title TEXT, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0);
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE TABLE {WECHAT} (TableVer integer default 1, MesLocalID integer primary key autoincrement,
  MesSvrID integer default 0, CreateTime integer default 0, Message text, Status integer default 0,
  ImgStatus integer default 1, Type integer, Des integer);
CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT,
  FirstPhonetic TEXT, MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT, Department TEXT,
  Note TEXT, Kind INTEGER, Birthday TEXT, JobTitle TEXT, Nickname TEXT, Prefix TEXT, Suffix TEXT,
  FirstSort TEXT, LastSort TEXT, CreationDate INTEGER, ModificationDate INTEGER, CompositeNameFallback TEXT,
  ExternalIdentifier TEXT, ExternalModificationTag TEXT, ExternalUUID TEXT, StoreID INTEGER,
  DisplayName TEXT, ExternalRepresentation BLOB, FirstSortSection TEXT, LastSortSection TEXT,
  FirstSortLanguageIndex INTEGER DEFAULT 2147483647, LastSortLanguageIndex INTEGER DEFAULT 2147483647,
  PersonLink INTEGER DEFAULT -1, ImageURI TEXT, IsPreferredName INTEGER DEFAULT 1, guid TEXT);
"""

TOKEN_COLUMN = {"message": "text", WECHAT: "Message", "ABPerson": "First"}
TOKEN_RE = re.compile(r"^([MWP])(\d{5})\|")
PREFIX = {"message": "M", WECHAT: "W", "ABPerson": "P"}
KEY_COLUMN = {"message": "ROWID", WECHAT: "MesLocalID", "ABPerson": "ROWID"}
#: a second unique column per table: identifies a partial record whose token text was lost
IDENTITY = {"message": "guid", WECHAT: "MesSvrID", "ABPerson": "guid"}


def _words(rng: random.Random, n: int) -> str:
    pool = ["hello", "see", "you", "tomorrow", "ok", "thanks", "Grüße", "你好", "meeting", "🙂", "call", "me"]
    return " ".join(rng.choice(pool) for _ in range(n))


def message_row(i: int, rng: random.Random, long: bool) -> dict[str, object]:
    text = f"M{i:05d}|" + _words(rng, rng.randint(2, 12))
    if long:
        text += " " + ("lorem ipsum dolor sit amet " * 250)[: rng.randint(3000, 7000)]
    date = APPLE_EPOCH_NS + (700_000_000 + i * 3600) * 10**9 + rng.randint(0, 10**9)
    return {
        "ROWID": i, "guid": f"GUID-{i:05d}-{rng.getrandbits(64):016X}", "text": text, "replace": 0,
        "service_center": None, "handle_id": rng.randint(1, 40), "subject": None, "country": "de",
        "attributedBody": b"\x04\x0bstreamtyped" + f"BM{i:05d}".encode() + bytes(rng.getrandbits(8) for _ in range(24)),
        "version": 10, "type": 0, "service": rng.choice(["iMessage", "SMS"]), "account": "e:me@example.com",
        "account_guid": "8F3C2D1E-0000-4000-8000-00000000AB12", "error": 0, "date": date,
        "date_read": date + 5 * 10**9 if i % 2 else 0, "date_delivered": date + 10**9, "is_delivered": 1,
        "is_finished": 1, "is_emote": 0, "is_from_me": i % 2, "is_empty": 0, "is_read": 1,
        "cache_roomnames": None, "group_title": None, "item_type": 0, "other_handle": 0,
    }


def wechat_row(i: int, rng: random.Random, long: bool) -> dict[str, object]:
    msg = f"W{i:05d}|" + _words(rng, rng.randint(1, 10))
    if long:
        msg += " <msg><appmsg>" + ("x" * rng.randint(3000, 6000)) + "</appmsg></msg>"
    return {
        "TableVer": 1, "MesLocalID": i, "MesSvrID": 6_000_000_000_000_000_000 + i * 7919 + rng.randint(0, 99),
        "CreateTime": 1_600_000_000 + i * 60, "Message": msg, "Status": rng.choice([2, 3, 4]),
        "ImgStatus": rng.choice([1, 2]), "Type": rng.choice([1, 1, 1, 3, 34, 49]), "Des": i % 2,
    }


def person_row(i: int, rng: random.Random, long: bool) -> dict[str, object]:
    first = f"P{i:05d}|" + rng.choice(["Anna", "Jörg", "Li", "Marie", "Omar", "Zoë"])
    last = rng.choice(["Schmidt", "Wang", "Müller", "Smith", "Nakamura"])
    row: dict[str, object] = {c: None for c in PERSON_COLUMNS}
    row.update({
        "ROWID": i, "First": first, "Last": last, "Organization": rng.choice([None, "ACME", "Stadtwerke"]),
        "Note": ("note " * rng.randint(800, 1400)) if long else None, "Kind": 0,
        "CreationDate": 700_000_000 + i, "ModificationDate": 700_000_000 + i * 2,
        "FirstSort": first.lower(), "LastSort": last.lower(), "ExternalIdentifier": None,
        "StoreID": 0, "DisplayName": None, "FirstSortSection": first[:1], "LastSortSection": last[:1],
        "FirstSortLanguageIndex": 0, "LastSortLanguageIndex": 0, "PersonLink": -1,
        "IsPreferredName": 1, "guid": f"{rng.getrandbits(128):032X}:ABPerson",
    })
    return row


PERSON_COLUMNS = [
    "ROWID", "First", "Last", "Middle", "FirstPhonetic", "MiddlePhonetic", "LastPhonetic", "Organization",
    "Department", "Note", "Kind", "Birthday", "JobTitle", "Nickname", "Prefix", "Suffix", "FirstSort",
    "LastSort", "CreationDate", "ModificationDate", "CompositeNameFallback", "ExternalIdentifier",
    "ExternalModificationTag", "ExternalUUID", "StoreID", "DisplayName", "ExternalRepresentation",
    "FirstSortSection", "LastSortSection", "FirstSortLanguageIndex", "LastSortLanguageIndex", "PersonLink",
    "ImageURI", "IsPreferredName", "guid",
]
MAKERS = {"message": message_row, WECHAT: wechat_row, "ABPerson": person_row}
COUNTS = {"message": 300, WECHAT: 150, "ABPerson": 80}


@dataclass
class Case:
    """One generated database and its ground truth."""

    name: str
    page_size: int
    secure: int
    vacuum: int
    journal: str
    dir: Path = Path()
    db: Path = Path()
    deleted: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
    live: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)


def _insert(con: sqlite3.Connection, table: str, row: dict[str, object]) -> None:
    cols = ",".join(f'"{c}"' for c in row)
    con.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({",".join("?" * len(row))})', list(row.values()))


def build(case: Case, root: Path, seed: int = 7) -> Case:
    """Generate the case's files under ``root``; fill in its ground truth."""
    rng = random.Random(seed)
    work = root / case.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    src = work / "src.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute(f"PRAGMA page_size={case.page_size}")
    con.execute(f"PRAGMA auto_vacuum={case.vacuum}")
    con.execute(f"PRAGMA secure_delete={case.secure}")
    wal = case.journal.startswith("wal")
    con.execute(f"PRAGMA journal_mode={'wal' if wal else case.journal}")
    if wal:
        con.execute("PRAGMA wal_autocheckpoint=0")
    con.executescript(SCHEMA)
    rows: dict[tuple[str, int], dict[str, object]] = {}
    for table, n in COUNTS.items():
        con.execute("BEGIN")
        for i in range(1, n + 1):
            long = i % 37 == 0
            row = MAKERS[table](i, rng, long)
            _insert(con, table, row)
            rows[(table, i)] = row
        con.execute("COMMIT")
    if case.journal == "wal":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # inserts in the main file, deletes only in the WAL
    doomed: set[tuple[str, int]] = set()
    for table, n in COUNTS.items():
        for i in range(1, n + 1):
            if i % 7 == 3 or i % 37 == 0:
                doomed.add((table, i))
        lo = n // 2
        for i in range(lo, lo + n // 6):  # a range: whole pages go to the freelist
            doomed.add((table, i))
    for table in COUNTS:
        ids = sorted(i for t, i in doomed if t == table)
        con.execute("BEGIN")
        for i in ids:
            con.execute(f'DELETE FROM "{table}" WHERE "{KEY_COLUMN[table]}"=?', (i,))
        con.execute("COMMIT")
    if case.journal == "walckpt":
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
    if case.journal == "walreset":
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        new = person_row(999, rng, False)
        con.execute("BEGIN")
        _insert(con, "ABPerson", new)
        con.execute("COMMIT")
        rows[("ABPerson", 999)] = new
    case.db = work / "evidence.db"
    for suffix in ("", "-wal", "-journal"):
        if os.path.exists(f"{src}{suffix}"):
            shutil.copyfile(f"{src}{suffix}", f"{case.db}{suffix}")
    con.close()
    # Ground truth: what is live is read back from a copy (immutable, so nothing is changed).
    live_ids = set()
    ro = sqlite3.connect(f"file:{case.db}?mode=ro&immutable=1", uri=True) if not wal else None
    if ro is None:
        tmp = work / "check"
        tmp.mkdir(exist_ok=True)
        for suffix in ("", "-wal"):
            if os.path.exists(f"{case.db}{suffix}"):
                shutil.copyfile(f"{case.db}{suffix}", tmp / f"c.db{suffix}")
        ro = sqlite3.connect(tmp / "c.db")
    for table in COUNTS:
        for (i,) in ro.execute(f'SELECT "{KEY_COLUMN[table]}" FROM "{table}"'):
            live_ids.add((table, i))
    ro.close()
    case.deleted = {k: v for k, v in rows.items() if k not in live_ids}
    case.live = {k: v for k, v in rows.items() if k in live_ids}
    case.dir = work
    return case


def _evidence_bytes(case: Case) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-journal"):
        p = f"{case.db}{suffix}"
        if os.path.exists(p):
            out += Path(p).read_bytes()
    return out


def _token(table: str, values: dict[str, object]) -> int | None:
    v = values.get(TOKEN_COLUMN.get(table or "", ""))
    if isinstance(v, str):
        m = TOKEN_RE.match(v)
        if m and m.group(1) == PREFIX[table]:
            return int(m.group(2))
    return None


def _full(expected: dict[str, object], got: dict[str, object], key: str) -> bool:
    for col, val in expected.items():
        if col == key:
            continue
        g = got.get(col)
        if isinstance(val, float) or isinstance(g, float):
            if g is None or val is None or abs(float(g) - float(val)) > 1e-9 * max(1.0, abs(float(val))):
                return False
        elif g != val:
            return False
    return True


@dataclass
class Score:
    """Scores of one tool on one case."""

    in_file: int = 0
    found: int = 0
    full: int = 0
    claimed: int = 0
    live: int = 0
    junk: int = 0
    frag: int = 0
    dup: int = 0
    rowid_ok: int = 0
    areas: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu: float = 0.0
    crashed: bool = False
    phys: int = 0  # deleted rows whose record bytes are physically present (see physical_presence)
    phys_found: int = 0
    phys_full: int = 0
    #: per area: [rows physically present there, found, every value right]
    by_area: dict[str, list[int]] = field(default_factory=dict)

    def add_presence(self, presence: dict[object, set[str]], got: dict[object, bool]) -> None:
        """Recall against the rows physically present, overall and per area holding their bytes."""
        self.phys = len(presence)
        self.phys_found = sum(1 for k in presence if k in got)
        self.phys_full = sum(1 for k in presence if got.get(k))
        for k, areas in presence.items():
            for a in areas:
                cell = self.by_area.setdefault(a, [0, 0, 0])
                cell[0] += 1
                cell[1] += k in got
                cell[2] += bool(got.get(k))

    @property
    def precision(self) -> float:
        return 1.0 if not self.claimed else (self.claimed - self.live - self.junk - self.frag) / self.claimed


def in_file_rows(case: Case) -> set[tuple[str, int]]:
    """Deleted rows whose token bytes still exist somewhere in the evidence files."""
    blob = _evidence_bytes(case)
    out = set()
    for table, i in case.deleted:
        tok = f"{PREFIX[table]}{i:05d}|".encode()
        if tok in blob:
            out.add((table, i))
    return out


def score_records(
    case: Case, recs: list[tuple[str | None, dict[str, object], str, bool, int | None]], physical: bool = True
) -> Score:
    """Score (table, values, area, partial, rowid) claims against the case's ground truth."""
    s = Score()
    ident = {(t, row[IDENTITY[t]]): i for (t, i), row in [*case.deleted.items(), *case.live.items()]}
    present = in_file_rows(case)
    s.in_file = len(present)
    got: dict[tuple[str, int], bool] = {}
    for table, values, area, partial, rowid in recs:
        s.claimed += 1
        tok = _token(table or "", values) if table else None
        if tok is None and table in KEY_COLUMN and rowid is not None and (table, rowid) in case.deleted:
            tok = rowid  # token column lost (e.g. overflow pages gone) but the rowid identifies the row
        if tok is None and table in IDENTITY:
            tok = ident.get((table, values.get(IDENTITY[table])))  # or another unique column does
        if tok is None:
            if partial:
                s.frag += 1
            else:
                s.junk += 1
            continue
        key = (table, tok)
        if key in case.live:
            s.live += 1
            continue
        if key not in case.deleted:
            s.junk += 1
            continue
        if key in got:
            s.dup += 1
        full = _full(case.deleted[key], values, KEY_COLUMN[table])
        got[key] = got.get(key, False) or full
        s.areas[area] += 1
        if rowid == tok:
            s.rowid_ok += 1
    s.found = sum(1 for k in got if k in present)
    s.full = sum(1 for k, ok in got.items() if ok and k in present)
    if physical:
        s.add_presence(case_presence(case), got)  # type: ignore[arg-type]
    return s


# -- physical presence: is the deleted row's record still in the files, and where? -----------

AREA_ORDER = ("freeblock", "unallocated", "freelist", "overflow", "wal", "wal-stale", "journal")


def encode_record(values: list[object]) -> bytes:
    """The SQLite record (header + body) of ``values`` in column order, as SQLite stores it
    (file format 4: 0 and 1 as serial types 8/9; the INTEGER PRIMARY KEY alias passed as None)."""
    types: list[int] = []
    body = bytearray()
    for v in values:
        if v is None:
            types.append(0)
        elif isinstance(v, bool | int):
            v = int(v)
            if v in (0, 1):
                types.append(8 + v)
                continue
            for st, n in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 6), (6, 8)):
                if -(1 << (8 * n - 1)) <= v < 1 << (8 * n - 1):
                    types.append(st)
                    body += v.to_bytes(n, "big", signed=True)
                    break
        elif isinstance(v, float):
            types.append(7)
            body += struct.pack(">d", v)
        elif isinstance(v, str):
            b = v.encode("utf-8")
            types.append(13 + 2 * len(b))
            body += b
        else:
            b = bytes(v)  # type: ignore[arg-type]
            types.append(12 + 2 * len(b))
            body += b
    head = b"".join(encode_varint(t) for t in types)
    n = len(head) + 1
    while len(encode_varint(n)) + len(head) != n:
        n += 1
    return encode_varint(n) + head + bytes(body)


def payload_parts(payload: bytes, usable: int) -> tuple[int, list[bytes]]:
    """(bytes kept in the cell, overflow page contents) of a table-leaf payload."""
    local = local_payload(len(payload), usable, False)
    rest = payload[local:]
    return local, [rest[i : i + usable - 4] for i in range(0, len(rest), usable - 4)]


class Locator:
    """Which area a byte offset of db / wal / journal belongs to, as the carver names them."""

    def __init__(self, db: Path) -> None:
        self.d = Database(db, wal=True, journal=True)
        trunks, leaves = self.d.freelist()
        self.free = set(trunks) | set(leaves)
        wal = self.d.wal
        self.frames = sorted((fr.offset, fr.valid) for fr in wal.frames) if wal is not None else []
        self._fb: dict[int, list[tuple[int, int]]] = {}

    def close(self) -> None:
        self.d.close()

    def images(self, pgno: int) -> list[bytes]:
        """Every stored image of page ``pgno``: main file, each WAL frame, each journal record."""
        d = self.d
        out = []
        if 1 <= pgno <= d.file_pages and (data := d.db_page(pgno)) is not None:
            out.append(data)
        if d.wal is not None:
            out += [d.wal.page(fr) for fr in d.wal.frames if fr.pgno == pgno]
        if d.journal is not None:
            out += [d.journal.page(jp) for jp in d.journal.pages if jp.pgno == pgno]
        return out

    def chain_present(self, first: int, chunks: list[bytes], depth: int = 0) -> bool:
        """True if some version of each page of an overflow chain holds the expected content."""
        if not chunks:
            return True
        if depth > 10_000 or first < 1:
            return False
        for img in self.images(first):
            if img[4 : 4 + len(chunks[0])] == chunks[0]:
                nxt = int.from_bytes(img[:4], "big")
                if self.chain_present(nxt, chunks[1:], depth + 1):
                    return True
        return False

    def area(self, kind: str, off: int) -> str:
        if kind == "journal":
            return "journal"
        ps = self.d.page_size
        if kind == "wal":
            i = bisect.bisect_right(self.frames, (off, True)) - 1
            return "wal" if i >= 0 and self.frames[i][1] else "wal-stale"
        pg, at = off // ps + 1, off % ps
        if pg in self.d.latest:
            return "wal"  # a main-file page the WAL rewrote (the carver reports it as "wal")
        if pg in self.free:
            return "freelist"
        fb = self._fb.get(pg)
        if fb is None:
            fb = []
            data = self.d.db_page(pg)
            if data is not None:
                try:
                    bp = parse_btree_page(data, pg, self.d.usable)
                    if bp.is_leaf:
                        fb = freeblocks(data, bp, self.d.usable)
                except FormatError:
                    pass
            self._fb[pg] = fb
        return "freeblock" if any(o <= at < o + n for o, n in fb) else "unallocated"


def physical_presence(
    db: Path, payloads: dict[object, bytes], token_re: re.Pattern[bytes], key_of: Callable[[re.Match[bytes]], object]
) -> dict[object, set[str]]:
    """Deleted rows whose record bytes are still in db + wal + journal, and the areas holding them.

    A row is present when its in-cell payload, less its first 4 bytes (what a freeblock
    header may overwrite), occurs in a file, and, for a long row, its overflow chain can be
    followed from the cell's pointer through some stored version of each page (main file,
    WAL frames, journal) holding exactly the expected content (the row then counts in
    "overflow"). Candidate places are found from the row's unique token; the files are
    memory-mapped, never read whole.
    """
    loc = Locator(db)
    usable = loc.d.usable
    out: dict[object, set[str]] = {}
    offsets = {k: p.find(m.group()) for k, p in payloads.items() if (m := token_re.search(p))}
    try:
        maps = []
        for kind, suffix in (("db", ""), ("wal", "-wal"), ("journal", "-journal")):
            path = f"{db}{suffix}"
            if os.path.exists(path) and os.path.getsize(path):
                fh = open(path, "rb")  # noqa: SIM115 - closed below
                maps.append((kind, fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)))
        for kind, _fh, mm in maps:
            for m in token_re.finditer(mm):
                key = key_of(m)
                tok_off = offsets.get(key)
                if tok_off is None:
                    continue
                payload = payloads[key]
                local, chunks = payload_parts(payload, usable)
                start = m.start() - tok_off
                if start < 0 or mm[start + 4 : start + local] != payload[4:local]:
                    continue
                if chunks and not loc.chain_present(int.from_bytes(mm[start + local : start + local + 4], "big"),
                                                    chunks):
                    continue
                out.setdefault(key, set()).add("overflow" if chunks else loc.area(kind, start))
        return out
    finally:
        for _kind, fh, mm in maps:
            mm.close()
            fh.close()
        loc.close()


def case_payloads(case: Case) -> dict[object, bytes]:
    """The stored record of every deleted row of a case."""
    out: dict[object, bytes] = {}
    for (table, i), row in case.deleted.items():
        vals = [None if c == KEY_COLUMN[table] else v for c, v in row.items()]
        out[(table, i)] = encode_record(vals)
    return out


TABLE_OF = {"M": "message", "W": WECHAT, "P": "ABPerson"}
CASE_TOKEN = re.compile(rb"([MWP])(\d{5})\|")


def case_presence(case: Case) -> dict[object, set[str]]:
    return physical_presence(case.db, case_payloads(case), CASE_TOKEN,
                             lambda m: (TABLE_OF[m.group(1).decode()], int(m.group(2))))


def run_reclaim(case: Case) -> Score:
    t, c = time.perf_counter(), time.process_time()
    recs = [(r.table, r.values, r.area, r.partial, r.rowid) for r in carve(case.db)]
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    s = score_records(case, recs)
    s.seconds = elapsed
    s.cpu = cpu
    return s


# -- the large case: a WeChat-like message database of 50-100 MB ------------------------------

LARGE_TABLES = 24
LARGE_RE = re.compile(rb"L(\d{2})(\d{6})\|")
LARGE_WORDS = ["好的", "明天见", "收到", "哈哈哈", "在吗", "谢谢", "ok", "晚上吃什么", "到了", "😂", "👍", "开会"]


def large_table(k: int) -> str:
    """Name of the k-th conversation table (``Chat_`` + md5 of a contact id, as WeChat names them)."""
    return "Chat_" + hashlib.md5(f"wxid_large{k:02d}".encode()).hexdigest()


def large_row(k: int, i: int) -> dict[str, object]:
    """Row ``i`` of conversation ``k``: a pure function of (k, i), so ground truth needs no storage."""
    rng = random.Random(k * 10_000_000 + i)
    kind = rng.choices([1, 3, 34, 47, 49, 10000], [70, 10, 5, 5, 8, 2])[0]
    tok = f"L{k:02d}{i:06d}|"
    if kind == 1:
        body = "".join(rng.choice(LARGE_WORDS) for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.004:
            body += " " + "长消息" * rng.randint(1500, 2500)  # overflow pages
    elif kind == 3:
        body = (f'<msg><img aeskey="{rng.getrandbits(128):032x}" cdnthumburl="{rng.getrandbits(256):064x}" '
                f'length="{rng.randint(10_000, 900_000)}" md5="{rng.getrandbits(128):032x}" /></msg>')
    elif kind == 34:
        body = (f'<msg><voicemsg endflag="1" length="{rng.randint(900, 60_000)}" '
                f'voicelength="{rng.randint(1, 59_000)}" /></msg>')
    elif kind == 47:
        body = f'<msg><emoji md5="{rng.getrandbits(128):032x}" type="2" len="{rng.randint(1000, 90_000)}" /></msg>'
    elif kind == 49:
        body = ("<msg><appmsg appid=\"\" sdkver=\"0\"><title>" + "".join(rng.choice(LARGE_WORDS) for _ in range(8))
                + "</title><des>" + "x" * rng.randint(200, 2500) + "</des><url>https://mp.weixin.qq.com/s/"
                + f"{rng.getrandbits(96):024x}</url></appmsg></msg>")
    else:
        body = "你撤回了一条消息"
    return {
        "TableVer": 1, "MesLocalID": i, "MesSvrID": 1_000_000_000_000_000_000 + k * 10**12 + i * 7919,
        "CreateTime": 1_600_000_000 + i * 97 + k, "Message": tok + body, "Status": rng.choice([2, 3, 4]),
        "ImgStatus": rng.choice([1, 2]), "Type": kind, "Des": rng.randint(0, 1),
    }


@dataclass
class Large:
    """The large case's files and its ground truth (rows are regenerated from (k, i) when needed)."""

    db: Path
    counts: dict[int, int]
    deleted: set[tuple[int, int]]


def build_large(root: Path, mb: int = 60, seed: int = 11) -> Large:
    """A ``message_1.sqlite``-like database of about ``mb`` MB plus a WAL.

    24 ``Chat_<md5>`` tables with WeChat's three indexes, messages inserted in time order
    across conversations; then 2.5% of rows deleted at random and one small conversation
    emptied (checkpointed into the main file: freeblocks, freelist pages, overflow), then
    a few hundred deletes and new messages left in the WAL.
    """
    rng = random.Random(seed)
    work = root / f"large-{mb}"
    marker = work / "done.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        return Large(work / "message_1.sqlite", {int(k): v for k, v in info["counts"].items()},
                     {tuple(x) for x in info["deleted"]})
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    src = work / "src.sqlite"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA secure_delete=0")
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA wal_autocheckpoint=0")
    for k in range(LARGE_TABLES):
        t = large_table(k)
        con.execute(f"CREATE TABLE {t} (TableVer integer default 1, MesLocalID integer primary key autoincrement, "
                    "MesSvrID integer default 0, CreateTime integer default 0, Message text, Status integer default 0, "
                    "ImgStatus integer default 1, Type integer, Des integer)")
        con.execute(f"CREATE INDEX {t}_Index ON {t}(MesSvrID)")
        con.execute(f"CREATE INDEX {t}_Index2 ON {t}(CreateTime)")
        con.execute(f"CREATE INDEX {t}_Index3 ON {t}(Status)")
    weights = [1 + (k * 7) % 13 for k in range(LARGE_TABLES)]
    weights[5] = 0.2  # the small conversation that gets deleted whole
    counts = dict.fromkeys(range(LARGE_TABLES), 0)
    cols = list(large_row(0, 1))
    insert = {k: f'INSERT INTO {large_table(k)} ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})'
              for k in range(LARGE_TABLES)}

    def add(n: int) -> None:
        con.execute("BEGIN")
        for k in rng.choices(range(LARGE_TABLES), weights, k=n):
            counts[k] += 1
            con.execute(insert[k], list(large_row(k, counts[k]).values()))
        con.execute("COMMIT")

    while True:
        add(20_000)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if src.stat().st_size >= mb * 1_000_000 * 0.97:
            break
    deleted: set[tuple[int, int]] = set()
    total = sum(counts.values())
    con.execute("BEGIN")
    pool = [(k, i) for k in counts if k != 5 for i in range(1, counts[k] + 1)]
    for k, i in rng.sample(pool, int(total * 0.025)):
        con.execute(f"DELETE FROM {large_table(k)} WHERE MesLocalID=?", (i,))
        deleted.add((k, i))
    con.execute(f"DELETE FROM {large_table(5)}")
    deleted |= {(5, i) for i in range(1, counts[5] + 1)}
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for k in (1, 2, 3):  # the user deletes a few recent messages; new ones arrive: all still in the WAL
        ids = [i for i in range(counts[k] - 150, counts[k] + 1) if (k, i) not in deleted and rng.random() < 0.6]
        con.execute("BEGIN")
        for i in ids:
            con.execute(f"DELETE FROM {large_table(k)} WHERE MesLocalID=?", (i,))
            deleted.add((k, i))
        con.execute("COMMIT")
        add(300)
    db = work / "message_1.sqlite"
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{src}{suffix}", f"{db}{suffix}")
    con.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{src}{suffix}").unlink(missing_ok=True)
    marker.write_text(json.dumps({"counts": counts, "deleted": sorted(deleted)}))
    return Large(db, counts, deleted)


def score_large(lg: Large, recs: list[tuple[str | None, dict[str, object], str, bool, int | None]]) -> Score:
    """Score claims on the large case (a row is "in files" when its token is in db or WAL bytes)."""
    s = Score()
    present: set[tuple[int, int]] = set()
    for suffix in ("", "-wal"):
        path = f"{lg.db}{suffix}"
        if not os.path.exists(path):
            continue
        with open(path, "rb") as fh:  # streamed: the benchmark's own memory stays small too
            tail = b""
            while chunk := fh.read(1 << 22):
                buf = tail + chunk
                for m in LARGE_RE.finditer(buf):
                    key = (int(m.group(1)), int(m.group(2)))
                    if key in lg.deleted:
                        present.add(key)
                tail = buf[-16:]
    s.in_file = len(present)
    names = {large_table(k): k for k in range(LARGE_TABLES)}
    got: dict[tuple[int, int], bool] = {}
    for table, values, area, partial, rowid in recs:
        s.claimed += 1
        k = names.get(table or "")
        tok = None
        msg = values.get("Message")
        if k is not None and isinstance(msg, str):
            m = LARGE_RE.match(msg.encode())
            if m and int(m.group(1)) == k:
                tok = (k, int(m.group(2)))
        if tok is None and k is not None and rowid is not None and (k, rowid) in lg.deleted:
            tok = (k, rowid)
        svr = values.get("MesSvrID")
        if tok is None and k is not None and isinstance(svr, int):  # the unique server id names the row
            i, r = divmod(svr - 1_000_000_000_000_000_000 - k * 10**12, 7919)
            if r == 0 and 1 <= i <= lg.counts.get(k, 0):
                tok = (k, i)
        if tok is None:
            if partial:
                s.frag += 1
            else:
                s.junk += 1
            continue
        if tok not in lg.deleted:
            if tok[1] <= lg.counts.get(tok[0], 0):
                s.live += 1
            else:
                s.junk += 1
            continue
        if tok in got:
            s.dup += 1
        full = _full(large_row(*tok), values, "MesLocalID")
        got[tok] = got.get(tok, False) or full
        s.areas[area] += 1
        if rowid == tok[1]:
            s.rowid_ok += 1
    s.found = sum(1 for k in got if k in present)
    s.full = sum(1 for k, ok in got.items() if ok and k in present)
    payloads = {k: encode_record([None if c == "MesLocalID" else v for c, v in large_row(*k).items()])
                for k in lg.deleted}
    s.add_presence(physical_presence(lg.db, payloads, LARGE_RE,  # type: ignore[arg-type]
                                     lambda m: (int(m.group(1)), int(m.group(2)))), got)  # type: ignore[arg-type]
    return s


def carve_child(db: str, out: str) -> None:
    """Carve ``db`` in this (fresh) process; pickle the claims, wall seconds and peak RSS to ``out``."""
    t, c = time.perf_counter(), time.process_time()
    recs = [(r.table, r.values, r.area, r.partial, r.rowid) for r in carve(db)]
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource else 0.0
    with open(out, "wb") as fh:
        pickle.dump({"recs": recs, "seconds": elapsed, "cpu": cpu, "rss_mb": rss}, fh)


def run_large(root: Path, mb: int) -> tuple[Score, float, float]:
    """Build (or reuse) the large case, carve it in a child process; return (score, MB, peak RSS MB)."""
    lg = build_large(root, mb)
    size = sum(os.path.getsize(f"{lg.db}{s}") for s in ("", "-wal") if os.path.exists(f"{lg.db}{s}"))
    out = root / "large-out.pickle"
    subprocess.run([sys.executable, __file__, "--carve-child", str(lg.db), str(out)], check=True)
    with open(out, "rb") as fh:
        res = pickle.load(fh)
    out.unlink()
    s = score_large(lg, res["recs"])
    s.seconds = res["seconds"]
    s.cpu = res["cpu"]
    return s, size / 1e6, res["rss_mb"]


DISSECT = Path("/tmp/sd-venv/bin/sqlite_dissect")


def run_dissect(case: Case) -> Score | None:
    """Run sqlite-dissect (if installed) on a copy of the case and score its carved/deleted rows."""
    if not DISSECT.exists():
        return None
    out = Path(tempfile.mkdtemp(prefix="sd-out-"))
    work = Path(tempfile.mkdtemp(prefix="sd-in-"))
    try:
        for suffix in ("", "-wal", "-journal"):
            if os.path.exists(f"{case.db}{suffix}"):
                shutil.copyfile(f"{case.db}{suffix}", work / f"evidence.db{suffix}")
        t = time.perf_counter()
        proc = subprocess.run(
            [str(DISSECT), str(work / "evidence.db"), "-c", "-f", "-e", "csv", "-d", str(out)],
            capture_output=True, timeout=300, check=False,
        )
        elapsed = time.perf_counter() - t
        recs = []
        for path in glob.glob(str(out / "**" / "*.csv"), recursive=True):
            fname = Path(path).name.lower()
            table = next((t for t in COUNTS if t.lower() in fname), None)
            with open(path, newline="", encoding="utf-8", errors="replace") as fh:
                reader = csv.reader(fh)
                header = next(reader, [])
                for row in reader:
                    text = " | ".join(row)
                    kind = next((c for c in row[:8] if c in ("Carved", "Deleted", "Updated", "Added", "Unchanged")), "")
                    if kind not in ("Carved", "Deleted"):
                        continue
                    m = re.search(r"\b([MWP])(\d{5})\|", text)
                    if m:
                        tbl = {"M": "message", "W": WECHAT, "P": "ABPerson"}[m.group(1)]
                        vals = _dissect_values(tbl, header, row)
                        recs.append((tbl, vals, "dissect", False, None))
                    else:
                        recs.append((table, {}, "dissect", True, None))
        s = score_records(case, recs, physical=False)
        s.seconds = elapsed
        s.crashed = proc.returncode != 0
        return s
    except (subprocess.TimeoutExpired, OSError):
        s = Score()
        s.crashed = True
        return s
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def _dissect_values(table: str, header: list[str], row: list[str]) -> dict[str, object]:
    """Map a sqlite-dissect CSV row to typed values (its CSV has every value as text)."""
    names = {
        "message": list(message_row(1, random.Random(0), False)),
        WECHAT: list(wechat_row(1, random.Random(0), False)),
        "ABPerson": PERSON_COLUMNS,
    }[table]
    cells = row[len(row) - len(names):] if len(row) >= len(names) else row
    out: dict[str, object] = {}
    for name, cell in zip(names, cells, strict=False):
        out[name] = _typed(cell)
    return out


def _typed(cell: str) -> object:
    if cell in ("", "None"):
        return None
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 representative cases instead of 60")
    ap.add_argument("--no-dissect", action="store_true", help="do not run sqlite-dissect")
    ap.add_argument("--keep", help="keep the generated files in this folder (the large case is reused from it)")
    ap.add_argument("--large-mb", type=int, default=60, help="size of the large WeChat-like case (0: skip it)")
    ap.add_argument("--carve-child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.carve_child:
        carve_child(*args.carve_child)
        return 0
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-carve-"))
    journals = ["delete", "persist", "wal", "walckpt", "walreset"]
    matrix = list(itertools.product([1024, 4096], [0, 1], [0, 1, 2], journals))
    if args.quick:
        matrix = [(ps, sd, 0, j) for ps in (1024, 4096) for sd, j in
                  ((0, "delete"), (0, "persist"), (1, "walckpt"), (1, "walreset"), (0, "wal"))][:10]
    dissect = not args.no_dissect and DISSECT.exists()
    hdr = (f"{'case':<26}{'in':>5}{'found':>7}{'full':>7}{'phys':>6}{'found':>7}{'full':>7}{'prec':>7}{'live':>6}"
           f"{'junk':>6}{'frag':>6}{'rowid':>7}{'MB':>6}{'s':>7}{'MB/s':>7}  areas")
    if dissect:
        hdr += "  | sqlite-dissect found/full/prec"
    print(f"load average before: {_load()}")
    print(hdr)
    print("-" * len(hdr))
    totals: Counter[str] = Counter()
    family: dict[str, list[float]] = {}
    mbytes = 0.0
    secs = 0.0
    cpus = 0.0
    worst_full = 1.0
    worst_prec = 1.0
    by_area: dict[str, list[int]] = {}
    try:
        for ps, sd, av, j in matrix:
            case = build(Case(f"p{ps}-sd{sd}-av{av}-{j}", ps, sd, av, j), root)
            size = sum(os.path.getsize(f"{case.db}{s}") for s in ("", "-wal", "-journal")
                       if os.path.exists(f"{case.db}{s}"))
            s = run_reclaim(case)
            mb = size / 1e6
            mbytes += mb
            secs += s.seconds
            cpus += s.cpu
            fam = family.setdefault(j, [0.0, 0.0])
            fam[0] += mb
            fam[1] += s.seconds
            rec = s.found / s.in_file if s.in_file else 1.0
            full = s.full / s.in_file if s.in_file else 1.0
            worst_full = min(worst_full, full)
            worst_prec = min(worst_prec, s.precision)
            areas = ",".join(f"{a}:{n}" for a, n in sorted(s.areas.items()))
            prec_ph = s.phys_found / s.phys if s.phys else 1.0
            full_ph = s.phys_full / s.phys if s.phys else 1.0
            for a, cell in s.by_area.items():
                tot = by_area.setdefault(a, [0, 0, 0])
                for n in range(3):
                    tot[n] += cell[n]
            line = (f"{case.name:<26}{s.in_file:>5}{rec:>7.2f}{full:>7.2f}{s.phys:>6}{prec_ph:>7.2f}{full_ph:>7.2f}"
                    f"{s.precision:>7.3f}{s.live:>6}{s.junk:>6}{s.frag:>6}{s.rowid_ok:>7}{mb:>6.2f}{s.seconds:>7.2f}"
                    f"{mb / max(s.seconds, 1e-9):>7.1f}  {areas}")
            if dissect:
                d = run_dissect(case)
                if d is None or (d.crashed and not d.claimed):
                    line += "  | crashed"
                else:
                    dr = d.found / d.in_file if d.in_file else 1.0
                    df = d.full / d.in_file if d.in_file else 1.0
                    line += f"  | {dr:.2f}/{df:.2f}/{d.precision:.2f}" + (" (crash)" if d.crashed else "")
            print(line, flush=True)
            totals.update(in_file=s.in_file, found=s.found, full=s.full, claimed=s.claimed,
                          live=s.live, junk=s.junk, frag=s.frag, phys=s.phys, phys_found=s.phys_found,
                          phys_full=s.phys_full)
        tf = totals["in_file"] or 1
        prec = (totals["claimed"] - totals["live"] - totals["junk"] - totals["frag"]) / max(1, totals["claimed"])
        print("-" * len(hdr))
        print(f"overall: recall {totals['found'] / tf:.3f}, fully correct {totals['full'] / tf:.3f}, "
              f"precision {prec:.4f}, worst-case fully correct {worst_full:.2f}, "
              f"worst-case precision {worst_prec:.3f}, throughput {mbytes / max(secs, 1e-9):.1f} MB/s "
              f"({mbytes:.1f} MB in {secs:.1f} s wall), {mbytes / max(cpus, 1e-9):.1f} MB/s CPU ({cpus:.1f} s)")
        tp = totals["phys"] or 1
        print(f"physically present (record bytes in the files): {totals['phys']} rows, "
              f"recall {totals['phys_found'] / tp:.3f}, fully correct {totals['phys_full'] / tp:.3f}")
        print_areas(by_area)
        print("throughput per journal mode: " + ", ".join(
            f"{j} {mb / max(t, 1e-9):.1f} MB/s" for j, (mb, t) in family.items()))
        if args.large_mb > 0:
            s, mb, rss = run_large(root, args.large_mb)
            rec = s.found / s.in_file if s.in_file else 1.0
            full = s.full / s.in_file if s.in_file else 1.0
            areas = ",".join(f"{a}:{n}" for a, n in sorted(s.areas.items()))
            print(f"large WeChat-like case ({mb:.1f} MB db+wal): {s.in_file} deleted rows in files, "
                  f"recall {rec:.3f}, fully correct {full:.3f}, precision {s.precision:.4f} "
                  f"(live {s.live}, junk {s.junk}, frag {s.frag}), rowid right {s.rowid_ok}, "
                  f"{s.seconds:.1f} s wall ({mb / max(s.seconds, 1e-9):.1f} MB/s), "
                  f"{s.cpu:.1f} s CPU ({mb / max(s.cpu, 1e-9):.1f} MB/s), peak RSS {rss:.0f} MB; {areas}")
            tp = s.phys or 1
            print(f"  physically present: {s.phys} rows, recall {s.phys_found / tp:.3f}, "
                  f"fully correct {s.phys_full / tp:.3f}")
            print_areas(s.by_area)
        print(f"load average after: {_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def print_areas(by_area: dict[str, list[int]]) -> None:
    """Recall per area holding the bytes of physically present rows (a row may count in several)."""
    print(f"  {'area of the bytes':<18}{'present':>8}{'found':>8}{'full':>8}")
    for a in AREA_ORDER:
        n, f, ok = by_area.get(a, [0, 0, 0])
        if n:
            print(f"  {a:<18}{n:>8}{f / n:>8.3f}{ok / n:>8.3f}")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


if __name__ == "__main__":
    sys.exit(main())
