"""``reclaim files PATH [--domain D] [--path GLOB] [--json]``: list entries (streamed)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from reclaim.sources.cli_support import add_source_arguments, open_source_from_args

NAME = "files"
HELP = "list the files of a backup or extraction: domain, path, size, mtime, kind, file id"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--domain", help="domain glob, e.g. 'AppDomain-*' or HomeDomain")
    parser.add_argument("--path", dest="path_glob", help="relative path glob, e.g. 'Library/SMS/*'")
    parser.add_argument("--json", action="store_true", help="one JSON object per line (JSON Lines)")


def _iso(ts: int | None) -> str:
    if ts is None:
        return "-"
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    with open_source_from_args(args) as source:
        count = 0
        for warning in source.damage_found():  # (an archive or backup index cut short: files are missing)
            print(f"reclaim: warning: {warning}", file=sys.stderr)
        for entry in source.find(args.domain, args.path_glob):
            count += 1
            if args.json:
                record = entry.to_json()
                if entry.target is not None:
                    record["target"] = entry.target
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                path = entry.path.replace("\t", " ").replace("\n", " ")
                extra = f"\t-> {entry.target}" if entry.target else ""
                out.write(
                    f"{entry.domain}\t{path}\t{entry.size}\t{_iso(entry.mtime)}\t{entry.kind.value}"
                    f"\t{entry.file_id}{extra}\n"
                )
    if count == 0 and not args.json:
        print("reclaim: no entries match", file=sys.stderr)
    return 0
