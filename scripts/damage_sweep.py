"""Damage a backup's files one at a time and scan each copy: which kinds does a damaged file stop?

    .venv/bin/python scripts/damage_sweep.py [--backup DIR] [--seed N] [--others 20]
                                             [--how random|cut|flip|first-page] [--counts]

(an encrypted backup's password in ``RECLAIM_PASSWORD``)

Every database, WAL and property list of the backup (the sample backup by default), plus ``--others``
other files picked at random, is damaged in a copy of the backup (random bytes, cut to a third, bits
flipped, or its first 4 KiB zeroed; by default one of the first three, by the seed), then the copy is
scanned with deleted-record recovery. A kind that stops early, a traceback in the log or a scan that fails
is printed; a good run prints "0 problems". ``--counts`` also prints, per file, every kind whose count
differs from the undamaged backup's (a file should cost its own kind at most, never the kinds that only
look things up in it). It takes minutes (one scan per file): a script, not a test.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.sources import open_source
from reclaim.vfs import EntryKind

_DATA_FILES = (".db", ".sqlite", ".sqlitedb", ".storedata", ".plist", "-wal")


def damage(data: bytes, how: str, rng: random.Random) -> bytes:
    """``data`` damaged one way: all random, cut to a third, its first 4 KiB zeroed, or one bit in 500 bytes
    flipped."""
    if how == "random":
        return rng.randbytes(len(data))
    if how == "cut":
        return data[: len(data) // 3]
    if how == "first-page":
        return bytes(min(4096, len(data))) + data[4096:]
    flipped = bytearray(data)
    for _ in range(max(1, len(data) // 500) if data else 0):
        flipped[rng.randrange(len(flipped))] ^= 0xFF
    return bytes(flipped)


def _counts(result: object) -> dict[str, tuple[int, int]]:
    return {k.kind: (k.live, k.deleted) for k in result.kinds}  # type: ignore[attr-defined]


def sweep(backup: Path, seed: int, others: int, how: str | None = None, counts: bool = False) -> int:
    """Damage and scan; print what went wrong (and, with ``counts``, what each file cost); return the number of
    problems."""
    with open_source(backup, password=os.environ.get("RECLAIM_PASSWORD")) as fs:  # (its Manifest.db may be encrypted)
        files = [(e.file_id, e.domain, e.path) for e in fs.entries() if e.kind is EntryKind.FILE]
    rng = random.Random(seed)
    picked = [f for f in files if f[2].endswith(_DATA_FILES)]
    rest = [f for f in files if f not in picked]
    picked += rng.sample(rest, min(others, len(rest)))
    problems = []
    root = logging.getLogger()
    healthy: dict[str, tuple[int, int]] = {}
    if counts:
        with tempfile.TemporaryDirectory(prefix="reclaim-damage-") as tmp, \
                open_source(backup, password=os.environ.get("RECLAIM_PASSWORD")) as fs:
            healthy = _counts(scan(fs, Path(tmp) / "case", options=ScanOptions(recover_deleted=True)))
    for fid, domain, path in picked:
        with tempfile.TemporaryDirectory(prefix="reclaim-damage-") as tmp:
            copy = Path(tmp) / "backup"
            shutil.copytree(backup, copy)
            stored = copy / fid[:2] / fid
            way = how or rng.choice(["random", "cut", "flip"])
            stored.write_bytes(damage(stored.read_bytes(), way, rng))
            log = io.StringIO()
            handler = logging.StreamHandler(log)
            root.addHandler(handler)
            try:
                with open_source(copy, password=os.environ.get("RECLAIM_PASSWORD")) as fs:
                    result = scan(fs, Path(tmp) / "case", options=ScanOptions(recover_deleted=True))
                stopped = [f"{k.kind}: {k.reason}" for k in result.kinds if k.reason.startswith("stopped early")]
                if stopped or "Traceback" in log.getvalue():
                    problems.append(f"{domain}/{path} ({way}): {stopped}\n{log.getvalue()[-600:]}")
                changed = {k: (healthy.get(k), v) for k, v in _counts(result).items()
                           if healthy and healthy.get(k) != v}
                if changed:
                    print(f"{domain}/{path} ({way}) costs: " + ", ".join(
                        f"{k} {old[0] if old else 0}+{old[1] if old else 0} -> {new[0]}+{new[1]}"
                        for k, (old, new) in changed.items()), flush=True)
            except Exception as exc:  # what the sweep is looking for
                failure = "".join(traceback.format_exception(exc))
                problems.append(f"{domain}/{path} ({way}): the scan failed\n{failure}")
            finally:
                root.removeHandler(handler)
    print(f"{len(picked)} files damaged one at a time (seed {seed}): {len(problems)} problems")
    for problem in problems:
        print("----", problem)
    return len(problems)


def main() -> int:
    from reclaim.commands.recover import sample_backup

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backup", type=Path, help="a backup folder (default: the sample backup)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--others", type=int, default=20, help="other files damaged besides the data files")
    parser.add_argument("--how", choices=["random", "cut", "flip", "first-page"],
                        help="damage every file this way (default: one of the first three, by the seed)")
    parser.add_argument("--counts", action="store_true", help="print what each damaged file cost, kind by kind")
    args = parser.parse_args()
    logging.getLogger().addHandler(logging.NullHandler())  # (the sweep reads the log itself, file by file)
    logging.getLogger().setLevel(logging.WARNING)
    return 1 if sweep(args.backup or sample_backup(), args.seed, args.others, args.how, args.counts) else 0


if __name__ == "__main__":
    sys.exit(main())
