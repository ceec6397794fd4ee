"""What the shaped-row tests share: a scan's case read back whole, to compare two ways of writing it."""

from __future__ import annotations

from pathlib import Path

from reclaim.case import store
from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS


def scanned_case(files: list[SampleFile], folder: Path, kind: str) -> tuple[list[tuple[object, ...]],
                                                                              list[tuple[object, ...]]]:
    """Scan ``kind`` of the files (no recovery); the case's records (every column, in rid order) and its ranks."""
    scan(MemoryFS(files), folder, kinds=[kind], options=ScanOptions(recover_deleted=False))
    with store.CaseReader(folder) as case:
        rows = [tuple(r) for r in case.conn.execute(
            "SELECT rid, kind, id, date, deleted, source, chat_id, chat, sender, title, text, data FROM records"
            " ORDER BY rid")]
        ranks = [tuple(r) for r in case.conn.execute("SELECT rank, rid FROM ranks ORDER BY rank")]
    return rows, ranks
