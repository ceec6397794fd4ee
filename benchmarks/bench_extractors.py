"""Extractor-only speed: CPU µs per record of the messages, contacts, calls and photos extractors, and vCard.

    .venv/bin/python benchmarks/bench_extractors.py [--sms 200000] [--contacts 20000] [--photos 50000]
                                                    [--calls 20000] [--kinds messages,contacts]
                                                    [--vcard] [--profile KIND] [--keep DIR]

Builds the heavy user's data with ``bench_scan.build`` (the sample's content, databases grown in
their real iOS schemas), then iterates each artifact's ``extract(ctx)`` and discards the records:
no case store, no media store, deleted-record recovery off. That isolates the extractor from the
case writer (measured by ``bench_scan.py``). ``--vcard`` also scans the contacts into a case (with
their photos) and times the vCard export alone. ``--profile KIND`` prints the top of a cProfile of
that kind's extraction. Times are CPU seconds of this process (the machine is shared). Prints a
table; it is not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = ("messages", "contacts", "calls", "photos")


def extract_all(files: list[Any], kind: str) -> int:
    """Run one extractor over the files and count its records (the records are dropped)."""
    from reclaim.artifacts import artifact_for
    from reclaim.case.context import ScanContext, ScanOptions
    from reclaim.sources.memory import MemoryFS

    ctx = ScanContext(MemoryFS(files), None, ScanOptions(recover_deleted=False), kind=kind)
    count = 0
    for _ in artifact_for(kind)().extract(ctx):
        count += 1
    return count


def time_vcard(files: list[Any], root: Path) -> tuple[int, float]:
    """Scan the contacts into a case (photos stored), then time the vCard export: (cards, CPU s)."""
    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan
    from reclaim.case.store import CaseReader
    from reclaim.export import vcard
    from reclaim.sources.memory import MemoryFS

    case, out = root / "case-contacts", root / "out-vcard"
    shutil.rmtree(case, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    scan(MemoryFS(files), case, kinds=["contacts"], options=ScanOptions(recover_deleted=False))
    with CaseReader(case) as reader:
        cpu = time.process_time()
        written = vcard.export(reader, "contacts", out)
        cpu = time.process_time() - cpu
    return len(written) - 2, cpu


def main() -> int:
    from bench_scan import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=200_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--photos", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--vcard", action="store_true", help="also time the vCard export")
    parser.add_argument("--profile", help="print a cProfile of this kind's extraction")
    parser.add_argument("--keep", type=Path, help="build the data in this folder and keep it")
    args = parser.parse_args()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-extract-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = build(root, args.sms, args.contacts, args.photos, args.calls)
    print(f"built in {time.perf_counter() - started:.0f} s")
    print(f"| {'kind':<10} | {'records':>9} | {'CPU s':>7} | {'µs/record':>9} | {'records/CPU s':>13} |")
    print(f"|{'-' * 12}|{'-' * 11}:|{'-' * 8}:|{'-' * 10}:|{'-' * 14}:|")
    for kind in args.kinds.split(","):
        cpu = time.process_time()
        count = extract_all(files, kind)
        cpu = time.process_time() - cpu
        print(f"| {kind:<10} | {count:>9,} | {cpu:>7.2f} | {cpu / max(count, 1) * 1e6:>9.1f} |"
              f" {count / cpu if cpu else 0:>13,.0f} |")
    if args.vcard:
        count, cpu = time_vcard(files, root)
        print(f"| {'vcard':<10} | {count:>9,} | {cpu:>7.2f} | {cpu / max(count, 1) * 1e6:>9.1f} |"
              f" {count / cpu if cpu else 0:>13,.0f} |")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        extract_all(files, args.profile)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
