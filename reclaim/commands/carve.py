"""``reclaim carve FILE``: print every deleted record recoverable from an SQLite database.

The database's ``-wal`` and ``-journal`` beside it are read too. Nothing is written to
the input files. With ``--json`` the output is one JSON object per line (the format is a
public interface, documented in docs/carving.md).
"""

from __future__ import annotations

import argparse
import json
import sys

from reclaim.sqlite import CarvedRecord, carve

NAME = "carve"
HELP = "recover deleted records from an SQLite database (and its -wal / -journal)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reclaim carve``."""
    parser.add_argument("file", metavar="FILE", help="SQLite database file (read-only)")
    parser.add_argument("--json", action="store_true", help="one JSON object per recovered record")
    parser.add_argument(
        "--table", action="append", metavar="T", help="only records of this table (repeatable)"
    )
    parser.add_argument(
        "--superseded", action="store_true",
        help="also older versions of rows that are still live (an edited message's earlier text)",
    )


def _short(value: object, width: int = 40) -> str:
    if value is None:
        return ""
    text = f"<{len(value)} bytes>" if isinstance(value, bytes) else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_text(records: list[CarvedRecord]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not records:
        console.print("No deleted records found.")
        return
    by_table: dict[str, list[CarvedRecord]] = {}
    for r in records:
        by_table.setdefault(r.table or "(unknown table)", []).append(r)
    for name, recs in by_table.items():
        cols = list(recs[0].values)
        shown = [c for c in cols if any(r.values.get(c) is not None for r in recs)][:8]
        older = sum(1 for r in recs if r.superseded)
        title = f"{name}: {len(recs) - older} deleted record(s)" + (
            f", {older} older version(s) of live rows" if older else "")
        table = Table(title=title, show_lines=False)
        table.add_column("rowid", justify="right")
        for c in shown:
            table.add_column(c, overflow="fold")
        table.add_column("found in")
        table.add_column("conf.", justify="right")
        for r in recs:
            where = f"{r.area} p{r.page}+{r.offset}" + (f" f{r.frame}" if r.frame else "")
            if r.superseded:
                where += f", older version of row {r.live_rowid}" if r.live_rowid is not None else ", older version"
            table.add_row(
                "" if r.rowid is None else str(r.rowid),
                *(_short(r.values.get(c)) for c in shown),
                where + (" (partial)" if r.partial else ""),
                f"{r.confidence:.2f}",
            )
        console.print(table)


def run(args: argparse.Namespace) -> int:
    """Carve the file; print records as a table or as JSON lines. Returns the exit code."""
    records = carve(args.file, tables=args.table, superseded=args.superseded)
    if args.json:  # streamed: a big database's records are never all held at once
        out = sys.stdout
        for r in records:
            out.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        out.flush()
    else:
        _print_text(list(records))
    return 0
