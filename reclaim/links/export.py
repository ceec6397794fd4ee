"""Writing the "Links & QR codes" section: JSON Lines, CSV and an HTML page with the images beside each code."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from reclaim.links.analyse import LinksReport
from reclaim.output import atomic_writer

SEVERITY_ORDER = {"match": 0, "danger": 1, "caution": 2, "ok": 3}


def write_data(report: LinksReport, folder: Path) -> list[Path]:
    """``links.jsonl`` and ``links.csv`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    jsonl, table = folder / "links.jsonl", folder / "links.csv"
    with atomic_writer(jsonl) as handle:
        for item in report.items:
            handle.write(json.dumps(item.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
    columns = ["severity", "date", "kind", "chat", "sender", "found_in", "url", "payload", "warnings", "matches",
               "deleted", "image_name"]
    with atomic_writer(table) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        for item in report.items:
            data = item.to_json()
            data["warnings"] = "; ".join(w["message"] for w in data["warnings"])
            data["matches"] = "; ".join(f"{m['name']} ({m['indicator']}, {m['source']})" for m in data["matches"])
            writer.writerow(["" if data.get(c) is None else data[c] for c in columns])
        text.flush()
        text.detach()
    return [jsonl, table]


def page_items(report: LinksReport, media: Any) -> list[dict[str, Any]]:
    """Items for the HTML page: most serious first, then by date; QR images resolved to report paths."""
    items = sorted(report.items, key=lambda i: (SEVERITY_ORDER[i.severity], i.date or ""))
    out = []
    for item in items:
        data = item.to_json()
        data["image_view"] = media.view(item.image) if item.image else None
        out.append(data)
    return out
