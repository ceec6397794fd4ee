"""``reclaim export CASE -o OUT``: write a case in the formats people open."""

from __future__ import annotations

import argparse
from pathlib import Path

from reclaim.commands._common import console, reading_case, split_list
from reclaim.export import export_case, known_formats
from reclaim.output import check_output_folder

NAME = "export"
HELP = "export a case (from 'reclaim scan') to HTML, CSV, JSON, vCard, ICS and media files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="case folder written by 'reclaim scan'")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    parser.add_argument("--kinds", help="comma-separated kinds to export (default: all in the case)")
    parser.add_argument("--format", dest="formats", help=f"comma-separated formats ({', '.join(known_formats())})")


def run(args: argparse.Namespace) -> int:
    check_output_folder(args.output)
    with reading_case(args.case):
        result = export_case(args.case, args.output, kinds=split_list(args.kinds), formats=split_list(args.formats))
    for warning in result.warnings:
        console.print(f"Warning: {warning}", style="yellow", highlight=False)
    console.print(f"Wrote {len(result.files):,} files to {result.out}", highlight=False)
    if result.index:
        console.print(f"Open {result.index}", highlight=False)
    return 0
