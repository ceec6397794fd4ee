"""What SQLite alone costs to write a case: the floor under any scan, with no Python per record.

    .venv/bin/python benchmarks/bench_floor.py CASE_FOLDER [CASE_FOLDER ...]

Takes cases written by ``reclaim scan`` (or ``bench_scan.py --keep DIR`` / ``bench_wechat.py --keep DIR``) and
writes each one's records again into a fresh file, in SQL only, step by step as a scan does: the rows appended
to ``entries``, their date and search words put aside (with the CJK characters, by the scan's own function),
the date order, the trigram and CJK full-text indexes and the four b-tree indexes, all from the case's own
schema (``reclaim.case.build``). Each step's CPU time is its own (one CPU); the last column is the records per
second a scan could not beat on one CPU even if extracting the records cost nothing. Compare with the scan's
figures from ``bench_scan.py`` / ``bench_wechat.py``. Prints a table; it is not a test.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.case.build import (
    CJK_ROWS,
    CJK_TABLE,
    FTS_ROWS,
    FTS_TABLE,
    INDEXES,
    RANK,
    WORDS,
    cjk_characters,
    connect_scratch,
    fill_fulltext,
)
from reclaim.case.store import CASE_DB

#: The words of every record, as the scan's sink puts them aside (see ``build._WORDS_SINCE``).
_WORDS = ("INSERT INTO staging.words(rid, date, text, cjk) SELECT rid, date, text,"
          " CASE WHEN length(text) < length(CAST(text AS BLOB)) THEN reclaim_cjk(text) END FROM main.entries")


def _cjk_or_none(text: str | None) -> str | None:
    return (cjk_characters(text) or None) if text else None


def floor(case: Path, scratch: Path) -> list[tuple[str, float]]:
    """Each step's CPU seconds, writing ``case``'s records again under ``scratch``."""
    source = f"file:{case / CASE_DB}?mode=ro&immutable=1"
    target, staging = scratch / "floor.db", scratch / "floor.staging"
    conn = connect_scratch(target)
    conn.create_function("reclaim_cjk", 1, _cjk_or_none, deterministic=True)
    conn.execute("ATTACH DATABASE ? AS source", (source,))
    conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
    for (sql,) in conn.execute("SELECT sql FROM source.sqlite_master WHERE name IN ('entries', 'shapes')"):
        conn.execute(sql)
    conn.execute(WORDS)
    conn.execute("INSERT INTO shapes SELECT * FROM source.shapes")
    conn.commit()
    steps: list[tuple[str, float]] = []

    def step(name: str, *statements: str) -> None:
        started = time.process_time()
        for statement in statements:
            conn.executescript(statement)
        conn.commit()
        steps.append((name, time.process_time() - started))

    step("append the records", "INSERT INTO entries SELECT * FROM source.entries")
    step("put their words aside", _WORDS)
    conn.execute("DETACH DATABASE staging")
    started = time.process_time()
    ranking = connect_scratch(staging)  # as the sink ranks: in the scratch file itself
    ranking.executescript(RANK)
    ranking.commit()
    ranking.close()
    steps.append(("date order", time.process_time() - started))
    conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
    for name, table, create, rows in (("trigram index", "records_fts", FTS_TABLE, FTS_ROWS),
                                      ("CJK index", "records_cjk", CJK_TABLE, CJK_ROWS)):
        started = time.process_time()
        fill_fulltext(conn, table, create, rows)
        conn.commit()
        steps.append((name, time.process_time() - started))
    step("b-tree indexes", INDEXES)
    conn.close()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", type=Path, help="case folders (holding case.db)")
    args = parser.parse_args()
    for case in args.cases:
        if not (case / CASE_DB).is_file():
            parser.error(f"{case}: no {CASE_DB} in this folder")
        with sqlite3.connect(f"file:{case / CASE_DB}?mode=ro&immutable=1", uri=True) as conn:
            records = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
            steps = floor(case, Path(scratch))
        total = sum(seconds for _, seconds in steps)
        print(f"\n{case}: {records:,} records")
        print("| step | CPU s | µs a record | records/s on one CPU |\n|---|---|---|---|")
        for name, seconds in [*steps, ("**all of it**", total)]:
            rate = f"{records / seconds:,.0f}" if seconds else "—"
            print(f"| {name} | {seconds:.2f} | {seconds / max(records, 1) * 1e6:.1f} | {rate} |")


if __name__ == "__main__":
    main()
