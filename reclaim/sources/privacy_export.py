"""Apple's Data & Privacy export (privacy.apple.com, "Request a copy of your data") as a source.

Apple delivers the iCloud part of the export as zip files, the big categories split into
parts (``iCloud Photos Part 1 of 3.zip`` …): photos and videos in their original format
with ``Photo Details.csv`` and ``Albums/<name>.csv``, contacts as vCards, calendars and
reminders as iCalendar files, notes as text/HTML files with their attachments, iCloud
Drive as the files themselves. The layout is documented (with its uncertainties) in
``docs/icloud.md``; the readers in :mod:`reclaim.artifacts.icloud_export` go by file
type and folder names rather than by exact paths, so small layout changes do not break them.

:class:`PrivacyExport` shows the downloaded folder, a single zip (its sibling parts are
picked up), or any mix of zips and unpacked folders, as one read-only source whose
files all live in the :data:`EXPORT_DOMAIN` domain. Zip members are untrusted: names
that would escape (``..``, absolute paths) are dropped, and members whose declared
size or compression ratio is implausible (zip bombs) are refused.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import NotASource
from reclaim.sources.members import open_zip_member
from reclaim.sources.zip_salvage import BAD_DIRECTORY, close_zip, member_names, open_zip, starts_like_a_zip
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS

#: The domain every file of an export (or of an ``reclaim icloud download`` folder) is in.
EXPORT_DOMAIN = "iCloudExport"
#: Largest member accepted from a zip (iCloud Drive can hold long videos).
MAX_MEMBER = 64 << 30
#: Largest total of declared sizes accepted from one zip.
MAX_TOTAL = 1 << 40
#: Highest compression ratio accepted for members above :data:`RATIO_FLOOR` bytes.
MAX_RATIO = 200
RATIO_FLOOR = 16 << 20

_PART = re.compile(r"^(?P<stem>.+?) Part (?P<n>\d+) of (?P<total>\d+)\.zip$", re.IGNORECASE)
#: Folder and file names that only an Apple iCloud export (or reclaim's own download) has.
_MARKERS = re.compile(
    r"(^|/)(iCloud (Photos|Photo Library|Contacts|Calendars|Reminders|Notes|Drive|Bookmarks|Mail)[^/]*"
    r"|Photo Details(-\d+)?\.csv)(/|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Member:
    container: Path  # the zip, or the folder
    name: str  # member name inside the zip, or path relative to the folder
    size: int
    mtime: int | None


def _clean(name: str) -> str | None:
    """A safe relative '/'-path, or ``None`` for names that would escape or mean nothing."""
    name = name.replace("\\", "/")
    if name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or ":" in parts[0] or any("\x00" in p for p in parts):
        return None
    if parts[0] in {"__MACOSX"} or parts[-1] in {".DS_Store"}:
        return None
    return "/".join(parts)


def looks_like_export(path: Path) -> bool:
    """Whether ``path`` (a zip or a folder) is an Apple privacy export, judged by its names only."""
    try:
        if path.is_file():
            if _PART.match(path.name) and path.name.lower().startswith("icloud"):
                return True
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()[:2000]
            elif starts_like_a_zip(path):  # cut short: its first members' own headers
                names = member_names(path, 2000)
            else:
                return False
            return any(_MARKERS.search(name) for name in names)
        if path.is_dir():
            for count, child in enumerate(sorted(path.iterdir())):
                if count > 500:
                    break
                if _MARKERS.search(child.name + ("/" if child.is_dir() else "")):
                    return True
                if child.suffix.lower() == ".zip" and child.is_file() and looks_like_export(child):
                    return True
    except (OSError, *BAD_DIRECTORY):
        return False
    return False


def export_parts(path: Path) -> list[Path]:
    """The zips and folders that make up the export at ``path`` (a zip's sibling parts included)."""
    if path.is_dir():
        zips = [c for c in sorted(path.iterdir())
                if c.is_file() and c.suffix.lower() == ".zip" and looks_like_export(c)]
        stems = {z.stem for z in zips}
        unpacked = [c for c in sorted(path.iterdir())
                    if c.is_dir() and c.name not in stems and _MARKERS.search(c.name + "/")]
        if not zips:
            return [path]
        return zips + unpacked
    match = _PART.match(path.name)
    if match is None:
        return [path]
    stem, total = match.group("stem"), match.group("total")
    siblings = [p for p in sorted(path.parent.iterdir())
                if (m := _PART.match(p.name)) and m.group("stem") == stem and m.group("total") == total]
    return siblings or [path]


def open_privacy_export(path: str | Path) -> PrivacyExport:
    """Open an export (folder, or one of its zips) as a source; raises :class:`NotASource` if it is not one."""
    path = Path(path).expanduser()
    if not looks_like_export(path):
        raise NotASource("not an Apple Data & Privacy export", path)
    return PrivacyExport(export_parts(path), location=path)


class PrivacyExport(VirtualFS):
    """An export's files as ``(iCloudExport, path)`` entries, read in place from zips and folders."""

    source_kind = "icloud-export"

    def __init__(self, parts: list[Path], *, location: Path | None = None, name: str | None = None) -> None:
        self.location = location or (parts[0] if parts else None)
        self.name = name or (self.location.name if self.location else "iCloud export")
        self._zips: dict[Path, zipfile.ZipFile] = {}
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._members: dict[str, _Member] = {}
        self.skipped: list[str] = []  # members refused (unsafe names, implausible sizes)
        self.damage: list[str] = []  # parts cut short
        for part in parts:
            if part.is_dir():
                self._add_folder(part)
            else:
                self._add_zip(part)
        self._add_dirs()

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(kind=self.source_kind, extra={"parts": len({m.container for m in self._members.values()})},
                          warnings=self.damage_found())

    def damage_found(self) -> list[str]:
        """The export's zips that were cut short (found when they were opened)."""
        return list(self.damage)

    # -- building the index ---------------------------------------------------------------------

    def _add(self, rel: str, member: _Member) -> None:
        if rel in self._members:  # the same path in two parts: keep both, the second under its part's name
            rel = f"{member.container.stem}/{rel}"
            if rel in self._members:
                return
        self._members[rel] = member
        self._entries[rel] = Entry(EXPORT_DOMAIN, rel, EntryKind.FILE, size=member.size, mtime=member.mtime,
                                   file_id=f"{member.container.name}:{member.name}")

    def _add_folder(self, root: Path) -> None:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not Path(folder, d).is_symlink())
            for file in sorted(files):
                full = Path(folder, file)
                if full.is_symlink() or not full.is_file():
                    continue
                rel = _clean(full.relative_to(root).as_posix())
                if rel is None:
                    continue
                st = full.stat()
                self._add(rel, _Member(root, full.relative_to(root).as_posix(), st.st_size, int(st.st_mtime)))

    def _add_zip(self, path: Path) -> None:
        archive, damage = open_zip(path)
        if damage:
            self.damage.append(damage)
        self._zips[path] = archive
        stem = path.stem
        total = 0
        for info in archive.infolist():
            if info.is_dir():
                continue
            rel = _clean(info.filename)
            if rel is None:
                self.skipped.append(f"{path.name}:{info.filename} (unsafe name)")
                continue
            total += info.file_size
            if info.file_size > MAX_MEMBER or total > MAX_TOTAL or (
                info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size)
            ):
                self.skipped.append(f"{path.name}:{info.filename} (implausible size: possible zip bomb)")
                continue
            if not rel.startswith(stem + "/") and _PART.match(path.name):
                rel = f"{stem}/{rel}"
            self._add(rel, _Member(path, info.filename, info.file_size, _zip_mtime(info)))

    def _add_dirs(self) -> None:
        dirs = set()
        for rel in list(self._entries):
            parts = rel.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for rel in sorted(dirs):
            self._entries.setdefault(rel, Entry(EXPORT_DOMAIN, rel, EntryKind.DIR))

    # -- VirtualFS ------------------------------------------------------------------------------

    def entries(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))

    def get(self, domain: str, path: str) -> Entry | None:
        return self._entries.get(path) if domain == EXPORT_DOMAIN else None

    def open(self, entry: Entry) -> BinaryIO:
        member = self._members.get(entry.path)
        if member is None or entry.domain != EXPORT_DOMAIN:
            raise FileNotFoundError(f"{entry.domain}/{entry.path}")
        archive = self._zips.get(member.container)
        if archive is None:
            return open(member.container / member.name, "rb")
        with self._lock:  # (zipfile stops at the declared size and checks the CRC: damage is one clear error)
            return open_zip_member(archive, member.name, f"{member.container.name}: {member.name}")

    def close(self) -> None:
        for archive in self._zips.values():
            close_zip(archive)
        self._zips.clear()


def _zip_mtime(info: zipfile.ZipInfo) -> int | None:
    import calendar

    try:
        return calendar.timegm((*info.date_time, 0, 0, 0))
    except (OverflowError, ValueError):
        return None
