"""``reclaim backups [--json]``: backups found in the usual places (and ``RECLAIM_BACKUP_DIRS``)."""

from __future__ import annotations

import argparse
import json
import sys

from reclaim.errors import PERMISSION_HINT
from reclaim.sources.discovery import default_backup_dirs, find_backups, unreadable_dirs

NAME = "backups"
HELP = "list the iPhone backups found on this computer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run(args: argparse.Namespace) -> int:
    dirs = default_backup_dirs()
    found = find_backups(dirs)
    refused = unreadable_dirs(dirs)
    for folder in refused:
        print(f"reclaim: cannot look inside {folder} (permission denied): {PERMISSION_HINT}", file=sys.stderr)
    if args.json:
        for backup in found:
            sys.stdout.write(json.dumps(backup.to_json(), ensure_ascii=False) + "\n")
        return 0
    if not found and not refused:
        print("No backups found. Looked in:", file=sys.stderr)
        for folder in dirs:
            print(f"  {folder}", file=sys.stderr)
        print("Set RECLAIM_BACKUP_DIRS to search elsewhere, or run 'reclaim sample DIR' for a sample.", file=sys.stderr)
        return 0
    for b in found:
        what = ", ".join(
            x for x in (b.device_name, model_label(b.product_name, b.product_type),
                        b.product_version and f"iOS {b.product_version}") if x
        )
        lock = "encrypted" if b.encrypted else "not encrypted"
        print(f"{b.path}\n    {what or 'unknown device'}; {b.date or 'date unknown'}; {lock}")
    return 0


def model_label(name: str | None, identifier: str | None) -> str | None:
    """"iPhone 13 (iPhone14,5)" when the backup names the model, else whichever of the two is known."""
    if name and identifier and name != identifier:
        return f"{name} ({identifier})"
    return name or identifier
