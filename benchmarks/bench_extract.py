"""Benchmark: extracting an encrypted backup, against OpenSSL and iphone_backup_decrypt.

    .venv/bin/python benchmarks/bench_extract.py [--size 1G] [--jobs N] [--ibd-python /tmp/ibd-venv/bin/python]

Builds an encrypted backup of ``--size`` bytes (files of 100 KB – 50 MB, random data) in a
temporary folder, then times:

* ``reclaim extract`` (a child process, so its peak RSS — and its workers' — is measured);
* the same ciphertext through ``openssl enc -d -aes-256-cbc -K … -iv 0…`` file by file
  (the reference: OpenSSL's single-stream rate, also writing its output);
* ``iphone_backup_decrypt``'s ``extract_files`` when an interpreter that can import it is
  given (install it in its own venv, e.g. ``python -m venv /tmp/ibd-venv &&
  /tmp/ibd-venv/bin/pip install iphone-backup-decrypt``).

Page cache is warm for every contender (the backup was just written); numbers are MB/s
of plaintext written.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reclaim.sample.builder import write_backup
from reclaim.sample.model import SAMPLE_NOW, SampleFile
from reclaim.sources import open_source

PASSWORD = "bench"
ROOT = Path(__file__).resolve().parents[1]


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def files(total: int, seed: int = 1) -> Iterator[SampleFile]:
    """Random-content files of 100 KB – 50 MB adding up to ``total`` bytes."""
    rng = random.Random(seed)
    block = os.urandom(1 << 20)
    left, n = total, 0
    while left > 0:
        size = min(left, rng.randint(100_000, 50_000_000))
        reps = size // len(block) + 1
        data = (block * reps)[:size]
        n += 1
        yield SampleFile("MediaDomain", f"Media/DCIM/100APPLE/IMG_{n:04d}.MOV", data, SAMPLE_NOW)
        left -= size


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int | None]:
    """(seconds, peak RSS in MB) of a command, measured by GNU time when present.

    (``RUSAGE_CHILDREN`` would also count this big process's pages in every fork.)
    """
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    wrapped = [gnu_time, "-f", "RSSKB=%M", *cmd] if gnu_time else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.strip()[-500:]}")
    peak = None
    for line in proc.stderr.splitlines():
        if line.startswith("RSSKB="):
            peak = int(line[6:]) // 1024
    return seconds, peak


def openssl_reference(backup: Path, out: Path) -> tuple[float, int]:
    """Decrypt every file with openssl (one process per file): (seconds, bytes)."""
    jobs = []
    with open_source(backup, password=PASSWORD) as src:
        opener = src.opener()
        for entry in src.files():
            key = opener.file_key(entry)  # type: ignore[union-attr]
            jobs.append((opener.locate(entry), key.hex(), entry.size))  # type: ignore[union-attr]
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    total = 0
    for n, (path, key, size) in enumerate(jobs):
        subprocess.run(
            ["openssl", "enc", "-d", "-aes-256-cbc", "-K", key, "-iv", "0" * 32, "-in", str(path),
             "-out", str(out / f"{n}")],
            check=True,
        )
        total += size
    return time.perf_counter() - start, total


IBD_SCRIPT = """
import sys
from iphone_backup_decrypt import EncryptedBackup
b = EncryptedBackup(backup_directory=sys.argv[1], passphrase=sys.argv[2])
b.extract_files(relative_paths_like="%", output_folder=sys.argv[3], preserve_folders=True, domain_subfolders=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="total size of the backup (e.g. 200M, 1G, 4G)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for reclaim (default: cores)")
    parser.add_argument("--ibd-python", default="/tmp/ibd-venv/bin/python",
                        help="a Python that can import iphone_backup_decrypt (skipped if it cannot)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    size = parse_size(args.size)
    tmp = Path(tempfile.mkdtemp(prefix="reclaim-bench-"))
    try:
        backup = tmp / "backup"
        t0 = time.perf_counter()
        write_backup(backup, files(size), encrypted=True, password=PASSWORD)
        print(f"built a {size / 1e6:,.0f} MB encrypted backup in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        mb = size / 1e6
        cores = args.jobs or os.cpu_count() or 1
        rows = []

        ossl_s, _ = openssl_reference(backup, tmp / "openssl")
        shutil.rmtree(tmp / "openssl")
        ossl_rate = mb / ossl_s
        rows.append(("openssl enc -d (1 stream)", ossl_s, ossl_rate, None, "reference"))

        env = dict(os.environ, RECLAIM_PASSWORD=PASSWORD)
        reclaim_bin = str(Path(sys.executable).with_name("reclaim"))
        cmd = [reclaim_bin, "extract", str(backup), "-o", str(tmp / "out")]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        secs, peak = timed(cmd, env)
        shutil.rmtree(tmp / "out")
        rate = mb / secs
        rows.append((f"reclaim extract ({cores} workers)", secs, rate, peak,
                     f"{rate / ossl_rate:.0%} of openssl, {rate / ossl_rate / cores:.0%} per core"))
        secs1, peak1 = timed([reclaim_bin, "extract", str(backup), "-o", str(tmp / "out1"), "--jobs", "1"], env)
        shutil.rmtree(tmp / "out1")
        note1 = f"{mb / secs1 / ossl_rate:.0%} of openssl"
        rows.append(("reclaim extract (1 process)", secs1, mb / secs1, peak1, note1))

        probe = subprocess.run([args.ibd_python, "-c", "import iphone_backup_decrypt"], capture_output=True,
                               check=False) if Path(args.ibd_python).exists() else None
        if probe is not None and probe.returncode == 0:
            ibd_s, ibd_peak = timed([args.ibd_python, "-c", IBD_SCRIPT, str(backup), PASSWORD, str(tmp / "ibd")])
            shutil.rmtree(tmp / "ibd", ignore_errors=True)
            rows.append(("iphone_backup_decrypt", ibd_s, mb / ibd_s, ibd_peak,
                         f"reclaim is {ibd_s / secs:.1f}x faster"))
        else:
            print("iphone_backup_decrypt not importable: skipped", file=sys.stderr)

        print(f"\n{size / 1e6:,.0f} MB encrypted backup, {os.cpu_count()} cores, warm page cache\n")
        print(f"| {'tool':<32} | {'seconds':>8} | {'MB/s':>8} | {'peak RSS':>9} | note")
        print(f"|{'-' * 34}|{'-' * 10}|{'-' * 10}|{'-' * 11}|------")
        for name, secs_, rate_, peak_, note in rows:
            rss = f"{peak_} MB" if peak_ is not None else "-"
            print(f"| {name:<32} | {secs_:8.2f} | {rate_:8.0f} | {rss:>9} | {note}")
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
