"""JSON Lines: one record per line, ``json/<kind>.jsonl`` (the public schema is in docs/formats.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reclaim.output import atomic_writer, safe_join


def export(case: Any, kind: str, out: Path) -> list[Path]:
    """Write every record of ``kind``, streamed, as ``out/<kind>.jsonl``."""
    target = safe_join(out, f"{kind}.jsonl")
    with atomic_writer(target) as handle:
        for record in case.records(kind):
            record.pop("_rid", None)
            handle.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return [target]
