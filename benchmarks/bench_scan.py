"""Scan and export speed on a heavy user's phone: records per second per kind and format, and peak memory.

    .venv/bin/python benchmarks/bench_scan.py [--sms 200000] [--contacts 20000] [--photos 50000]
                                              [--calls 20000] [--deep-fraction 0.1] [--keep DIR]

Builds the sample backup's content (every module of ``reclaim/sample/content``, real iOS
schemas) and grows four of its databases with ``executemany`` into the very tables the
sample wrote: ``sms.db`` (messages in the sample's chats, text and ``attributedBody``),
``AddressBook.sqlitedb`` (cards with phones, e-mails and addresses, through the sample's
own writer), ``Photos.sqlite`` (asset rows cloned from the sample's, metadata only: their
files are absent) and ``CallHistory.storedata``. Then, each step in a fresh child process so
that its peak RSS is its own:

* the scan with ``ScanOptions(recover_deleted=False)`` ("quick"), first with every kind extracted by the
  scanning process (records/s per kind and in total; the "case close" row is the indexes and full-text
  index built at the end), then as ``scan`` runs it, a second scanning process extracting part of the
  kinds (total only); and with deleted-record recovery on ("deep"). Carving is slow enough that the deep scan runs, by
  default, on a copy of the data built at a tenth of the sizes (``--deep-fraction 1`` for the
  same sizes, ``0`` to skip it);
* every export format on the quick scan's case: records/s of the records that format covers;
  then (without ``--formats``) every format at once, as ``recover`` writes them.

Rates are given per wall-clock second and per CPU second of the step (the machine may be
shared); a scan's CPU time includes the case writer's staging process, except in the per-kind
rows, which count the scanning process only. Prints tables; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ("dinner", "tonight", "train", "ticket", "invoice", "meeting", "weather", "photo", "birthday", "holiday",
         "taxi", "coffee", "office", "report", "flight", "hotel", "doctor", "school", "homework", "party", "gift",
         "see", "you", "at", "the", "and", "thanks", "ok", "sure", "later", "tomorrow", "love", "call", "me")
CHINESE = ("今天", "明天", "吃饭", "开会", "下班", "红包", "照片", "周末", "回家", "天气", "谢谢")
FIRST = ("Emma", "Liam", "Olivia", "Noah", "Ava", "Oliver", "Mia", "Elijah", "Sofia", "Lucas", "Wei", "Fatima",
         "Yuki", "Mateo", "Amara", "Ivan", "Chloé", "Raj", "Zoe", "Kwame")
LAST = ("Smith", "García", "Müller", "Rossi", "Wang", "Kowalski", "Silva", "Nguyen", "Khan", "Dubois", "Okafor",
        "Tanaka", "Jensen", "Novak", "Cohen", "Haddad", "Larsen", "Moreau", "Ivanova", "Brown")


def rss_mb() -> float:
    """Peak resident memory of this process image, MB (``VmHWM``: unlike ``ru_maxrss`` it does not count
    the parent a spawned child was forked from before it ran the new interpreter)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the case writer's staging process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def child_rss_mb() -> float:
    """Peak resident memory of the largest finished child process, MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# -- the data ------------------------------------------------------------------------------------


def _open_grown(root: Path, files: dict[tuple[str, str], Any], domain: str, path: str,
                connect: Any = sqlite3.connect) -> tuple[sqlite3.Connection, Path]:
    """Write a sample database (and its -wal) to disk and open it for growing; the caller closes it
    with :func:`_close_grown`, which folds the WAL in (the recent rows stay; the WAL file goes)."""
    target = root / "db" / domain / path
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        item = files.pop((domain, path + suffix), None)
        if item is not None:
            target.with_name(target.name + suffix).write_bytes(item.data)
    conn = connect(target)
    return conn, target


def _close_grown(conn: sqlite3.Connection, files: dict[tuple[str, str], Any], domain: str, path: str,
                 target: Path) -> None:
    from reclaim.sample.model import SampleFile

    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    files[(domain, path)] = SampleFile(domain, path, target)


def _grow_sms(conn: sqlite3.Connection, count: int, rng: random.Random) -> None:
    from reclaim.sample.content.messages import APPLE_EPOCH, SAMPLE_NOW, attributed_body

    chats = [r[0] for r in conn.execute("SELECT ROWID FROM chat")]
    members: dict[int, list[int]] = {}
    for chat, handle in conn.execute("SELECT chat_id, handle_id FROM chat_handle_join"):
        members.setdefault(chat, []).append(handle)
    chats = [c for c in chats if c in members]
    texts = []
    for _ in range(400):
        words = rng.choices(WORDS, k=rng.randint(2, 14)) + rng.choices(CHINESE, k=rng.choice((0, 0, 0, 1, 2)))
        text = " ".join(words).capitalize()
        texts.append((text, attributed_body(text)))
    start = int((SAMPLE_NOW - timedelta(days=3 * 365) - APPLE_EPOCH).total_seconds() * 1e9)
    step = int(3 * 365 * 86400 * 1e9 / count)
    weights = [1 / (n + 1) for n in range(len(chats))]  # a few chats hold most messages
    chat_of = rng.choices(range(len(chats)), weights=weights, k=count)

    def messages():
        for i in range(count):
            chat = chats[chat_of[i]]
            mine = rng.random() < 0.4
            text, body = texts[rng.randrange(len(texts))]
            yield (f"BENCH-{i:08d}", None if i % 5 == 0 else text, body, 0 if mine else rng.choice(members[chat]),
                   "iMessage", start + i * step, start + i * step + 60_000_000_000, int(mine), int(not mine),
                   int(mine), 1, 1)

    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany("INSERT INTO message (guid, text, attributedBody, handle_id, service, date, date_read,"
                     " is_from_me, is_read, is_sent, is_delivered, is_finished) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     messages())
    conn.execute("CREATE TEMP TABLE bench_chat(i INTEGER PRIMARY KEY, chat INTEGER)")
    conn.executemany("INSERT INTO bench_chat VALUES (?, ?)", ((i, chats[c]) for i, c in enumerate(chat_of)))
    conn.execute("INSERT INTO chat_message_join (chat_id, message_id, message_date)"
                 " SELECT b.chat, m.ROWID, m.date FROM message m JOIN bench_chat b"
                 " ON b.i = CAST(substr(m.guid, 7) AS INTEGER) WHERE m.guid LIKE 'BENCH-%'")
    conn.execute("DROP TABLE bench_chat")


def _grow_contacts(conn: sqlite3.Connection, images: sqlite3.Connection, count: int, rng: random.Random,
                   ctx: Any) -> None:
    from reclaim.sample.content import contacts

    writer = contacts._Writer(conn, images, ctx)
    writer.rng = random.Random("bench-contacts")  # not the sample's seed: its guids are taken
    conn.execute("BEGIN")
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phones = tuple((rng.choice((contacts.M, contacts.H, contacts.W)), f"+44 7700 {900000 + i % 99999:06d}")
                       for _ in range(rng.choice((1, 1, 2))))
        emails = ((contacts.H, f"{first.lower()}.{last.lower()}{i}@example.com"),) if i % 3 else ()
        address = {"Street": f"{i % 300} High Street", "City": "London", "ZIP": "N1 9GU"} if i % 4 == 0 else {}
        writer.add(contacts.Person(first, last, organization="Acme Ltd" if i % 7 == 0 else "", phones=phones,
                                   emails=emails, address=address, note="met at the conference" if i % 9 == 0 else ""))
    conn.execute("COMMIT")


def _clone(conn: sqlite3.Connection, table: str, count: int, overrides: dict[str, str]) -> None:
    """Insert ``count`` copies of a table's first row, ``i`` counting 0.. in the override expressions."""
    cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    exprs = ", ".join(overrides.get(c, f't."{c}"') for c in cols)
    conn.execute(
        f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)"
        f' INSERT INTO "{table}" ({", ".join(cols)}) SELECT {exprs} FROM n,'
        f' (SELECT * FROM "{table}" ORDER BY Z_PK LIMIT 1) t', (count,))


def _grow_photos(conn: sqlite3.Connection, count: int) -> None:
    base = conn.execute("SELECT max(Z_PK) FROM ZASSET").fetchone()[0] + 1000
    _clone(conn, "ZASSET", count, {
        "Z_PK": f"{base} + i", "ZUUID": "printf('BENCH-%08d', i)", "ZFILENAME": "printf('IMG_B%05d.HEIC', i)",
        "ZDIRECTORY": "'DCIM/200APPLE'", "ZDATECREATED": "t.ZDATECREATED - i * 1800.0",
        "ZADDEDDATE": "t.ZADDEDDATE - i * 1800.0", "ZADDITIONALATTRIBUTES": f"{base} + i",
        "ZEXTENDEDATTRIBUTES": f"{base} + i", "ZTRASHEDSTATE": "0", "ZHIDDEN": "0", "ZFAVORITE": "i % 50 = 0",
        "ZMEDIAGROUPUUID": "NULL", "ZKIND": "0", "ZKINDSUBTYPE": "0"})
    _clone(conn, "ZADDITIONALASSETATTRIBUTES", count, {
        "Z_PK": f"{base} + i", "ZASSET": f"{base} + i", "ZORIGINALFILENAME": "printf('IMG_B%05d.HEIC', i)"})
    _clone(conn, "ZEXTENDEDATTRIBUTES", count, {"Z_PK": f"{base} + i", "ZASSET": f"{base} + i"})


def _grow_calls(conn: sqlite3.Connection, count: int) -> None:
    base = conn.execute("SELECT max(Z_PK) FROM ZCALLRECORD").fetchone()[0] + 1000
    _clone(conn, "ZCALLRECORD", count, {
        "Z_PK": f"{base} + i", "ZUNIQUE_ID": "printf('BENCH-CALL-%08d', i)", "ZDATE": "t.ZDATE - i * 3600.0",
        "ZADDRESS": "printf('+4477009%05d', i % 20000)", "ZDURATION": "(i % 600) * 1.0", "ZORIGINATED": "i % 2",
        "ZANSWERED": "(i % 5) != 0"})


def build(root: Path, sms: int, contacts: int, photos: int, calls: int) -> list[Any]:
    """The heavy user's files (sample content, four databases grown)."""
    from reclaim.sample import collect_files
    from reclaim.sample.content import calls as calls_mod
    from reclaim.sample.content import contacts as contacts_mod
    from reclaim.sample.content import messages as messages_mod
    from reclaim.sample.content import photos as photos_mod
    from reclaim.sample.model import SampleContext

    rng = random.Random(11)
    shutil.rmtree(root / "scratch", ignore_errors=True)  # a --keep folder of an earlier run: built afresh
    ctx = SampleContext(scratch=root / "scratch")
    files = {(f.domain, f.path): f for f in collect_files(ctx)}
    conn, target = _open_grown(root, files, messages_mod.DOMAIN, messages_mod.SMS_DB)
    conn.create_function("after_delete_message_plugin", 2, lambda rowid, guid: None)
    _grow_sms(conn, sms, rng)
    _close_grown(conn, files, messages_mod.DOMAIN, messages_mod.SMS_DB, target)
    conn, target = _open_grown(root, files, contacts_mod.DOMAIN, contacts_mod.ADDRESS_BOOK, contacts_mod._connect)
    images, images_target = _open_grown(root, files, contacts_mod.DOMAIN, contacts_mod.IMAGES, contacts_mod._connect)
    _grow_contacts(conn, images, contacts, rng, ctx)
    _close_grown(images, files, contacts_mod.DOMAIN, contacts_mod.IMAGES, images_target)
    _close_grown(conn, files, contacts_mod.DOMAIN, contacts_mod.ADDRESS_BOOK, target)
    photos_db = "Media/PhotoData/Photos.sqlite"
    conn, target = _open_grown(root, files, photos_mod.DOMAIN, photos_db)
    _grow_photos(conn, photos)
    _close_grown(conn, files, photos_mod.DOMAIN, photos_db, target)
    conn, target = _open_grown(root, files, calls_mod.DOMAIN, calls_mod.STORE)
    _grow_calls(conn, calls)
    _close_grown(conn, files, calls_mod.DOMAIN, calls_mod.STORE, target)
    return list(files.values())


# -- the steps, each in its own process ------------------------------------------------------------


def _scan_step(files: list[Any], case: str, deep: bool, one_process: bool = False) -> dict[str, Any]:
    from reclaim.case import kinds_process
    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan
    from reclaim.sources.memory import MemoryFS

    if one_process:  # every kind extracted by this process (per-kind times are then its own)
        kinds_process.MIN_BYTES = 1 << 62

    fs = MemoryFS(files)
    shutil.rmtree(case, ignore_errors=True)
    spans: dict[str, list[float]] = {}

    def progress(kind: str, count: int, phase: str) -> None:
        now = time.perf_counter(), time.process_time()
        if phase == "start":
            spans[kind] = [*now, 0, 0, 0]
        elif phase == "done":
            spans[kind][2:] = [now[0] - spans[kind][0], now[1] - spans[kind][1], count]

    wall, cpu = time.perf_counter(), cpu_seconds()
    result = scan(fs, Path(case), options=ScanOptions(recover_deleted=deep), progress=progress)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    kinds = {kind: (s[2], s[3], int(s[4])) for kind, s in spans.items()}
    return {"wall": wall, "cpu": cpu, "records": result.records, "kinds": kinds, "rss": rss_mb(),
            "child_rss": child_rss_mb()}


def _export_step(case: str, out: str, fmt: str) -> dict[str, Any]:
    from reclaim.case.store import CaseReader
    from reclaim.export import CORE_FORMATS, export_case, natural_exporters

    shutil.rmtree(out, ignore_errors=True)
    with CaseReader(Path(case)) as reader:
        kinds = {k["kind"]: k["live"] + k["deleted"] for k in reader.kinds()}
        covered = list(kinds) if fmt in CORE_FORMATS else [k for k in kinds if k in natural_exporters()[fmt].KINDS]
        wall, cpu = time.perf_counter(), time.process_time()
        export_case(reader, Path(out), formats=[fmt], kinds=covered or None)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "records": sum(kinds[k] for k in covered), "rss": rss_mb(),
            "kinds": covered}


def _export_all_step(case: str, out: str) -> dict[str, Any]:
    """Every format at once, as ``recover`` writes them (the report by a second process meanwhile)."""
    from reclaim.case.store import CaseReader
    from reclaim.export import export_case

    shutil.rmtree(out, ignore_errors=True)
    with CaseReader(Path(case)) as reader:
        records = sum(k["live"] + k["deleted"] for k in reader.kinds())
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = export_case(reader, Path(out))
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return {"wall": wall, "cpu": cpu, "records": records, "rss": rss_mb(), "files": len(result.files)}


def _export_row(name: str, res: dict[str, Any], note: str = "") -> None:
    print(f"| {name:<12} | {res['records']:>9,} | {res['wall']:>7.2f} | {_rate(res['records'], res['wall'])} |"
          f" {_rate(res['records'], res['cpu'])} | {res['rss']:>6.0f}MB |{note}")


def _child(queue: Any, step: Any, args: tuple[Any, ...]) -> None:
    queue.put(step(*args))


def run(step: Any, *args: Any) -> dict[str, Any]:
    """One step in a fresh interpreter (``spawn``): its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, step, args))
    process.start()
    result = queue.get()
    process.join()
    return result


def _baseline() -> dict[str, Any]:
    import reclaim.case.scan
    import reclaim.export  # noqa: F401

    return {"rss": rss_mb()}


def _rate(records: int, seconds: float) -> str:
    return f"{records / seconds:>11,.0f}" if seconds > 0 else f"{'-':>11}"


def print_scan(title: str, res: dict[str, Any]) -> None:
    print(f"\n{title}: {res['records']:,} records in {res['wall']:.1f} s (CPU {res['cpu']:.1f} s, both processes),"
          f" peak RSS {res['rss']:.0f} MB (staging process: {res.get('child_rss', 0):.0f} MB)")
    print(f"| {'kind':<22} | {'records':>9} | {'seconds':>7} | {'records/s':>11} | {'per CPU s':>11} |")
    print(f"|{'-' * 24}|{'-' * 11}:|{'-' * 8}:|{'-' * 12}:|{'-' * 12}:|")
    spent_wall = spent_cpu = 0.0
    for kind, (wall, cpu, count) in sorted(res["kinds"].items(), key=lambda kv: -kv[1][2]):
        spent_wall += wall
        spent_cpu += cpu
        if count:
            print(f"| {kind:<22} | {count:>9,} | {wall:>7.2f} | {_rate(count, wall)} | {_rate(count, cpu)} |")
    rest = res["wall"] - spent_wall
    print(f"| {'(empty kinds, case close)':<22} | {'':>9} | {rest:>7.2f} | {'':>11} | {'':>11} |")
    print(f"| {'total':<22} | {res['records']:>9,} | {res['wall']:>7.2f} | {_rate(res['records'], res['wall'])} |"
          f" {_rate(res['records'], res['cpu'])} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=200_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--photos", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--deep-fraction", type=float, default=0.1,
                        help="scan with deleted-record recovery on a copy this size (default 0.1; 0: skip)")
    parser.add_argument("--formats", help="comma-separated export formats (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the generated data, cases and exports here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-scan-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    started = time.perf_counter()
    files = build(root, args.sms, args.contacts, args.photos, args.calls)
    size = sum(f.data.stat().st_size if isinstance(f.data, Path) else len(f.data or b"") for f in files)
    print(f"built {len(files)} files ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    print(f"a fresh interpreter with reclaim imported: peak RSS {run(_baseline)['rss']:.0f} MB")

    alone = run(_scan_step, files, str(root / "case-one"), False, True)
    print_scan("Scan, deleted-record recovery off, every kind extracted by the scanning process", alone)
    quick = run(_scan_step, files, str(root / "case"), False)
    print(f"\nThe same scan as `scan` runs it (a second scanning process extracting part of the kinds):"
          f" {quick['records']:,} records in {quick['wall']:.1f} s, {_rate(quick['records'], quick['wall']).strip()}"
          f" records/s (CPU {quick['cpu']:.1f} s, every process), peak RSS {quick['rss']:.0f} MB")
    if args.deep_fraction > 0:
        if args.deep_fraction != 1:
            part = args.deep_fraction
            files = build(root / "deep", int(args.sms * part), int(args.contacts * part), int(args.photos * part),
                          int(args.calls * part))
        deep = run(_scan_step, files, str(root / "case-deep"), True, True)
        print_scan(f"Scan, deleted-record recovery on (data at {args.deep_fraction:g} of the sizes), every kind"
                   " extracted by the scanning process", deep)
        quick_part = run(_scan_step, files, str(root / "case-deep-quick"), False, True)
        print(f"(the same data with recovery off: {quick_part['records']:,} records in {quick_part['wall']:.1f} s,"
              f" CPU {quick_part['cpu']:.1f} s)")

    from reclaim.export import known_formats

    formats = args.formats.split(",") if args.formats else known_formats()
    print(f"\nExports of the quick scan's case ({quick['records']:,} records)")
    print(f"| {'format':<12} | {'records':>9} | {'seconds':>7} | {'records/s':>11} | {'per CPU s':>11} | peak RSS |")
    print(f"|{'-' * 14}|{'-' * 11}:|{'-' * 9}:|{'-' * 12}:|{'-' * 12}:|---------:|")
    for fmt in formats:
        _export_row(fmt, run(_export_step, str(root / "case"), str(root / f"out-{fmt}"), fmt))
    if not args.formats:
        res = run(_export_all_step, str(root / "case"), str(root / "out-all"))
        _export_row("all at once", res, f"  ({res['files']:,} files; CPU of both processes: the report is written"
                                         " by a second one meanwhile)")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())};"
          f" total {time.perf_counter() - started:.0f} s")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
