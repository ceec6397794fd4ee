"""``reclaim show CASE KIND``: a quick look at a case in the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reclaim.case.store import CaseReader
from reclaim.commands._common import reading_case
from reclaim.errors import ReclaimError
from reclaim.export.clock import local

NAME = "show"
HELP = "show the records of one kind of a case in the terminal (filter by chat, date, text)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="case folder written by 'reclaim scan' or 'reclaim recover'")
    parser.add_argument("kind", nargs="?", help="kind to show (omit to list the kinds and counts)")
    parser.add_argument("--chat", help="only this conversation (name or id)")
    parser.add_argument("--since", help="only from this date (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", help="only before this date (YYYY-MM-DD, UTC)")
    parser.add_argument("--search", help="only records containing this text")
    parser.add_argument("--deleted", action="store_true", help="only recovered (deleted) records")
    parser.add_argument("--limit", type=int, default=200, help="at most this many records (default 200)")
    parser.add_argument("--json", action="store_true", help="JSON Lines instead of a table")


def _check_date(option: str, value: str | None) -> None:
    """A --since/--until that is not a date would silently match nothing: say so instead."""
    if value is None:
        return
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ReclaimError(f"{option}: not a date: {value!r} (use YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    _check_date("--since", args.since)
    _check_date("--until", args.until)
    if args.limit < 1:
        raise ReclaimError(f"--limit: must be 1 or more, not {args.limit}")
    with reading_case(args.case):
        return _show(args)


def _show(args: argparse.Namespace) -> int:
    out = Console()
    with CaseReader(args.case) as case:
        if not args.kind:
            table = Table("kind", "title", "live", "recovered", "note")
            for k in case.kinds():
                table.add_row(k["kind"], k["title"], f"{k['live']:,}", f"{k['deleted']:,}", k["reason"])
            out.print(table)
            return 0
        if case.kind(args.kind) is None:
            known = ", ".join(k["kind"] for k in case.kinds())
            raise ReclaimError(f"no kind '{args.kind}' in this case (it has: {known})", args.case)
        filters = {"chat": args.chat, "since": args.since, "until": args.until,
                   "deleted": True if args.deleted else None}
        if args.search:
            records = case.search(args.search, kinds=[args.kind], limit=args.limit, **filters)
        else:
            records = case.records(args.kind, limit=args.limit, **filters)
        if args.json:
            for record in records:
                record.pop("_rid", None)
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            return 0
        conversation = (case.kind(args.kind) or {}).get("view") == "chat"
        table = Table("date (local)", *(("chat", "sender", "text") if conversation else ("title", "summary")), "")
        for record in records:
            flag = "recovered" if record.get("deleted") else ""
            if conversation:
                attachments = ", ".join(a.get("name", "") for a in record.get("attachments") or [])
                text = (record.get("text") or "") + (f" [{attachments}]" if attachments else "")
                table.add_row(local(record.get("date")), record.get("chat") or "", record.get("sender") or "",
                              text, flag)
            else:
                title = record.get("name") or record.get("title") or record.get("id") or ""
                summary = record.get("text") or record.get("url") or record.get("number") or ""
                table.add_row(local(record.get("date")), str(title), str(summary)[:120], flag)
        out.print(table)
    return 0
