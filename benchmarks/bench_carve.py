"""Benchmark of ``reclaim.sqlite.carve`` on generated databases with known deleted rows.

Usage::

    .venv/bin/python benchmarks/bench_carve.py            # the full matrix (60 cases, ~1-3 min)
    .venv/bin/python benchmarks/bench_carve.py --quick    # 10 representative cases
    .venv/bin/python benchmarks/bench_carve.py --no-dissect

For every combination of page size (1024/4096), ``secure_delete`` (off/on), ``auto_vacuum``
(none/full/incremental) and journal mode (delete, persist, WAL uncheckpointed, WAL
checkpointed, WAL restarted), it builds a database with three iOS-shaped tables (sms.db
``message`` with its guid index and Apple-epoch nanosecond dates, a WeChat ``Chat_<md5>``
table, AddressBook ``ABPerson``), inserts rows, deletes scattered rows, a range of rows
(freelist pages) and long rows (overflow chains), and copies the files while the writer
is still open (so no checkpoint at close hides anything).

Ground truth comes from the generator, never from the database. A deleted row counts as
"in files" when its unique token is still somewhere in the raw bytes of db + wal +
journal. Reported per case: recall (rows found / rows with every value right) over rows in
files, precision with false hits split into live copies, junk and fragments, the areas the
hits came from, and throughput. If ``sqlite-dissect`` is installed in ``/tmp/sd-venv`` (a
separate venv; ``python3 -m venv /tmp/sd-venv && /tmp/sd-venv/bin/pip install sqlite-dissect``)
it is run on the same files and its figures are printed beside ours.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import itertools
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.sqlite import carve

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
        con.execute("BEGIN")
        _insert(con, "ABPerson", person_row(999, rng, False))
        con.execute("COMMIT")
        rows[("ABPerson", 999)] = person_row(999, random.Random(0), False)
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
    crashed: bool = False

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


def score_records(case: Case, recs: list[tuple[str | None, dict[str, object], str, bool, int | None]]) -> Score:
    """Score (table, values, area, partial, rowid) claims against the case's ground truth."""
    s = Score()
    present = in_file_rows(case)
    s.in_file = len(present)
    got: dict[tuple[str, int], bool] = {}
    for table, values, area, partial, rowid in recs:
        s.claimed += 1
        tok = _token(table or "", values) if table else None
        if tok is None and table in KEY_COLUMN and rowid is not None and (table, rowid) in case.deleted:
            tok = rowid  # token column lost (e.g. overflow pages gone) but the rowid identifies the row
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
    return s


def run_reclaim(case: Case) -> Score:
    t = time.perf_counter()
    recs = [(r.table, r.values, r.area, r.partial, r.rowid) for r in carve(case.db)]
    elapsed = time.perf_counter() - t
    s = score_records(case, recs)
    s.seconds = elapsed
    return s


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
        s = score_records(case, recs)
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
    ap.add_argument("--keep", help="keep the generated files in this folder")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-carve-"))
    journals = ["delete", "persist", "wal", "walckpt", "walreset"]
    matrix = list(itertools.product([1024, 4096], [0, 1], [0, 1, 2], journals))
    if args.quick:
        matrix = [(ps, sd, 0, j) for ps in (1024, 4096) for sd, j in
                  ((0, "delete"), (0, "persist"), (1, "walckpt"), (1, "walreset"), (0, "wal"))][:10]
    dissect = not args.no_dissect and DISSECT.exists()
    hdr = (f"{'case':<26}{'in':>5}{'found':>7}{'full':>7}{'prec':>7}{'live':>6}{'junk':>6}{'frag':>6}"
           f"{'rowid':>7}{'MB/s':>7}  areas")
    if dissect:
        hdr += "  | sqlite-dissect found/full/prec"
    print(hdr)
    print("-" * len(hdr))
    totals = Counter()
    mbytes = 0.0
    secs = 0.0
    worst_full = 1.0
    worst_prec = 1.0
    try:
        for ps, sd, av, j in matrix:
            case = build(Case(f"p{ps}-sd{sd}-av{av}-{j}", ps, sd, av, j), root)
            size = sum(os.path.getsize(f"{case.db}{s}") for s in ("", "-wal", "-journal")
                       if os.path.exists(f"{case.db}{s}"))
            s = run_reclaim(case)
            mb = size / 1e6
            mbytes += mb
            secs += s.seconds
            rec = s.found / s.in_file if s.in_file else 1.0
            full = s.full / s.in_file if s.in_file else 1.0
            worst_full = min(worst_full, full)
            worst_prec = min(worst_prec, s.precision)
            areas = ",".join(f"{a}:{n}" for a, n in sorted(s.areas.items()))
            line = (f"{case.name:<26}{s.in_file:>5}{rec:>7.2f}{full:>7.2f}{s.precision:>7.3f}{s.live:>6}"
                    f"{s.junk:>6}{s.frag:>6}{s.rowid_ok:>7}{mb / max(s.seconds, 1e-9):>7.1f}  {areas}")
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
                          live=s.live, junk=s.junk, frag=s.frag)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    tf = totals["in_file"] or 1
    prec = (totals["claimed"] - totals["live"] - totals["junk"] - totals["frag"]) / max(1, totals["claimed"])
    print("-" * len(hdr))
    print(f"overall: recall {totals['found'] / tf:.3f}, fully correct {totals['full'] / tf:.3f}, "
          f"precision {prec:.4f}, worst-case fully correct {worst_full:.2f}, worst-case precision {worst_prec:.3f}, "
          f"throughput {mbytes / max(secs, 1e-9):.1f} MB/s ({mbytes:.1f} MB in {secs:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
