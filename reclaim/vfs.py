"""The read-only virtual file system every source becomes.

A backup, a full file-system extraction, a zip, a device or an iCloud export all
look the same to the rest of reclaim: a set of :class:`Entry` objects addressed by
``(domain, path)`` (as in an iTunes backup's Manifest.db), whose bytes are read
through :meth:`VirtualFS.open`, a stream that decrypts on the fly where needed.
Nothing here can write to the source.
"""

from __future__ import annotations

import contextlib
import fnmatch
import shutil
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

COPY_CHUNK = 1 << 20


class EntryKind(StrEnum):
    """What an entry is: a regular file, a directory or a symbolic link."""

    FILE = "file"
    DIR = "dir"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file, directory or link of a source, addressed as in a backup manifest.

    ``path`` is relative to the domain, '/'-separated, without a leading slash.
    ``file_id`` is the backup's hashed file name, or the source's own locator.
    ``mtime`` and ``birth`` are Unix seconds (UTC) when known.
    """

    domain: str
    path: str
    kind: EntryKind
    size: int = 0
    mtime: int | None = None
    file_id: str = ""
    mode: int | None = None
    birth: int | None = None
    target: str | None = None  # link target for links
    protection_class: int | None = None
    encryption_key: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The last component of the path."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_file(self) -> bool:
        return self.kind is EntryKind.FILE

    def to_json(self) -> dict[str, object]:
        """A JSON-ready summary, as printed by ``reclaim files --json``."""
        return {
            "domain": self.domain,
            "path": self.path,
            "size": self.size,
            "mtime": self.mtime,
            "kind": self.kind.value,
            "file_id": self.file_id,
        }


@dataclass(slots=True)
class SourceInfo:
    """What is known about the device a source came from (all optional)."""

    kind: str = ""  # "itunes-backup", "filesystem", "zip", "tar", "app-folder", "database", ...
    device_name: str | None = None
    product_type: str | None = None
    product_version: str | None = None
    build_version: str | None = None
    serial_number: str | None = None
    udid: str | None = None
    phone_number: str | None = None
    imei: str | None = None
    backup_date: str | None = None  # ISO 8601 UTC
    encrypted: bool = False
    apps: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    #: What is wrong with the source as a whole, in words a user can read (a damaged index of its files, ...).
    warnings: list[str] = field(default_factory=list)


def matches(entry: Entry, domain: str | None = None, path: str | None = None) -> bool:
    """Whether an entry matches a domain glob and a path glob (``None`` matches all)."""
    if domain is not None and not fnmatch.fnmatchcase(entry.domain, domain):
        return False
    return path is None or fnmatch.fnmatchcase(entry.path, path)


class VirtualFS(ABC):
    """A read-only view of a source as (domain, path) entries with streaming reads."""

    #: A short human name of the source (a folder name, a device name).
    name: str = ""
    #: The place on disk the source was opened from, when there is one.
    location: Path | None = None

    @property
    @abstractmethod
    def info(self) -> SourceInfo:
        """Device and source metadata."""

    def damage_found(self) -> list[str]:
        """What was found wrong with the source as a whole while it was read (a damaged page deep in a backup's
        index, met only by a read that reached it): the warnings :attr:`info` did not give when it was asked
        for first. Cheap to ask, unlike :attr:`info`."""
        return []

    @abstractmethod
    def entries(self) -> Iterator[Entry]:
        """Every entry, streamed (a real manifest can hold over a million rows)."""

    @abstractmethod
    def get(self, domain: str, path: str) -> Entry | None:
        """The entry at exactly (domain, path), or ``None``."""

    @abstractmethod
    def open(self, entry: Entry) -> BinaryIO:
        """A binary stream of the entry's (decrypted) content."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release open handles and temporary files."""

    def opener(self) -> Callable[[Entry], BinaryIO] | None:
        """A picklable callable that opens this source's entries in another process, if possible.

        ``extract`` uses it to spread decryption over several cores; ``None`` means
        "use :meth:`open` in this process".
        """
        return None

    def reopener(self) -> Callable[[], VirtualFS] | None:
        """A picklable callable that opens this same source again in another process, if it can be.

        The scan uses it to extract some kinds in a second process. It may hold an encrypted backup's
        derived key: it travels through a pipe, never on a command line. ``None``: the source cannot be
        opened twice (a device) or not cheaply (an archive).
        """
        return None

    def __enter__(self) -> VirtualFS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Conveniences shared by every source -------------------------------------------------

    def find(self, domain: str | None = None, path: str | None = None) -> Iterator[Entry]:
        """Entries whose domain and path match the given globs."""
        for entry in self.entries():
            if matches(entry, domain, path):
                yield entry

    def files(self, domain: str | None = None, path: str | None = None) -> Iterator[Entry]:
        """Like :meth:`find`, regular files only."""
        return (e for e in self.find(domain, path) if e.kind is EntryKind.FILE)

    def domains(self) -> list[str]:
        """Distinct domains, sorted."""
        return sorted({e.domain for e in self.entries()})

    def local_path(self, entry: Entry) -> Path | None:
        """Where an entry's content lies on this machine as it is (not encrypted, not in an archive),
        for readers that can open it in place without writing (``None``: it must be copied first)."""
        return None

    def read_bytes(self, entry: Entry) -> bytes:
        """The whole content: only for files known to be small (plists, thumbnails)."""
        with self.open(entry) as stream:
            return stream.read()

    def copy_to(self, entry: Entry, target: Path) -> None:
        """Stream an entry's content into a local file (the caller chooses the name)."""
        with self.open(entry) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, COPY_CHUNK)

    @contextlib.contextmanager
    def local_copy(self, entries: Iterable[Entry]) -> Iterator[list[Path]]:
        """Temporary local copies of entries (same base names), removed afterwards."""
        with tempfile.TemporaryDirectory(prefix="reclaim-") as tmp:
            paths = []
            for entry in entries:
                target = Path(tmp) / entry.name
                self.copy_to(entry, target)
                paths.append(target)
            yield paths

    @contextlib.contextmanager
    def local_file(self, entry: Entry) -> Iterator[Path]:
        """The entry as a file on this machine, to read only: the source's own file when it keeps one
        (:meth:`local_path`), else a temporary copy removed afterwards."""
        path = self.local_path(entry)
        if path is not None:
            yield path
            return
        with self.local_copy([entry]) as (copy,):
            yield copy

    def sidecars(self, entry: Entry) -> list[Entry]:
        """The ``-wal`` and ``-journal`` files that belong to a database entry.

        ``-shm`` is left out on purpose: SQLite rebuilds it, and a stale one misleads it.
        """
        found = []
        for suffix in ("-wal", "-journal"):
            side = self.get(entry.domain, entry.path + suffix)
            if side is not None and side.is_file:
                found.append(side)
        return found

    @contextlib.contextmanager
    def sqlite(self, domain: str, path: str) -> Iterator[sqlite3.Connection]:
        """A read-only SQLite connection to a database of the source, WAL included.

        The database and its ``-wal``/``-journal`` are copied to a temporary folder
        first, so SQLite may replay the WAL there without ever touching the source.
        """
        entry = self.get(domain, path)
        if entry is None or not entry.is_file:
            raise FileNotFoundError(f"{domain}/{path}")
        with self.sqlite_entry(entry) as conn:
            yield conn

    @contextlib.contextmanager
    def sqlite_entry(self, entry: Entry) -> Iterator[sqlite3.Connection]:
        """Like :meth:`sqlite`, for an entry already looked up."""
        with self.local_copy([entry, *self.sidecars(entry)]) as paths:
            yield open_sqlite_copy(paths[0])


def open_sqlite_copy(path: Path) -> sqlite3.Connection:
    """Open a private copy of a database; its WAL (if any) is replayed into the copy."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=1")
    return conn
