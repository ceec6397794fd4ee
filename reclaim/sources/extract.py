"""Copying a source's files out in their original layout: ``OUT/<domain>/<relative path>``.

* Safe: every name goes through :func:`reclaim.output.safe_join`; files are written under
  a temporary name and renamed; links are never recreated (a ``<name>.symlink`` text file
  records the target instead).
* Resumable: a file already present with the same size and mtime is skipped.
* Faithful: mtimes are kept (files and folders).
* Fast: large buffers, and for backups a pool of worker processes (one per core) that
  each decrypt and write whole files, so decryption uses every core.
* Tolerant: files missing from the backup folder are listed and skipped.
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import CorruptFile, OutputNotWritable, ReclaimError, UnsafePath, is_disk_full
from reclaim.output import atomic_writer, safe_join
from reclaim.vfs import Entry, EntryKind, VirtualFS

BUFFER = 8 << 20
#: Batches smaller than this are written in this process (workers would cost more than they save).
PARALLEL_MIN_BATCH = 8 << 20
BATCH_BYTES = 32 << 20


BATCH_FILES = 256


@dataclass(slots=True)
class ExtractResult:
    """What an extraction did."""

    written: int = 0
    skipped: int = 0
    links: int = 0
    dirs: int = 0
    bytes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # ("domain/path", reason)

    @property
    def matched_files(self) -> int:
        return self.written + self.skipped + len(self.failed)


def target_path(out: Path, entry: Entry) -> Path:
    """Where an entry goes under ``out`` (raises :class:`UnsafePath` if it would escape)."""
    return safe_join(out, entry.domain, entry.path) if entry.path else safe_join(out, entry.domain)


def _up_to_date(target: Path, entry: Entry) -> bool:
    try:
        st = target.stat()
    except OSError:
        return False
    return st.st_size == entry.size and (entry.mtime is None or int(st.st_mtime) == entry.mtime)


def _copy_stream(src: BinaryIO, out: BinaryIO, progress: Callable[[int], None] | None) -> int:
    total = 0
    readinto = getattr(src, "readinto", None)
    if readinto is not None:
        buf = bytearray(BUFFER)
        view = memoryview(buf)
        while True:
            n = readinto(view)
            if not n:
                break
            out.write(view[:n])
            total += n
            if progress:
                progress(n)
        return total
    for chunk in iter(lambda: src.read(BUFFER), b""):
        out.write(chunk)
        total += len(chunk)
        if progress:
            progress(len(chunk))
    return total


def write_file(
    opener: Callable[[Entry], BinaryIO], entry: Entry, target: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Write one entry to ``target`` atomically and give it the entry's mtime; returns bytes written."""
    copy_into = getattr(opener, "copy_into", None)
    try:
        with atomic_writer(target) as out:
            if copy_into is not None:
                n = copy_into(entry, out, progress)
            else:
                with opener(entry) as src:
                    n = _copy_stream(src, out, progress)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:  # a damaged archive member
        raise CorruptFile(f"damaged in the archive ({exc})") from exc
    if entry.mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(target, (entry.mtime, entry.mtime))
    return n


def _worker_batch(opener: Callable[[Entry], BinaryIO], jobs: list[tuple[Entry, str]]) -> list[tuple[str, int, str]]:
    """Write a batch of files in a worker process: [(status, bytes, reason)]."""
    results = []
    for entry, target in jobs:
        try:
            results.append(("ok", write_file(opener, entry, Path(target)), ""))
        except (ReclaimError, OSError) as exc:
            results.append(("full" if is_disk_full(exc) else "failed", 0, str(exc)))
    return results


def _disk_full(out: Path, written: int) -> OutputNotWritable:
    """What stops an extraction whose disk filled up (every next file would fail the same way)."""
    return OutputNotWritable(f"the disk is full (or read-only) after {written:,} files: free some space and run "
                             "the same command again (the files already written are skipped)", out)


def _link_note(target: Path, entry: Entry) -> None:
    note = target.with_name(target.name + ".symlink")
    text = f"symbolic link to: {entry.target or ''}\n"
    with atomic_writer(note) as out:
        out.write(text.encode("utf-8", "replace"))
    if entry.mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(note, (entry.mtime, entry.mtime))


def count_work(source: VirtualFS, domain: str | None = None, path: str | None = None) -> tuple[int, int]:
    """(files, bytes) matching the globs: a streamed pass, for progress totals."""
    files = nbytes = 0
    for entry in source.files(domain, path):
        files += 1
        nbytes += entry.size
    return files, nbytes


def extract(
    source: VirtualFS,
    out: Path,
    *,
    domain: str | None = None,
    path: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExtractResult:
    """Extract matching entries of ``source`` into ``out`` in one streamed pass (constant memory).

    ``on_progress(files, bytes)`` is called as files are written. ``workers``: processes
    for decryption (default: every core, used only for batches of at least
    :data:`PARALLEL_MIN_BATCH` bytes and only when the source offers a picklable opener).
    """
    out.mkdir(parents=True, exist_ok=True)
    result = ExtractResult()
    dirs: list[tuple[Path, int]] = []
    opener = source.opener()
    workers = workers or (os.cpu_count() or 1)
    pool: ProcessPoolExecutor | None = None
    running: dict[Future, list[tuple[Entry, str]]] = {}
    done = [0, 0]  # files, bytes

    def failed(entry: Entry, exc: BaseException, reason: str) -> None:
        """Note a file that could not be written, unless the disk is full: then every next one would fail too."""
        if is_disk_full(exc):
            raise _disk_full(out, result.written) from None
        result.failed.append((f"{entry.domain}/{entry.path}", reason))

    def tick(n: int) -> None:
        done[1] += n
        if on_progress:
            on_progress(done[0], done[1])

    def collect(block: bool) -> None:
        while running and (block or len(running) >= 2 * workers):
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                batch = running.pop(fut)
                for (entry, _), (status, n, reason) in zip(batch, fut.result(), strict=True):
                    if status == "ok":
                        result.written += 1
                        result.bytes += n
                    elif status == "full":
                        raise _disk_full(out, result.written)
                    else:
                        result.failed.append((f"{entry.domain}/{entry.path}", reason))
                    done[0] += 1
                    done[1] += n
                if on_progress:
                    on_progress(done[0], done[1])

    def flush(batch: list[tuple[Entry, str]], nbytes: int) -> None:
        nonlocal pool
        if opener is not None and workers > 1 and nbytes >= PARALLEL_MIN_BATCH:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=workers)
            running[pool.submit(_worker_batch, opener, batch)] = batch
            collect(block=False)
            return
        for entry, target in batch:
            try:
                result.bytes += write_file(opener or source.open, entry, Path(target), tick)
                result.written += 1
            except (ReclaimError, OSError) as exc:
                failed(entry, exc, str(exc))
            done[0] += 1
            if on_progress:
                on_progress(done[0], done[1])

    batch: list[tuple[Entry, str]] = []
    batch_bytes = 0
    try:
        for entry in source.find(domain, path):
            try:
                target = target_path(out, entry)
            except UnsafePath as exc:
                result.failed.append((f"{entry.domain}/{entry.path}", str(exc)))
                continue
            if entry.kind is EntryKind.DIR:
                try:
                    target.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    failed(entry, exc, exc.strerror or str(exc))
                    continue
                result.dirs += 1
                if entry.mtime is not None:
                    dirs.append((target, entry.mtime))
            elif entry.kind is EntryKind.LINK:
                try:
                    _link_note(target, entry)
                    result.links += 1
                except OSError as exc:
                    failed(entry, exc, exc.strerror or str(exc))
            elif _up_to_date(target, entry):
                result.skipped += 1
                done[0] += 1
                done[1] += entry.size
            else:
                batch.append((entry, str(target)))
                batch_bytes += entry.size
                if batch_bytes >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                    flush(batch, batch_bytes)
                    batch, batch_bytes = [], 0
        if batch:
            flush(batch, batch_bytes)
        collect(block=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    for folder, mtime in reversed(dirs):
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(folder, (mtime, mtime))
    return result
