"""Benchmark: listing and looking up a phone-sized Manifest.db, plistlib against the fast MBFile reader.

    .venv/bin/python benchmarks/bench_manifest.py [--rows 1300000] [--plistlib-rows 200000] [--lookups 20000]
                                                  [--plain] [--keep DIR]

Builds (streamed, in a temporary folder) a Manifest.db of ``--rows`` rows with the real
schema and realistic MBFile archives: ~30 domains plus 300 app domains, nested paths (2 %
non-ASCII), 80 % files / 18 % folders / 2 % links, log-spread sizes, 2015–2024 times,
uid/gid 501 (0 in RootDomain), protection classes 1–4 and, unless ``--plain``, a per-file
EncryptionKey as in an encrypted backup. Each distinct archive shape is written once by
:func:`reclaim.sources.mbfile.encode_mbfile` (plistlib) and its values substituted for the
other rows of that shape; every 1,000th row is checked against plistlib while building.

Then, each in its own child process (so peak RSS is that phase's alone), it measures CPU
time (``time.process_time``) of:

* ``sqlite``: the same cursor loop, no Entry, no decoding;
* reader ``none``: ``list``/``get`` with MBFile decoding replaced by a constant (the floor:
  SQLite, Python rows, Entry objects);
* ``list``: ``ManifestDB.entries()`` over every row (plistlib: over the first
  ``--plistlib-rows`` rows, it is ~30x slower);
* ``get``: ``ManifestDB.get(domain, path)`` for ``--lookups`` random rows.

Rates are rows per CPU second; peak RSS is the child's ``VmHWM`` (its own, not the
parent's: ``ru_maxrss`` survives ``exec``), with the value before the phase in brackets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import resource
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reclaim.sources import manifest_db
from reclaim.sources.manifest_db import SCHEMA, ManifestDB
from reclaim.sources.mbfile import FIELDS, MBFile, _parse_spans, decode_mbfile_plistlib, encode_mbfile

BASE_DOMAINS = [
    "HomeDomain", "MediaDomain", "CameraRollDomain", "RootDomain", "KeychainDomain", "WirelessDomain",
    "SystemPreferencesDomain", "ManagedPreferencesDomain", "DatabaseDomain", "HealthDomain",
    "AppDomain-com.tencent.xin", "AppDomain-net.whatsapp.WhatsApp", "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
    "AppDomainGroup-group.com.apple.notes", "AppDomain-com.apple.mobilesafari", "AppDomain-com.burbn.instagram",
    "SysContainerDomain-com.apple.geod", "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles",
] + [f"AppDomainPlugin-com.example.app{i}.widget" for i in range(12)]  # fmt: skip
APP_DOMAINS = [f"AppDomain-com.vendor{i % 37}.app{i}" for i in range(300)]
DIRS = ["Library", "Library/Caches", "Library/Preferences", "Documents", "Media/DCIM/100APPLE",
        "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE", "Library/SMS/Attachments/3f/15", "tmp",
        "Library/Application Support/com.example/Cache.db-files", "Documents/0123456789abcdef/DB",
        "Library/Caches/com.apple.WebKit.Networking/Cache.db", "Library/Mobile Documents/iCloud~com~app"]  # fmt: skip
NAMES = ["IMG_", "photo-", "cache_", "Data", "msg", "thumb", "voice-", "note", "Library", "tmp"]
UNICODE_NAMES = ["Ärger-", "写真", "Überraschung-", "café-"]
EXTS = [".HEIC", ".JPG", ".plist", ".sqlite", ".db", ".MOV", ".png", ".caf", "", ".json"]
EPOCH, LATEST = 1_420_070_400, 1_714_500_000


def rows(count: int, *, keys: bool, seed: int = 1) -> Iterator[tuple[str, str, int, MBFile]]:
    """(domain, relativePath, flags, MBFile) of a realistic backup, deterministic for ``seed``."""
    rng = random.Random(seed)
    for i in range(count):
        domain = rng.choice(BASE_DOMAINS) if rng.random() < 0.6 else rng.choice(APP_DOMAINS)
        base = rng.choice(DIRS)
        roll = rng.random()
        kind = "dir" if roll < 0.18 else "link" if roll < 0.20 else "file"
        name = rng.choice(UNICODE_NAMES) if rng.random() < 0.02 else rng.choice(NAMES)
        path = f"{base}/{name}{i}{'' if kind == 'dir' else rng.choice(EXTS)}"
        mtime = rng.randrange(EPOCH, LATEST)
        protection = rng.choice([3, 3, 3, 4, 2, 1]) if kind == "file" else 0
        owner = 0 if domain == "RootDomain" else 501
        yield domain, path, {"file": 1, "dir": 2, "link": 4}[kind], MBFile(
            size=int(math.exp(rng.uniform(0, 18))) if kind == "file" else 0,
            mode={"file": 0o100644, "dir": 0o40755, "link": 0o120755}[kind],
            mtime=mtime,
            birth=mtime if rng.random() < 0.5 else mtime - rng.randrange(1, 10**7),
            ctime=mtime if rng.random() < 0.6 else mtime + rng.randrange(1, 10**6),
            inode=rng.randrange(1, 1 << 31),
            uid=owner,
            gid=owner,
            protection_class=protection,
            flags=0,
            relative_path=path,
            target=f"../{rng.choice(NAMES)}{i}" if kind == "link" else None,
            encryption_key=struct.pack("<I", protection) + rng.randbytes(40) if keys and kind == "file" else None,
        )


def _shape(record: MBFile) -> tuple:
    """What decides the archive's layout: integer widths, which values plistlib shares, string lengths."""
    ints = [getattr(record, name) for name in FIELDS[:10]]
    widths = tuple(0 if v is None else 8 if v < 0 or v >= 1 << 32 else 4 if v >= 1 << 16 else 2 if v >= 256 else 1
                   for v in ints)  # fmt: skip
    shared = tuple(ints.index(v) if v != 100000 else -1 for v in ints)  # 100000 is also $version
    path, target = record.relative_path or "", record.target
    return (widths, shared, path.isascii(), len(path.encode("utf-16-be")) if not path.isascii() else len(path),
            None if target is None else (target.isascii(), len(target.encode("utf-16-be")), target == path),
            None if record.encryption_key is None else len(record.encryption_key))  # fmt: skip


class Encoder:
    """MBFile archives at ~10 µs each: plistlib once per shape, then values written into its spans."""

    def __init__(self) -> None:
        self.shapes: dict[tuple, tuple[bytearray, list]] = {}

    def encode(self, record: MBFile) -> bytes:
        key = _shape(record)
        known = self.shapes.get(key)
        if known is None:
            blob = encode_mbfile(record)
            spans, _ = _parse_spans(blob)
            self.shapes[key] = (bytearray(blob), spans)
            return blob
        buf, spans = known
        for slot, (start, stop, kind), encoding in spans:
            value = getattr(record, FIELDS[slot])
            if encoding is not None:
                buf[start:stop] = value.encode(encoding)
            elif kind == "s":
                buf[start:stop] = value
            else:
                buf[start:stop] = value.to_bytes(stop - start, "big", signed=kind == "q")
        return bytes(buf)


def build(db: Path, count: int, *, keys: bool) -> int:
    """Write the Manifest.db (streamed, one transaction); returns the number of archive shapes."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    table, *indexes = [s for s in SCHEMA.split(";") if s.strip()]
    conn.execute(table)
    encoder = Encoder()

    def records() -> Iterator[tuple[str, str, str, int, bytes]]:
        for n, (domain, path, flags, record) in enumerate(rows(count, keys=keys)):
            blob = encoder.encode(record)
            if n % 1000 == 0:
                assert decode_mbfile_plistlib(blob) == record, f"generator wrote a wrong archive at row {n}"
            fid = hashlib.sha1(f"{domain}-{path}".encode()).hexdigest()
            yield fid, domain, path, flags, blob

    conn.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", records())
    for statement in indexes:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return len(encoder.shapes)


# Child-process phases ----------------------------------------------------------------------


NO_FIELDS = (0, 0o100644) + (None,) * 11


def _plistlib_fields(blob: bytes) -> tuple:
    record = decode_mbfile_plistlib(blob)
    return tuple(getattr(record, name) for name in FIELDS)


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (reset by exec, unlike ru_maxrss, which keeps the parent's)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(phase: str, reader: str, db: Path, limit: int, lookups: int) -> dict:
    """Run one phase here and return its figures."""
    if reader == "plistlib":
        manifest_db.mbfile_fields = _plistlib_fields  # type: ignore[assignment]
    elif reader == "none":  # the floor: SQLite, Entry objects, no decoding
        manifest_db.mbfile_fields = lambda blob: NO_FIELDS  # type: ignore[assignment]
    manifest = ManifestDB(db)
    rss_start = peak_rss_mb()
    done = 0
    if phase == "sqlite":
        start = time.process_time()
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        cursor = conn.execute("SELECT fileID, domain, relativePath, flags, file FROM Files")
        while batch := cursor.fetchmany(512):
            done += len(batch)
            if done >= limit:
                break
    elif phase == "list":
        start = time.process_time()
        total = 0
        for entry in manifest.entries():
            total += entry.size
            done += 1
            if done >= limit:
                break
    else:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        count = conn.execute("SELECT MAX(rowid) FROM Files").fetchone()[0]
        rng = random.Random(5)
        wanted = [conn.execute("SELECT domain, relativePath FROM Files WHERE rowid = ?",
                               (rng.randrange(1, count + 1),)).fetchone() for _ in range(lookups)]  # fmt: skip
        start = time.process_time()
        for domain, path in wanted:
            if manifest.get(domain, path) is not None:
                done += 1
    cpu = time.process_time() - start
    return {"rows": done, "cpu": cpu, "rss_mb": peak_rss_mb(),
            "rss_start_mb": rss_start}  # fmt: skip


def run_child(phase: str, reader: str, db: Path, limit: int, lookups: int) -> dict:
    cmd = [sys.executable, __file__, "--child", phase, "--reader", reader, "--db", str(db),
           "--limit", str(limit), "--lookups", str(lookups)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_300_000)
    parser.add_argument("--plistlib-rows", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--plain", action="store_true", help="no per-file EncryptionKey")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the Manifest.db in this folder")
    parser.add_argument("--child")
    parser.add_argument("--reader", default="fast")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.reader, args.db, args.limit or 1 << 62, args.lookups)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-manifest-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / f"Manifest-{args.rows}{'-plain' if args.plain else ''}.db"
        if not db.exists():
            start = time.perf_counter()
            shapes = build(db, args.rows, keys=not args.plain)
            print(f"built {db.name}: {args.rows:,} rows, {shapes:,} archive shapes, "
                  f"{db.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - start:.0f} s")  # fmt: skip
        print("\n| phase | reader | rows | CPU s | rows/s | µs/row | peak RSS MB (at start) |")
        print("|---|---|---|---|---|---|---|")
        plan = [("sqlite", "-", args.rows), ("list", "none", args.rows), ("list", "plistlib", args.plistlib_rows),
                ("list", "fast", args.rows), ("get", "none", 0), ("get", "plistlib", 0),
                ("get", "fast", 0)]  # fmt: skip
        for phase, reader, limit in plan:
            got = run_child(phase, reader if reader != "-" else "fast", db, limit, args.lookups)
            rate = got["rows"] / got["cpu"] if got["cpu"] else float("inf")
            print(f"| {phase} | {reader} | {got['rows']:,} | {got['cpu']:.2f} | {rate:,.0f} | "
                  f"{1e6 / rate:.1f} | {got['rss_mb']:.0f} ({got['rss_start_mb']:.0f}) |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
