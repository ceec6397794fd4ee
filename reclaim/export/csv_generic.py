"""CSV for every kind: one row per record, one column per field of the kind's record class.

Nested values are flattened the way a spreadsheet user expects: lists of text
joined with "; ", labelled values as "label: value", media as their file names.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

from reclaim.output import atomic_writer, safe_join

SKIP = {"html", "markdown", "_rid"}


def columns_for(kind: str, sample: dict[str, Any] | None) -> list[str]:
    """Column order: the record class's fields when the kind is known, else the first record's keys."""
    from reclaim.artifacts import all_artifacts

    for cls in all_artifacts():
        if cls.kind == kind:
            names = ["kind"] + [f.name for f in dataclasses.fields(cls.record)]
            return [n for n in names if n not in SKIP]
    return [k for k in (sample or {}) if k not in SKIP]


_SCALARS = (str, int, float)  # a tuple made once: ``str | int | float`` would build a union at every call


def flatten(value: Any) -> str:
    """A cell's text for any JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _SCALARS):
        return str(value)
    if isinstance(value, list):
        return "; ".join(flatten(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        if "sha256" in value and "name" in value:  # a MediaRef
            return value["name"] + (" (missing)" if value.get("missing") else "")
        if "value" in value:
            label = value.get("label")
            return f"{label}: {value['value']}" if label else str(value["value"])
        if "base64" in value and len(value) == 1:
            return "<binary>"
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _row(record: dict[str, Any], cols: list[str]) -> list[str]:
    """One record's cells (text directly, an empty list or nothing as an empty cell, the rest through
    :func:`flatten`)."""
    return [value if type(value) is str else "" if value is None or value == [] else flatten(value)
            for value in map(record.get, cols)]


def export(case: Any, kind: str, out: Path) -> list[Path]:
    """Write ``out/<kind>.csv`` (UTF-8 with BOM so spreadsheet apps detect the encoding)."""
    target = safe_join(out, f"{kind}.csv")
    records = case.records(kind)
    first = next(records, None)
    cols = columns_for(kind, first)
    with atomic_writer(target) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(cols)
        if first is not None:
            writer.writerow(_row(first, cols))
            writer.writerows(_row(record, cols) for record in records)
        text.flush()
        text.detach()
    return [target]
