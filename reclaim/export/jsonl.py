"""JSON Lines: one record per line, ``json/<kind>.jsonl`` (the public schema is in docs/formats.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from reclaim.output import atomic_writer, safe_join


def export(case: Any, kind: str, out: Path) -> list[Path]:
    """Write every record of ``kind``, streamed, as ``out/<kind>.jsonl``.

    From a case (or a view that offers ``records_json``) each line is the record's JSON exactly
    as the case stores it: no parsing and re-encoding.
    """
    target = safe_join(out, f"{kind}.jsonl")
    with atomic_writer(target) as handle:
        lines: list[str] = []
        for data in _lines(case, kind):
            lines.append(data)
            if len(lines) >= 1000:
                handle.write(("\n".join(lines) + "\n").encode("utf-8"))
                lines.clear()
        if lines:
            handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    return [target]


def _lines(case: Any, kind: str) -> Iterator[str]:
    # Looked up on the class: a wrapper that filters records() and forwards other attributes to the
    # case (``__getattr__``) must not hand out the unfiltered stored JSON.
    if getattr(type(case), "records_json", None) is not None:
        for data, _rid in case.records_json(kind):
            yield data
        return
    for record in case.records(kind):
        record.pop("_rid", None)
        yield orjson.dumps(record).decode("utf-8")
