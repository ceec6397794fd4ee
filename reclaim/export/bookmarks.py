"""Safari bookmarks as a Netscape bookmark file (``bookmarks.html``), which every browser imports.

Folders become nested ``<DL>`` lists in Safari's order; the Reading List is a
folder of its own; recovered deleted bookmarks are put in a "Recovered (deleted)"
folder so an import never mixes them with live ones unnoticed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reclaim.case.store import CaseReader
from reclaim.output import atomic_write_text, safe_join

FORMAT = "html-bookmarks"
KINDS = ("safari-bookmarks",)
DELETED_FOLDER = "Recovered (deleted)"


@dataclass
class _Folder:
    name: str
    folders: dict[str, _Folder] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def child(self, path: str) -> _Folder:
        folder = self
        for part in (p for p in path.split("/") if p):
            folder = folder.folders.setdefault(part, _Folder(part))
        return folder


def _unix(value: Any) -> str:
    if not value:
        return ""
    return str(int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()))


def _render(folder: _Folder, depth: int, lines: list[str]) -> None:
    pad = "    " * depth
    lines.append(f"{pad}<DL><p>")
    for item in sorted(folder.items, key=lambda r: (r.get("position") or 0, r.get("title") or "")):
        added = _unix(item.get("added") or item.get("date"))
        attrs = f' ADD_DATE="{added}"' if added else ""
        title = html.escape(item.get("title") or item.get("url") or "")
        lines.append(f'{pad}    <DT><A HREF="{html.escape(item.get("url") or "", quote=True)}"{attrs}>{title}</A>')
        if item.get("preview"):
            lines.append(f"{pad}    <DD>{html.escape(item['preview'])}")
    for name, child in folder.folders.items():
        lines.append(f"{pad}    <DT><H3>{html.escape(name)}</H3>")
        _render(child, depth + 1, lines)
    lines.append(f"{pad}</DL><p>")


def export(case: CaseReader, kind: str, out: Path) -> list[Path]:
    """Write ``bookmarks.html`` (Netscape format) with every bookmark of the case."""
    root = _Folder("Bookmarks")
    for record in case.records(kind, order="rid"):
        path = DELETED_FOLDER if record.get("deleted") else record.get("folder") or ""
        root.child(path).items.append(record)
    lines = [
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>",
        "<!-- Exported by reclaim from an iPhone's Safari bookmarks. -->",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
        "<TITLE>Bookmarks</TITLE>",
        "<H1>Bookmarks</H1>",
    ]
    _render(root, 0, lines)
    target = safe_join(out, "bookmarks.html")
    atomic_write_text(target, "\n".join(lines) + "\n")
    return [target]
