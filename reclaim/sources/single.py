"""A single app folder or a single database file, placed where iOS keeps it.

People often have only part of a phone: a WeChat ``Documents`` folder exported by
another tool, an app container (with its ``.com.apple.mobile_container_manager.metadata.plist``)
or one ``sms.db``. reclaim gives them the domain and path the full backup would have,
so the same artifact code reads them:

* an app container → ``AppDomain-<id>`` (``AppDomainGroup-<id>`` for ``group.`` ids), paths as-is;
* a WeChat ``Documents`` folder (``<32 hex>/DB/MM.sqlite``) → ``AppDomain-com.tencent.xin``, ``Documents/…``;
* a known database (:data:`KNOWN_DATABASES`) → its usual (domain, path), with its ``-wal``/``-journal``;
* anything else recognisable as app data → ``UnknownDomain`` with the paths found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import NotASource
from reclaim.sources import domains
from reclaim.sources.filesystem import FileSystemSource, FolderStorage
from reclaim.sqlite.headless import has_database_pages
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS

UNKNOWN_DOMAIN = "UnknownDomain"
WECHAT = "com.tencent.xin"
_HEX32 = re.compile(r"^[0-9a-f]{32}$")

#: File name → (domain, path) where iOS keeps it.
KNOWN_DATABASES: dict[str, tuple[str, str]] = {
    "sms.db": ("HomeDomain", "Library/SMS/sms.db"),
    "AddressBook.sqlitedb": ("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb"),
    "AddressBookImages.sqlitedb": ("HomeDomain", "Library/AddressBook/AddressBookImages.sqlitedb"),
    "CallHistory.storedata": ("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata"),
    "call_history.db": ("WirelessDomain", "Library/CallHistory/call_history.db"),
    "Calendar.sqlitedb": ("HomeDomain", "Library/Calendar/Calendar.sqlitedb"),
    "voicemail.db": ("HomeDomain", "Library/Voicemail/voicemail.db"),
    "notes.sqlite": ("HomeDomain", "Library/Notes/notes.sqlite"),
    "NoteStore.sqlite": ("AppDomainGroup-group.com.apple.notes", "NoteStore.sqlite"),
    "Photos.sqlite": ("CameraRollDomain", "Media/PhotoData/Photos.sqlite"),
    "History.db": ("AppDomain-com.apple.mobilesafari", "Library/Safari/History.db"),
    "Bookmarks.db": ("HomeDomain", "Library/Safari/Bookmarks.db"),
    "ChatStorage.sqlite": ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite"),
    "ContactsV2.sqlite": ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ContactsV2.sqlite"),
    "Recordings.db": ("MediaDomain", "Media/Recordings/Recordings.db"),
    "CloudRecordings.db": ("MediaDomain", "Media/Recordings/CloudRecordings.db"),
    "healthdb_secure.sqlite": ("HealthDomain", "Health/healthdb_secure.sqlite"),
    "keychain-backup.plist": ("KeychainDomain", "keychain-backup.plist"),
}
_SIDECARS = ("-wal", "-journal", "-shm")


def _is_wechat_documents(folder: Path) -> bool:
    try:
        children = list(os.scandir(folder))
    except OSError:
        return False
    for child in children:
        if child.is_dir(follow_symlinks=False) and _HEX32.match(child.name) and (Path(child.path) / "DB").is_dir():
            return True
    return any(c.name == "MMappedKV" for c in children)


def classify_folder(folder: Path) -> tuple[str, str] | None:
    """(domain, path prefix) for an app folder, or ``None`` if it does not look like one."""
    meta = folder / domains.CONTAINER_METADATA
    if meta.is_file():
        ident = domains.metadata_identifier(meta.read_bytes())
        if ident:
            return ("AppDomainGroup-" if ident.startswith("group.") else "AppDomain-") + ident, ""
    if _is_wechat_documents(folder):
        return f"AppDomain-{WECHAT}", "Documents"
    if (folder / "Documents").is_dir() and _is_wechat_documents(folder / "Documents"):
        return f"AppDomain-{WECHAT}", ""
    storage = FolderStorage(folder)
    for container_folder, prefix in (
        ("mobile/Containers/Data/Application", "AppDomain-"),
        ("mobile/Containers/Shared/AppGroup", "AppDomainGroup-"),
    ):
        ident = domains.guess_identifier(container_folder, storage.names_under(""))
        if ident:
            return prefix + ident, ""
    if (folder / "Documents").is_dir() or (folder / "Library").is_dir():
        return UNKNOWN_DOMAIN, ""
    return None


class AppFolderSource(FileSystemSource):
    """A folder whose content all belongs to one domain, under a path prefix."""

    def __init__(self, folder: Path, domain: str, prefix: str = "") -> None:
        super().__init__(FolderStorage(folder), folder)
        self.domain = domain
        self.prefix = prefix.strip("/")

    def map_name(self, name: str) -> tuple[str, str] | None:
        if not self.prefix:
            return self.domain, name
        return self.domain, f"{self.prefix}/{name}" if name else self.prefix

    @property
    def info(self) -> SourceInfo:
        apps = [self.domain.split("-", 1)[1]] if "-" in self.domain else []
        return SourceInfo(kind="app-folder", apps=apps, extra={"domain": self.domain})


class SingleFileSource(VirtualFS):
    """One database (or plist) file and its SQLite sidecars, at its usual place in a backup."""

    def __init__(self, path: Path) -> None:
        self.location = path
        self.name = path.name
        domain, rel = KNOWN_DATABASES.get(path.name, (UNKNOWN_DOMAIN, path.name))
        self.domain = domain
        self._files: dict[str, Path] = {rel: path}
        for suffix in _SIDECARS:
            side = path.with_name(path.name + suffix)
            if side.is_file():
                self._files[rel + suffix] = side

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(kind="database", extra={"domain": self.domain})

    def _entry(self, rel: str, path: Path) -> Entry:
        st = path.stat()
        return Entry(
            domain=self.domain,
            path=rel,
            kind=EntryKind.FILE,
            size=st.st_size,
            mtime=int(st.st_mtime),
            file_id=path.name,
            mode=st.st_mode,
        )

    def entries(self) -> Iterator[Entry]:
        for rel, path in self._files.items():
            yield self._entry(rel, path)

    def get(self, domain: str, path: str) -> Entry | None:
        if domain != self.domain or path not in self._files:
            return None
        return self._entry(path, self._files[path])

    def open(self, entry: Entry) -> BinaryIO:
        if entry.domain != self.domain or entry.path not in self._files:
            raise FileNotFoundError(f"{entry.domain}/{entry.path}")
        return open(self._files[entry.path], "rb")

    def local_path(self, entry: Entry) -> Path | None:
        return Path(self._files[entry.path]) if entry.domain == self.domain and entry.path in self._files else None


def looks_like_data_file(path: Path) -> bool:
    """Whether a lone file is something reclaim can read: SQLite, a plist, or a known name."""
    if path.name in KNOWN_DATABASES:
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return head.startswith((b"SQLite format 3\x00", b"bplist0", b"<?xml")) or has_database_pages(path)


def open_app_folder(folder: Path) -> AppFolderSource:
    """An app folder as a source (raises :class:`NotASource` if it is not one)."""
    found = classify_folder(folder)
    if found is None:
        raise NotASource(
            "not a backup, a file-system extraction or an app folder (no Manifest.db, private/var, "
            "container metadata or Documents/Library)",
            folder,
        )
    return AppFolderSource(folder, *found)
