"""``reclaim scan PATH -o CASE``: build the case store only."""

from __future__ import annotations

import argparse
from pathlib import Path

from reclaim.case.scan import ScanResult, scan
from reclaim.commands._common import add_scan_options, console, interactive, scan_options, split_list
from reclaim.output import check_output_folder
from reclaim.sources.cli_support import add_source_arguments, open_source_from_args

NAME = "scan"
HELP = "extract every kind of data from a backup into a case folder (no export)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="case folder to create")
    add_scan_options(parser)


def run_scan(args: argparse.Namespace, case: Path) -> ScanResult:
    """Open the source named on the command line and scan it into ``case`` (shared with ``recover``)."""
    from reclaim.commands._common import scan_progress

    with open_source_from_args(args) as fs, scan_progress(interactive()) as progress:
        return scan(fs, case, kinds=split_list(args.kinds), options=scan_options(args), progress=progress)


def summarize(result: ScanResult) -> None:
    """Print what is wrong with the source, then what each kind found, with reasons for the empty ones."""
    for warning in result.warnings:
        console.print(f"Warning: {warning}", style="yellow", highlight=False)
    for status in result.kinds:
        count = f"{status.live:,}" + (f" + {status.deleted:,} recovered" if status.deleted else "")
        line = f"{status.title}: {count}"
        if not status.live and not status.deleted:
            line += f" ({status.reason})"
        console.print(line, highlight=False)


def run(args: argparse.Namespace) -> int:
    check_output_folder(args.output, args.path)
    result = run_scan(args, args.output)
    summarize(result)
    console.print(f"Case written to {result.case} in {result.seconds:.1f} s", highlight=False)
    return 0
