"""Deciding what a path is and opening it as a :class:`~reclaim.vfs.VirtualFS`.

Order of checks for a folder: a backup; a folder of backups (one → opened, several →
:class:`~reclaim.sources.errors.MultipleBackups`); a full file-system extraction
(``private/var`` or a dumped data partition within three levels); an app folder.
For a file: a zip/tar extraction; a backup's own Manifest.db/Info.plist (→ its folder);
a single database or plist.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reclaim.errors import CorruptFile, NotASource
from reclaim.sources.discovery import backups_in
from reclaim.sources.errors import MultipleBackups
from reclaim.sources.filesystem import find_var_root, is_archive, open_archive, open_folder
from reclaim.sources.icloud_download import is_icloud_download, open_icloud_download
from reclaim.sources.itunes import ITunesBackup, is_backup_dir
from reclaim.sources.privacy_export import looks_like_export, open_privacy_export
from reclaim.sources.single import SingleFileSource, looks_like_data_file, open_app_folder
from reclaim.vfs import VirtualFS

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BACKUP_FILES = {"Manifest.db", "Manifest.mbdb", "Manifest.plist", "Info.plist", "Status.plist"}


def detect_kind(path: Path) -> str:
    """A short name of what ``path`` is: 'itunes-backup', 'backup-folder', 'filesystem',
    'archive', 'icloud-export', 'icloud-download', 'app-folder', 'database' (raises :class:`NotASource` otherwise)."""
    if not path.exists():
        raise NotASource("no such file or folder", path)
    if path.is_dir():
        if is_backup_dir(path):
            return "itunes-backup"
        if backups_in(path) or ((path / "Backup").is_dir() and backups_in(path / "Backup")):
            return "backup-folder"
        if find_var_root(path) is not None:
            return "filesystem"
        if is_icloud_download(path):
            return "icloud-download"
        if looks_like_export(path):
            return "icloud-export"
        return "app-folder"
    if looks_like_export(path):
        return "icloud-export"
    if is_archive(path):
        return "archive"
    if path.name in _BACKUP_FILES and is_backup_dir(path.parent):
        return "itunes-backup-file"
    if looks_like_data_file(path):
        return "database"
    raise NotASource("not a backup, an extraction archive or a database reclaim can read", path)


def check_database_length(path: Path) -> None:
    """Raise :class:`CorruptFile` for an SQLite file cut short before the end of its first page.

    The first page holds the schema: without all of it no table can be found, so there is
    nothing to read (a longer truncated file still yields its readable pages).
    """
    with open(path, "rb") as handle:
        head = handle.read(100)
    if not head.startswith(_SQLITE_MAGIC):
        return
    if len(head) < 100:
        raise CorruptFile(f"truncated SQLite database ({len(head)} bytes, shorter than its 100-byte header)", path)
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    size = path.stat().st_size
    if size < page_size:
        raise CorruptFile(
            f"truncated SQLite database ({size:,} bytes, shorter than its first {page_size:,}-byte page)", path
        )


def open_source(
    path: str | Path,
    *,
    password: str | None = None,
    password_provider: Callable[[str], str] | None = None,
    derived_key: bytes | None = None,
) -> VirtualFS:
    """Open any supported source read-only as a :class:`~reclaim.vfs.VirtualFS`.

    ``password_provider(backup_name)`` is called only when the backup is encrypted and
    no ``password``/``derived_key`` was given; it returns the password or raises
    :class:`~reclaim.errors.PasswordRequired`. Encrypted sources expose
    ``derived_key`` so callers can skip the slow derivation next time.
    """
    path = Path(path).expanduser()
    kind = detect_kind(path)
    unlock = {"password": password, "password_provider": password_provider, "derived_key": derived_key}
    if kind == "itunes-backup":
        return ITunesBackup(path, **unlock)
    if kind == "itunes-backup-file":
        return ITunesBackup(path.parent, **unlock)
    if kind == "backup-folder":
        candidates = backups_in(path) or backups_in(path / "Backup")
        if len(candidates) == 1:
            return ITunesBackup(candidates[0], **unlock)
        raise MultipleBackups(path, candidates)
    if kind == "filesystem":
        return open_folder(path)
    if kind == "archive":
        return open_archive(path)
    if kind == "icloud-export":
        return open_privacy_export(path)
    if kind == "icloud-download":
        return open_icloud_download(path)
    if kind == "app-folder":
        return open_app_folder(path)
    check_database_length(path)
    return SingleFileSource(path)
