"""``reclaim extract PATH -o OUT [--domain D] [--path GLOB]``: files in their original layout.

Writes ``OUT/<domain>/<relative path>`` with mtimes kept; re-running skips files already
there (same size and mtime). Files missing from the backup are listed and skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from reclaim.errors import ReclaimError
from reclaim.output import check_output_folder
from reclaim.sources.cli_support import add_source_arguments, open_source_from_args
from reclaim.sources.extract import count_work, extract

NAME = "extract"
HELP = "copy the files of a backup out in their original layout (OUT/<domain>/<path>)"
MAX_LISTED = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write into")
    parser.add_argument("--domain", help="domain glob, e.g. 'AppDomain-com.tencent.xin'")
    parser.add_argument("--path", dest="path_glob", help="relative path glob, e.g. 'Library/SMS/*'")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per core)")


def run(args: argparse.Namespace) -> int:
    out: Path = args.output
    check_output_folder(out, args.path)
    show = sys.stderr.isatty() and not getattr(args, "json", False)
    with open_source_from_args(args) as source:
        if source.location is not None:
            try:
                out.resolve().relative_to(source.location.resolve())
            except ValueError:
                pass
            else:
                raise ReclaimError("the output folder must not be inside the source", out)
        for warning in source.damage_found():  # (an archive or backup index cut short: files are missing)
            print(f"reclaim: warning: {warning}", file=sys.stderr)
        if show:
            files, nbytes = count_work(source, args.domain, args.path_glob)
            columns = (
                TextColumn("extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, transient=True) as progress:
                by_bytes = progress.add_task("bytes", total=max(nbytes, 1))
                files_task = progress.add_task("files", total=files, visible=False)

                def update(done_files: int, done_bytes: int) -> None:
                    progress.update(by_bytes, completed=done_bytes)
                    progress.update(files_task, completed=done_files)

                result = extract(
                    source, out, domain=args.domain, path=args.path_glob, workers=args.jobs, on_progress=update
                )
        else:
            result = extract(source, out, domain=args.domain, path=args.path_glob, workers=args.jobs)
    for name, reason in result.failed[:MAX_LISTED]:
        print(f"reclaim: skipped {name}: {reason}", file=sys.stderr)
    if len(result.failed) > MAX_LISTED:
        print(f"reclaim: … and {len(result.failed) - MAX_LISTED} more skipped", file=sys.stderr)
    print(
        f"{result.written:,} files written ({result.bytes / 1e6:,.1f} MB), {result.skipped:,} already there, "
        f"{result.dirs:,} folders, {result.links:,} links noted, {len(result.failed):,} failed → {out}",
        file=sys.stderr,
    )
    if result.failed and result.written + result.skipped == 0:
        return 1
    return 0
