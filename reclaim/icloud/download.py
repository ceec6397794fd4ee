"""``reclaim icloud download``: iCloud Photos (and Drive) into a folder laid out like Apple's export.

Notes, Reminders, Contacts and Calendars are in :mod:`reclaim.icloud.pim`.

The folder mirrors the Data & Privacy export (``iCloud Photos/Photos/<files>``,
``iCloud Photos/Photo Details.csv``, ``iCloud Photos/Albums/<album>.csv``,
``iCloud Drive/<folders>``) plus ``reclaim-icloud.json``, so
:mod:`reclaim.sources.icloud_download` and the export readers turn it into the same
records. Downloads stream to a temporary name and are renamed when complete; a rerun
skips every file already complete, so an interrupted download simply continues.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reclaim.errors import ReclaimError
from reclaim.icloud.formats import PHOTO_DETAILS_COLUMNS, format_photo_date
from reclaim.output import atomic_write_text, atomic_writer, safe_join

MARKER = "reclaim-icloud.json"
PHOTOS_DIR = "iCloud Photos"
DRIVE_DIR = "iCloud Drive"
#: Smart albums that are flags of a photo, not albums a person made.
SMART_FLAGS = {"Favorites": "favorite", "Hidden": "hidden", "Recently Deleted": "deleted"}
SMART_ALBUMS = {"Library", "All Photos", "Bursts", "Live", "Panoramas", "Screenshots", "Slo-mo", "Time-lapse",
                "Videos", "Recently Added", "Portrait", "Long Exposure", "Animated", "Selfies"}
CHUNK = 1 << 20


class IcloudError(ReclaimError):
    """Something iCloud refused or could not give, in one line."""


@dataclass
class DownloadReport:
    """What a download fetched."""

    folder: Path
    photos: int = 0
    skipped: int = 0  # already complete from an earlier run
    missing: int = 0  # listed by iCloud without a downloadable original
    bytes: int = 0
    albums: list[str] = field(default_factory=list)
    drive_files: int = 0
    notes: int = 0
    notes_locked: int = 0  # password-protected: listed, their text unreadable
    reminders: int = 0
    reminders_deleted: int = 0
    reminder_lists: list[str] = field(default_factory=list)
    events: int = 0
    calendars: list[str] = field(default_factory=list)
    contacts: int = 0
    unchanged: int = 0  # files a rerun found already holding the same content
    warnings: list[str] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (what, items so far, bytes so far)


def _name(asset: Any, used: dict[str, str]) -> str:
    """A unique file name for an asset (two assets may share IMG_0001.JPG)."""
    name = str(asset.filename or f"{asset.id}.bin")
    if used.get(name, asset.id) != asset.id:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem or name}-{hashlib.sha1(str(asset.id).encode()).hexdigest()[:8]}{dot}{ext if stem else ''}"
    used[name] = asset.id
    return name


def _stream_to(session: Any, url: str, target: Path, size: int | None, report: DownloadReport) -> None:
    """Stream a URL into ``target`` through pyicloud's session (authenticated), atomically."""
    response = session.get(url, stream=True)
    if getattr(response, "status_code", 200) >= 400:
        raise IcloudError(f"iCloud refused the download of {target.name} (HTTP {response.status_code})")
    written = 0
    with atomic_writer(target) as out:
        for chunk in response.iter_content(CHUNK):
            out.write(chunk)
            written += len(chunk)
    if size is not None and size and written != size:
        target.unlink(missing_ok=True)
        raise IcloudError(f"{target.name}: got {written} bytes, iCloud announced {size}")
    report.bytes += written


def _complete(target: Path, size: int | None) -> bool:
    return target.is_file() and (not size or target.stat().st_size == size)


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def open_photos(factory: Callable[[], Any]) -> Any:
    """pyicloud's Photos service (``lambda: api.photos``), with its "still indexing" refusal explained."""
    from pyicloud.exceptions import PyiCloudServiceNotActivatedException

    try:
        return factory()
    except PyiCloudServiceNotActivatedException as exc:
        raise IcloudError("iCloud Photos is still preparing this library; try again in a few minutes") from exc


def download_photos(photos: Any, out: Path, progress: Progress | None = None,
                    report: DownloadReport | None = None) -> DownloadReport:
    """Download the library's originals (with Live Photo videos), capture dates, flags and albums."""
    from pyicloud.exceptions import PyiCloudServiceNotActivatedException

    report = report or DownloadReport(folder=out)
    root = safe_join(out, PHOTOS_DIR)
    media = safe_join(root, "Photos")
    media.mkdir(parents=True, exist_ok=True)
    session = photos.session
    rows: dict[str, dict[str, str]] = {}
    used: dict[str, str] = {}
    names_by_id: dict[str, str] = {}
    try:
        library = photos.all
        albums = list(photos.albums)
    except PyiCloudServiceNotActivatedException as exc:
        raise IcloudError("iCloud Photos is still preparing this library; try again in a few minutes") from exc

    def fetch(asset: Any, flags: dict[str, str]) -> None:
        name = names_by_id.get(asset.id) or _name(asset, used)
        names_by_id[asset.id] = name
        row = rows.setdefault(name, _row(asset, name))
        row.update(flags)
        if row.get("_done"):
            return
        row["_done"] = "1"
        for version, suffix in (("original", ""), ("original_video", ".MOV")):
            url = asset.download_url(version)
            if url is None:
                if version == "original":
                    report.missing += 1
                    report.warnings.append(f"{name}: iCloud lists it without a downloadable original")
                continue
            file_name = name if not suffix else name.rsplit(".", 1)[0] + suffix
            target = safe_join(media, file_name)
            size = asset.versions.get(version, {}).get("size")
            if _complete(target, size):
                report.skipped += version == "original"
                continue
            _stream_to(session, url, target, size, report)
            report.photos += version == "original"
        if progress is not None:
            progress("photos", report.photos + report.skipped, report.bytes)

    for asset in library:
        fetch(asset, {})
    memberships: dict[str, list[str]] = {}
    for album in albums:
        title = str(getattr(album, "name", "") or getattr(album, "title", ""))
        if title in SMART_FLAGS:
            for asset in album:
                fetch(asset, {SMART_FLAGS[title]: "yes"})
        elif title and title not in SMART_ALBUMS:
            memberships[title] = []
            for asset in album:
                fetch(asset, {})
                memberships[title].append(names_by_id[asset.id])
    _write_details(root, rows)
    for title, names in memberships.items():
        lines = ["Images", *names]
        text = "\r\n".join(_csv_cell(n) for n in lines) + "\r\n"
        atomic_write_text(safe_join(root, "Albums", f"{title}.csv"), text)
        report.albums.append(title)
    _write_marker(out, "photos")
    return report


def _row(asset: Any, name: str) -> dict[str, str]:
    taken, added = _iso(asset.asset_date), _iso(asset.added_date)
    return {"imgName": name, "fileChecksum": str(asset.id), "favorite": "no", "hidden": "no", "deleted": "no",
            "originalCreationDate": format_photo_date(taken) if taken else "", "viewCount": "",
            "importDate": format_photo_date(added) if added else ""}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _write_details(root: Path, rows: dict[str, dict[str, str]]) -> None:
    with atomic_writer(safe_join(root, "Photo Details.csv"), "w") as handle:  # type: ignore[arg-type]
        writer = csv.DictWriter(handle, fieldnames=list(PHOTO_DETAILS_COLUMNS), extrasaction="ignore",
                                lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows.values())


def download_drive(drive: Any, out: Path, progress: Progress | None = None,
                   report: DownloadReport | None = None) -> DownloadReport:
    """Copy every file of iCloud Drive into ``out/iCloud Drive``, keeping folders and skipping complete files."""
    report = report or DownloadReport(folder=out)
    root = safe_join(out, DRIVE_DIR)
    root.mkdir(parents=True, exist_ok=True)
    pending: list[tuple[Any, list[str]]] = [(drive.root, [])]
    while pending:
        node, parts = pending.pop()
        for name in sorted(node.dir() or []):
            child = node[name]
            if getattr(child, "type", "") in {"folder", "app_library"}:
                pending.append((child, [*parts, name]))
                continue
            target = safe_join(root, *parts, name)
            size = getattr(child, "size", None)
            if _complete(target, size):
                report.skipped += 1
                continue
            with child.open(stream=True) as response, atomic_writer(target) as handle:
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    report.bytes += len(chunk)
            modified = _iso(getattr(child, "date_modified", None))
            if modified is not None:
                import os

                os.utime(target, (modified.timestamp(), modified.timestamp()))
            report.drive_files += 1
            if progress is not None:
                progress("drive", report.drive_files, report.bytes)
    _write_marker(out, "drive")
    return report


def _write_marker(out: Path, part: str) -> None:
    """``reclaim-icloud.json``: what this folder holds and when it was fetched (tells the source what it is)."""
    marker = out / MARKER
    data: dict[str, Any] = {}
    if marker.is_file():
        try:
            data = json.loads(marker.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
    parts: Iterable[str] = data.get("parts", [])
    data.update(tool="reclaim icloud download", parts=sorted({*parts, part}),
                fetched=datetime.now(UTC).isoformat().replace("+00:00", "Z"), unix=int(time.time()))
    atomic_write_text(marker, json.dumps(data, indent=2))
