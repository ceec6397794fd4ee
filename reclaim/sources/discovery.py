"""Finding backups in the places iTunes, Finder and libimobiledevice put them.

* macOS: ``~/Library/Application Support/MobileSync/Backup``
* Windows: ``%APPDATA%\\Apple Computer\\MobileSync\\Backup`` and
  ``%USERPROFILE%\\Apple\\MobileSync\\Backup`` (Microsoft Store iTunes)
* Linux: ``~/.local/share/MobileSync/Backup`` (and ``$XDG_DATA_HOME``), as used by
  ``idevicebackup2`` wrappers
* plus every folder of ``RECLAIM_BACKUP_DIRS`` (``os.pathsep``-separated), searched first.
"""

from __future__ import annotations

import os
import plistlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reclaim.sources.itunes import is_backup_dir

ENV_VAR = "RECLAIM_BACKUP_DIRS"


def default_backup_dirs(env: dict[str, str] | None = None) -> list[Path]:
    """Folders that may hold backups, most specific first (existing or not)."""
    env = dict(os.environ) if env is None else env
    dirs: list[Path] = [Path(p).expanduser() for p in env.get(ENV_VAR, "").split(os.pathsep) if p]
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    dirs.append(home / "Library" / "Application Support" / "MobileSync" / "Backup")
    if env.get("APPDATA"):
        dirs.append(Path(env["APPDATA"]) / "Apple Computer" / "MobileSync" / "Backup")
    if env.get("USERPROFILE"):
        dirs.append(Path(env["USERPROFILE"]) / "Apple" / "MobileSync" / "Backup")
    xdg = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    dirs.append(xdg / "MobileSync" / "Backup")
    seen: set[Path] = set()
    unique = []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            unique.append(d)
    return unique


def backups_in(folder: Path) -> list[Path]:
    """Backups directly inside ``folder`` (or ``folder`` itself if it is one), sorted by name."""
    if is_backup_dir(folder):
        return [folder]
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []
    return [c for c in children if is_backup_dir(c)]


def unreadable_dirs(dirs: list[Path] | None = None) -> list[Path]:
    """The folders of ``dirs`` that exist but may not be listed (no permission), where backups may hide."""
    refused = []
    for folder in dirs if dirs is not None else default_backup_dirs():
        try:
            if folder.is_dir():
                next(os.scandir(folder), None)
        except PermissionError:
            refused.append(folder)
        except OSError:
            continue
    return refused


@dataclass(slots=True)
class BackupSummary:
    """What ``reclaim backups`` shows for one backup (read from its plists only: no password needed)."""

    path: Path
    device_name: str | None
    product_type: str | None
    product_version: str | None
    udid: str | None
    date: str | None
    encrypted: bool
    product_name: str | None = None  # the marketing name ("iPhone 13"), when Info.plist has it

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "device_name": self.device_name,
            "product_type": self.product_type,
            "product_name": self.product_name,
            "product_version": self.product_version,
            "udid": self.udid,
            "date": self.date,
            "encrypted": self.encrypted,
        }


def _plist(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            data = plistlib.load(handle)
        return data if isinstance(data, dict) else {}
    except Exception:
        return {}


def summarize(path: Path) -> BackupSummary:
    """A summary of one backup folder from Info.plist and Manifest.plist."""
    info = _plist(path / "Info.plist")
    manifest = _plist(path / "Manifest.plist")
    lockdown = manifest.get("Lockdown") if isinstance(manifest.get("Lockdown"), dict) else {}
    date = info.get("Last Backup Date") or manifest.get("Date")
    if isinstance(date, datetime):
        date = (date if date.tzinfo else date.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        date = date.replace("+00:00", "Z")
    return BackupSummary(
        path=path,
        device_name=info.get("Device Name") or lockdown.get("DeviceName"),
        product_type=info.get("Product Type") or lockdown.get("ProductType"),
        product_version=info.get("Product Version") or lockdown.get("ProductVersion"),
        udid=info.get("Unique Identifier") or lockdown.get("UniqueDeviceID") or path.name,
        date=date if isinstance(date, str) else None,
        encrypted=bool(manifest.get("IsEncrypted")),
        product_name=info.get("Product Name") if isinstance(info.get("Product Name"), str) else None,
    )


def find_backups(dirs: list[Path] | None = None) -> list[BackupSummary]:
    """Every backup in ``dirs`` (default: :func:`default_backup_dirs`)."""
    found: list[BackupSummary] = []
    seen: set[Path] = set()
    for folder in dirs if dirs is not None else default_backup_dirs():
        for backup in backups_in(folder):
            key = backup.resolve()
            if key not in seen:
                seen.add(key)
                found.append(summarize(backup))
    return found
