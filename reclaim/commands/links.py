"""``reclaim links PATH``: every link and QR code received or sent, and which look dangerous."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reclaim.case.store import CaseReader
from reclaim.commands._common import add_scan_options, console, reading_case
from reclaim.links.analyse import analyse_case
from reclaim.links.export import write_data
from reclaim.links.iocs import load_indicators
from reclaim.output import check_output_folder
from reclaim.service import find_case_folder
from reclaim.sources.cli_support import add_source_arguments

NAME = "links"
HELP = "list every link and QR code in a backup (or case) and flag the dangerous ones; never opens them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("-o", "--output", type=Path, help="also write links.jsonl and links.csv to this folder")
    parser.add_argument("--iocs", type=Path, nargs="+", default=[], metavar="FILE",
                        help="indicator files: STIX 2 bundles or plain lists of domains/URLs")
    parser.add_argument("--all", action="store_true", help="list every link, not only flagged ones")
    parser.add_argument("--no-images", action="store_true", help="skip looking for QR codes in images")
    parser.add_argument("--json", action="store_true", help="JSON Lines on standard output")
    add_scan_options(parser)


def run(args: argparse.Namespace) -> int:
    if args.output:
        check_output_folder(args.output, args.path)
    indicators = load_indicators(args.iocs)
    existing = find_case_folder(Path(args.path))
    with tempfile.TemporaryDirectory(prefix="reclaim-links-") as tmp:
        if existing is None:
            from reclaim.commands.scan import run_scan

            existing = Path(tmp) / "case"
            run_scan(args, existing)
        with reading_case(existing), CaseReader(existing) as case:
            report = analyse_case(case, indicators, images=not args.no_images)
    if args.output:
        write_data(report, args.output)
    if args.json:
        for item in report.items:
            sys.stdout.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
        return 0
    counts = report.counts()
    shown = [i for i in report.items if args.all or i.severity != "ok"]
    table = Table("severity", "date", "where", "from", "link or code", "why")
    for item in shown:
        why = [f"known threat: {m.indicator.name} ({m.how})" for m in item.matches]
        why += [w.message for w in item.warnings]
        where = f"{item.kind}: {item.chat}" if item.chat else item.kind
        link = item.url + (f"\n[{item.payload}]" if item.payload else "")
        table.add_row(item.severity, (item.date or "")[:16].replace("T", " "), where, item.sender or "", link,
                      "\n".join(why))
    if shown:
        Console().print(table)
    console.print(
        f"{counts['links']:,} links and {counts['codes']:,} codes in {report.images_checked:,} images: "
        f"{counts['match']} match indicators, {counts['danger']} look dangerous, {counts['caution']} worth a look.",
        highlight=False,
    )
    return 0
