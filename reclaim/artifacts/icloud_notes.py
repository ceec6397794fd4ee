"""iCloud Notes from an iCloud export folder: ``iCloud Notes/<folder>/<title>.txt`` (+ ``Notes Details.csv``).

``reclaim icloud download`` writes each note's text to a file under ``iCloud Notes`` and its
id, title, folder, modification date and deleted/locked flags to ``Notes Details.csv``
(see :mod:`reclaim.icloud.pim`). Text files under a folder starting with "iCloud Notes"
without a details row (Apple's own export lists notes as text files) are read too, their
title from the file name and their date from the file. Notes in "Recently Deleted" are
deleted records from the app (``Provenance(area="app")``), as on the phone.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from reclaim.artifacts.base import FileSpec, NothingFound, Provenance, from_unix_time, parse_iso
from reclaim.artifacts.icloud_export import _ExportArtifact, _files, _under
from reclaim.artifacts.notes import Note
from reclaim.icloud import formats
from reclaim.sources.privacy_export import EXPORT_DOMAIN
from reclaim.vfs import Entry

if TYPE_CHECKING:
    from reclaim.case.context import ScanContext

NOTES_FOLDER = "icloud notes"
DETAILS = "notes details.csv"
DELETED_FOLDER = "recently deleted"
#: Largest note text read (a note is text; attachments are separate files).
MAX_NOTE = 16 << 20


def _root(entry: Entry) -> str:
    """The path of the ``iCloud Notes…`` folder an entry is under (``""`` when none)."""
    parts = entry.path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower().startswith(NOTES_FOLDER):
            return "/".join(parts[: i + 1])
    return ""


class IcloudNotesArtifact(_ExportArtifact):
    """iCloud Notes: the text of each note, its folder, modification date and deleted/locked state."""

    kind = "icloud-notes"
    title = "Notes (iCloud)"
    record = Note
    view = "cards"
    formats = ("txt",)
    files = (FileSpec(EXPORT_DOMAIN, "*.txt"),)
    extensions = ("txt", "csv")

    def inputs(self, ctx: ScanContext) -> Iterator[Entry]:
        for entry in _files(ctx, *self.extensions):
            if _under(entry, NOTES_FOLDER) and (entry.name.lower().endswith(".txt") or entry.name.lower() == DETAILS):
                yield entry

    def check(self, ctx: ScanContext) -> None:
        if next(self.inputs(ctx), None) is None:
            raise NothingFound("no iCloud Notes folder in this source")

    def extract(self, ctx: ScanContext) -> Iterator[Note]:
        texts: list[Entry] = []
        details: dict[str, dict[str, dict[str, str]]] = {}  # notes root → fileName → row
        locked: list[tuple[Entry, dict[str, str]]] = []
        for entry in self.inputs(ctx):
            if entry.name.lower() != DETAILS:
                texts.append(entry)
                continue
            rows = details.setdefault(_root(entry), {})
            with ctx.fs.open(entry) as stream:
                for row in formats.read_csv_rows(stream):
                    if row.get("fileName"):
                        rows[row["fileName"]] = row
                    elif row.get("noteId"):
                        locked.append((entry, row))
        for entry in texts:
            root = _root(entry)
            rel = entry.path[len(root) + 1:] if root else entry.path
            row = details.get(root, {}).get(rel, {})
            if entry.size is not None and entry.size > MAX_NOTE:
                ctx.warn(f"{entry.domain}/{entry.path}: note text over {MAX_NOTE >> 20} MB, cut")
            with ctx.fs.open(entry) as stream:
                text = stream.read(MAX_NOTE).decode("utf-8", "replace")
            yield self._note(entry, row, text)
        for entry, row in locked:
            yield self._note(entry, row, "")

    @staticmethod
    def _note(entry: Entry, row: dict[str, str], text: str) -> Note:
        root = _root(entry)
        folder = row.get("folder") or (posixpath.basename(posixpath.dirname(entry.path)) if root and
                                       posixpath.dirname(entry.path) != root else "Notes")
        is_locked = formats.yes(row.get("locked"))
        title = row.get("title") or ("" if is_locked else entry.name.rsplit(".", 1)[0])
        modified = parse_iso(row.get("modified")) or (from_unix_time(entry.mtime) if entry.mtime and not is_locked
                                                  else None)
        deleted = formats.yes(row.get("deleted")) or folder.lower() == DELETED_FOLDER
        key = row.get("noteId") or hashlib.sha1(entry.path.encode()).hexdigest()[:16]
        body = text.strip()
        return Note(
            id=f"notes:icloud:{key}",
            date=modified,
            deleted=deleted,
            provenance=Provenance(area="app") if deleted else None,
            source=f"{entry.domain}/{entry.path}",
            title=title,
            folder=folder,
            account="iCloud",
            text=body,
            html="".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip()),
            snippet=" ".join(body.split())[:200],
            modified=modified,
            locked=is_locked,
            unlock_error="password-protected: iCloud does not give its text to the web" if is_locked else "",
            uid=row.get("noteId", ""),
        )
