"""WeChat extractor alone: CPU microseconds per message, without the case writer.

    .venv/bin/python benchmarks/bench_wechat_extract.py [--messages N] [--chats N] [--mix text|bench|all]
                                                        [--profile] [--dump FILE]

Builds an account like ``benchmarks/bench_wechat.py`` does (message_1..4 shards,
alphabetical columns, group prefixes, contacts) and runs only the ``wechat``
extractor over it (``ScanOptions(recover_deleted=False)``, no media store),
discarding the records. ``--mix`` chooses the message types: ``text`` (type 1
only), ``bench`` (what bench_wechat.py writes: text with 1 image in 25) or
``all`` (a spread of types with realistic XML bodies: image, voice, video,
sticker, location, link, file, transfer, quote, call, system, recall).
Prints CPU µs per message of the extractor (best of ``--repeat`` runs, imports
excluded) and of a bare ``SELECT`` over the same rows (the floor SQLite sets).
``--dump FILE`` writes every record's JSON line, a plain text one as its shaped row and shape (to
compare two versions record for record); ``--profile`` prints the top of a cProfile run. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_wechat import build
from reclaim.sample.model import SampleFile


def extract(files: list[SampleFile], dump: Path | None = None) -> tuple[float, Counter[int]]:
    """CPU seconds of the extractor over the account (plain text as shaped rows, as a scan gets them), and
    the records per type."""
    import orjson

    from reclaim.artifacts.base import ShapedRows
    from reclaim.artifacts.wechat import messages
    from reclaim.case.context import ScanContext, ScanOptions
    from reclaim.sources.memory import MemoryFS

    shapes: list[tuple[str, ...]] = []

    def add_shape(shape: tuple[str, str, str, str, str]) -> int:
        shapes.append(shape)
        return len(shapes)

    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind="wechat", shapes=add_shape)
    types: Counter[int] = Counter()
    out = dump.open("wb") if dump else None
    cpu = time.process_time()
    for record in messages.extract(ctx):
        if type(record) is ShapedRows:  # plain text, as shaped rows (dumped as the row and its shape)
            types[1] += len(record.rows)
            if out is not None:
                for row in record.rows:
                    out.write(orjson.dumps([shapes[row[2] - 1], row]) + b"\n")
            continue
        types[record.type] += 1
        if out is not None:
            out.write(record.to_json_bytes() + b"\n")
    cpu = time.process_time() - cpu
    if out is not None:
        out.close()
    return cpu, types


def bare_select(files: list[SampleFile]) -> float:
    """CPU seconds to read the same rows with one SELECT per table (the SQLite floor)."""
    cpu = time.process_time()
    for item in files:
        if "message_" not in item.path:
            continue
        conn = sqlite3.connect(f"{Path(str(item.data)).resolve().as_uri()}?mode=ro", uri=True)
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'Chat_%'"):
            cursor = conn.execute(f'SELECT MesLocalID, MesSvrID, CreateTime, Message, Type, Des FROM "{table}"'
                                  " ORDER BY MesLocalID")
            while cursor.fetchmany(1000):
                pass
        conn.close()
    return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--mix", choices=("text", "bench", "all"), default="bench")
    parser.add_argument("--repeat", type=int, default=2, help="runs to time (the best is shown)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", type=Path, help="write every record's JSON line here")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-wechat-extract-"))
    try:
        files = build(root, args.messages, args.chats, args.mix)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            extract(files)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        floor = bare_select(files)
        extract(files[-1:])  # imports and regex compiles out of the timing
        cpu, types = min(extract(files) for _ in range(args.repeat))
        if args.dump:
            extract(files, args.dump)
        total = sum(types.values())
        print(f"{total:,} messages ({args.mix} mix: {', '.join(f'type {t}: {n:,}' for t, n in sorted(types.items()))})")
        print(f"| {'step':<28} | {'CPU s':>7} | {'µs/message':>10} |")
        print(f"|{'-' * 30}|{'-' * 8}:|{'-' * 11}:|")
        print(f"| {'bare SELECT (floor)':<28} | {floor:>7.2f} | {floor / total * 1e6:>10.2f} |")
        print(f"| {'wechat extractor':<28} | {cpu:>7.2f} | {cpu / total * 1e6:>10.2f} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
