"""Photos and videos as ordinary files: ``photos/YYYY/YYYY-MM-DD HH.MM.SS <name>``.

What a person wants from a phone's camera roll is the pictures themselves, named
so that any file browser sorts them by when they were taken:

* every original is written once (content already written is never written again,
  whatever record points at it);
* the name starts with the capture time in the photo's own time zone (what the
  phone showed), and the file's modification time is set to the capture instant,
  so photo apps and file browsers order them right;
* a HEIC gets a JPEG of the same name beside it, a Live Photo its ``.MOV``, an
  edited photo its edit as ``… (edited).jpg``;
* items from "Recently Deleted" and ones recovered from the database go under
  ``Deleted/``; pictures of which only a thumbnail is left under
  ``Thumbnails only/``;
* ``albums.json`` lists, for each album, the files written for it (albums are not
  folders of copies or links: links are not portable and copies waste space).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reclaim.media import extension_for
from reclaim.output import atomic_write_text, atomic_writer, safe_join

FORMAT = "media"
KINDS = ("photos",)

DELETED_DIR = "Deleted"
THUMBS_DIR = "Thumbnails only"
UNDATED_DIR = "Undated"


def _when(record: dict[str, Any]) -> datetime | None:
    value = record.get("taken") or record.get("date")
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _stem_and_ext(name: str, fallback_mime: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 5:
        return stem, ext
    return name, extension_for(fallback_mime).lstrip(".") or "bin"


class _Writer:
    """Copies stored media into the output folder, once per content, with capture-time names."""

    def __init__(self, case: Any, out: Path) -> None:
        self.case = case
        self.out = out
        self.written: dict[str, Path] = {}  # sha256 -> file written
        self.files: list[Path] = []

    def place(self, folder: str, local: datetime | None, name: str) -> Path:
        """A path for ``name`` in its year folder, prefixed with the (local) capture time."""
        if local is None:
            return safe_join(self.out, folder, UNDATED_DIR, name)
        return safe_join(self.out, folder, f"{local:%Y}", f"{local:%Y-%m-%d %H.%M.%S} {name}")

    def copy(self, sha: str | None, target: Path, when: datetime | None) -> Path | None:
        """Write the stored file ``sha`` at ``target`` (or return where it was already written)."""
        if not sha:
            return None
        if sha in self.written:
            return self.written[sha]
        source = self.case.media_path(sha)
        if source is None:
            return None
        target = _free(target)
        with open(source, "rb") as src, atomic_writer(target) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if when is not None:
            stamp = when.timestamp()
            os.utime(target, (stamp, stamp))
        self.written[sha] = target
        self.files.append(target)
        return target


def _free(target: Path) -> Path:
    """``target``, or ``name (2).ext``, … when a different file already has that name."""
    stem, ext = _stem_and_ext(target.name, "application/octet-stream")
    n = 2
    while target.exists():
        target = target.with_name(f"{stem} ({n}).{ext}")
        n += 1
    return target


def export(case: Any, kind: str, out: Path) -> list[Path]:
    """Write the camera roll of ``case`` under ``out`` (``OUT/photos/``); returns the files written."""
    writer = _Writer(case, out)
    albums: dict[str, list[str]] = {}
    for record in case.records(kind):
        when = _when(record)
        offset = record.get("timezone_offset")
        local = when + timedelta(seconds=offset) if when and isinstance(offset, int) else when
        media = record.get("media") or {}
        thumb = record.get("thumbnail") or {}
        folder = DELETED_DIR if record.get("deleted") else ""
        name = record.get("original_filename") or record.get("filename") or media.get("name") or "photo"
        main: Path | None = None
        if media.get("sha256"):
            stem, ext = _stem_and_ext(name, media.get("mime", ""))
            main = writer.copy(media["sha256"], writer.place(folder, local, f"{stem}.{ext}"), when)
        elif thumb.get("sha256"):
            stem, _ = _stem_and_ext(name, "")
            main = writer.copy(thumb["sha256"], writer.place(THUMBS_DIR, local, f"{stem} (thumbnail).jpg"),
                               when)
        if main is None:
            continue
        stem = main.name.rsplit(".", 1)[0]
        if media.get("preview") and media.get("preview_mime") == "image/jpeg":
            writer.copy(media["preview"], main.with_name(f"{stem}.jpg"), when)
        for extra, suffix in ((record.get("live_video"), ""), (record.get("edited_media"), " (edited)")):
            if extra and extra.get("sha256"):
                _, ext = _stem_and_ext(extra.get("name", ""), extra.get("mime", ""))
                writer.copy(extra["sha256"], main.with_name(f"{stem}{suffix}.{ext.lower()}"), when)
        for album in record.get("albums") or []:
            albums.setdefault(album, []).append(main.relative_to(out).as_posix())
    if albums:
        index = safe_join(out, "albums.json")
        atomic_write_text(index, json.dumps(albums, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        writer.files.append(index)
    return writer.files
