"""Pieces the case-building commands share: kind/format options, progress display, note passwords."""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from reclaim.case.context import ScanOptions
from reclaim.errors import CorruptFile, ReclaimError, is_corruption

console = Console(stderr=True)


def split_list(value: str | None) -> list[str] | None:
    """'a,b, c' → ['a', 'b', 'c'] (``None`` stays ``None``)."""
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def add_scan_options(parser: argparse.ArgumentParser) -> None:
    """Options that change what a scan extracts."""
    parser.add_argument("--kinds", help="comma-separated kinds to extract (default: all but keychain)")
    parser.add_argument("--no-deleted", action="store_true", help="skip recovering deleted records")
    parser.add_argument(
        "--note-password-file",
        type=Path,
        help="file with passwords for locked notes, one per line (or RECLAIM_NOTE_PASSWORDS, newline-separated)",
    )


def scan_options(args: argparse.Namespace) -> ScanOptions:
    """Scan options from the command line and environment (passwords never come from argv)."""
    passwords: list[str] = []
    if getattr(args, "note_password_file", None):
        try:
            passwords += [p for p in args.note_password_file.read_text("utf-8").splitlines() if p]
        except OSError as exc:
            raise ReclaimError(f"cannot read note passwords ({exc.strerror})", args.note_password_file) from exc
        except UnicodeDecodeError:
            raise ReclaimError("the note password file is not UTF-8 text", args.note_password_file) from None
    env = os.environ.get("RECLAIM_NOTE_PASSWORDS")
    if env:
        passwords += [p for p in env.splitlines() if p]
    return ScanOptions(note_passwords=passwords, recover_deleted=not getattr(args, "no_deleted", False))


def interactive() -> bool:
    """Whether to draw progress bars (a terminal, and not machine-readable output)."""
    return sys.stderr.isatty()


@contextlib.contextmanager
def scan_progress(enabled: bool) -> Iterator[object]:
    """A rich progress display for a scan, or a silent callback when not on a terminal."""
    if not enabled:
        yield None
        return
    progress = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(), console=console, transient=False,
    )
    tasks: dict[str, int] = {}

    def callback(kind: str, count: int, phase: str) -> None:
        if kind not in tasks:
            tasks[kind] = progress.add_task(kind, total=None, count="")
        if phase == "done":
            progress.update(tasks[kind], total=1, completed=1, count=f"{count:,} records")
        else:
            progress.update(tasks[kind], count=f"{count:,} records")

    with progress:
        yield callback


@contextlib.contextmanager
def reading_case(folder: Path) -> Iterator[None]:
    """Turn SQLite reporting damage while a case is read into one clear line naming its case.db.

    A case opens when its first pages are sound; a damaged page further in shows only when a
    query reaches it. Only damage (SQLITE_CORRUPT/NOTADB) is mapped: a failing query stays a bug.
    """
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        db = folder if folder.name == "case.db" else folder / "case.db"
        raise CorruptFile(f"damaged case database ({exc}); run 'reclaim scan' again to rebuild it", db) from exc
