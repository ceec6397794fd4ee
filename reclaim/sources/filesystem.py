"""Full file-system extractions: a folder, a ``.zip`` or a ``.tar[.gz]`` holding ``private/var/…``.

Forensic tools (and iLEAPP's test data) store a phone's files under their real paths,
sometimes behind a prefix (``filesystem1/private/var/…``, ``/private/var/…``) or as a
dump of the data partition (``filesystem2/mobile/Library/…``). Every member is mapped
to a backup ``(domain, path)`` by :mod:`reclaim.sources.domains`; the original member
name is kept as the entry's ``file_id``. Nothing is ever extracted next to the source.
"""

from __future__ import annotations

import calendar
import functools
import os
import stat
import struct
import tarfile
import threading
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import CorruptFile, NotASource
from reclaim.sources import domains
from reclaim.sources.members import DAMAGED, MemberReader, open_zip_member
from reclaim.sources.zip_salvage import close_zip, is_zip, open_zip
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS


@dataclass(slots=True)
class Member:
    """One stored item of a folder or an archive, before domain mapping."""

    name: str  # '/'-separated, no leading slash
    kind: EntryKind
    size: int = 0
    mtime: int | None = None
    mode: int | None = None
    target: str | None = None


def _clean(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


class Storage(ABC):
    """Where the members live: a folder or an archive."""

    kind: str = ""

    @abstractmethod
    def members(self) -> Iterator[Member]:
        """Every member (directories included when the storage records them)."""

    @abstractmethod
    def member(self, name: str) -> Member | None:
        """The member called ``name`` (cleaned), or ``None``."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A binary stream of a file member."""

    @abstractmethod
    def names_under(self, prefix: str) -> Iterator[str]:
        """Names of file members under a folder (relative to it), for container signatures."""

    #: What is wrong with the storage as a whole (an archive cut short), for the source's warnings.
    damage: str | None = None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release handles."""


class FolderStorage(Storage):
    """An extraction unpacked into a folder (symbolic links are reported, never followed)."""

    kind = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)

    def _member_from_stat(self, name: str, st: os.stat_result, full: str) -> Member:
        if stat.S_ISLNK(st.st_mode):
            return Member(name, EntryKind.LINK, 0, int(st.st_mtime), st.st_mode, os.readlink(full))
        if stat.S_ISDIR(st.st_mode):
            return Member(name, EntryKind.DIR, 0, int(st.st_mtime), st.st_mode)
        return Member(name, EntryKind.FILE, st.st_size, int(st.st_mtime), st.st_mode)

    def members(self) -> Iterator[Member]:
        stack = [("", str(self.root))]
        while stack:
            rel, full = stack.pop()
            try:
                with os.scandir(full) as it:
                    items = sorted(it, key=lambda d: d.name)
            except OSError:
                continue
            subdirs = []
            for item in items:
                name = f"{rel}/{item.name}" if rel else item.name
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                member = self._member_from_stat(name, st, item.path)
                if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                    continue  # sockets, fifos, devices
                yield member
                if member.kind is EntryKind.DIR:
                    subdirs.append((name, item.path))
            stack.extend(reversed(subdirs))

    def _safe_full(self, name: str) -> str | None:
        name = _clean(name)
        if ".." in name.split("/"):
            return None
        full = os.path.join(self.root, name) if name else str(self.root)
        parent = os.path.realpath(os.path.dirname(full))
        if parent != self._real_root and not parent.startswith(self._real_root + os.sep):
            return None
        return full

    def member(self, name: str) -> Member | None:
        full = self._safe_full(name)
        if full is None:
            return None
        try:
            st = os.lstat(full)
        except OSError:
            return None
        return self._member_from_stat(_clean(name), st, full)

    def open(self, name: str) -> BinaryIO:
        full = self._safe_full(name)
        if full is None or os.path.islink(full):
            raise FileNotFoundError(name)
        return open(full, "rb")

    def local_path(self, name: str) -> Path | None:
        """The member's file on disk (``None`` for a link or a name outside the folder)."""
        full = self._safe_full(name)
        if full is None or os.path.islink(full) or not os.path.isfile(full):
            return None
        return Path(full)

    def names_under(self, prefix: str) -> Iterator[str]:
        full = self._safe_full(prefix)
        if full is None or not os.path.isdir(full):
            return
        for dirpath, dirnames, filenames in os.walk(full):
            dirnames.sort()
            rel = os.path.relpath(dirpath, full).replace(os.sep, "/")
            for f in sorted(filenames):
                yield f if rel == "." else f"{rel}/{f}"
            for d in dirnames:
                yield (d if rel == "." else f"{rel}/{d}") + "/"


def _zip_mtime(info: zipfile.ZipInfo) -> int | None:
    """The UTC mtime of a zip member: the 'UT' extra field when present, else the DOS time as UTC."""
    extra = info.extra
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        if tag == 0x5455 and size >= 5 and extra[i + 4] & 1:
            return struct.unpack_from("<i", extra, i + 5)[0]
        i += 4 + size
    try:
        return calendar.timegm((*info.date_time, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


class ZipStorage(Storage):
    """A ``.zip`` extraction (read through :mod:`zipfile`, members stream and seek)."""

    kind = "zip"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip, self.damage = open_zip(path)
        self._index: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            name = _clean(info.filename)
            if name:
                self._index.setdefault(name, info)
        self._lock = threading.Lock()

    def _member(self, name: str, info: zipfile.ZipInfo) -> Member:
        mode = (info.external_attr >> 16) or None
        mtime = _zip_mtime(info)
        if mode and stat.S_ISLNK(mode):
            with self._lock:
                try:
                    target = self._zip.read(info).decode("utf-8", "replace")
                except DAMAGED:
                    target = ""  # (a damaged link: listed, pointing nowhere)
            return Member(name, EntryKind.LINK, 0, mtime, mode, target)
        if info.is_dir():
            return Member(name, EntryKind.DIR, 0, mtime, mode)
        return Member(name, EntryKind.FILE, info.file_size, mtime, mode)

    def members(self) -> Iterator[Member]:
        for name, info in self._index.items():
            yield self._member(name, info)

    def member(self, name: str) -> Member | None:
        info = self._index.get(_clean(name))
        return self._member(_clean(name), info) if info is not None else None

    def open(self, name: str) -> BinaryIO:
        info = self._index.get(_clean(name))
        if info is None or info.is_dir():
            raise FileNotFoundError(name)
        where = f"{self.path.name}: {name}"
        with self._lock:
            return open_zip_member(self._zip, info, where)

    def names_under(self, prefix: str) -> Iterator[str]:
        prefix = _clean(prefix) + "/"
        for name in self._index:
            if name.startswith(prefix):
                yield name[len(prefix) :]

    def close(self) -> None:
        close_zip(self._zip)


class TarStorage(Storage):
    """A ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2`` or ``.tar.xz`` extraction.

    Compressed tars cannot seek cheaply: opening a member far behind the previous one
    decompresses from the start again. ``extract`` reads members in archive order.
    """

    kind = "tar"

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed in close()
        except DAMAGED as exc:
            raise CorruptFile(f"not a readable tar archive ({exc})", path) from None
        infos: list[tarfile.TarInfo] = []
        try:
            for info in self._tar:  # headers one after the other: those before a cut or damage are kept
                infos.append(info)
        except DAMAGED as exc:  # (a .tar.xz cut short raises LZMAError)
            if not infos:
                self._tar.close()
                raise CorruptFile(f"not a readable tar archive ({exc})", path) from None
            self.damage = (f"{path.name} is cut short or damaged after its first {len(infos):,} members ({exc}): "
                           "the files after them are missing, the last one may be incomplete")
        self._index: dict[str, tarfile.TarInfo] = {}
        for info in infos:
            name = _clean(info.name)
            if name:
                self._index[name] = info
        self._lock = threading.Lock()

    @staticmethod
    def _member(name: str, info: tarfile.TarInfo) -> Member:
        mtime = int(info.mtime) if info.mtime is not None else None
        if info.issym() or info.islnk():
            return Member(name, EntryKind.LINK, 0, mtime, info.mode | stat.S_IFLNK, info.linkname)
        if info.isdir():
            return Member(name, EntryKind.DIR, 0, mtime, info.mode | stat.S_IFDIR)
        return Member(name, EntryKind.FILE, info.size, mtime, info.mode | stat.S_IFREG)

    def members(self) -> Iterator[Member]:
        for name, info in self._index.items():
            if info.isreg() or info.isdir() or info.issym() or info.islnk():
                yield self._member(name, info)

    def member(self, name: str) -> Member | None:
        info = self._index.get(_clean(name))
        return self._member(_clean(name), info) if info is not None else None

    def open(self, name: str) -> BinaryIO:
        info = self._index.get(_clean(name))
        if info is None or not info.isreg():
            raise FileNotFoundError(name)
        with self._lock:
            handle = self._tar.extractfile(info)
            if handle is None:
                raise FileNotFoundError(name)
            return MemberReader(handle, self._lock, f"{self.path.name}: {name}")  # type: ignore[return-value]

    def names_under(self, prefix: str) -> Iterator[str]:
        prefix = _clean(prefix) + "/"
        for name in self._index:
            if name.startswith(prefix):
                yield name[len(prefix) :]

    def close(self) -> None:
        self._tar.close()


class FileSystemSource(VirtualFS):
    """A full file-system extraction seen as backup domains (read-only)."""

    def __init__(self, storage: Storage, location: Path) -> None:
        self.storage = storage
        self.location = location
        self.name = location.name
        self._ids: dict[tuple[str, str, str], str] = {}
        self._index: dict[tuple[str, str], str] | None = None
        self._lock = threading.Lock()

    def reopener(self) -> Callable[[], VirtualFS] | None:
        """A folder opened again (an archive is not: opening one reads its whole index)."""
        return functools.partial(open_folder, self.location) if isinstance(self.storage, FolderStorage) else None

    # Container names ---------------------------------------------------------------------

    def _container_id(self, var_root: str, folder: str, uuid: str) -> str:
        key = (var_root, folder, uuid)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        base = f"{var_root}/{folder}/{uuid}" if var_root else f"{folder}/{uuid}"
        ident: str | None = None
        meta = self.storage.member(f"{base}/{domains.CONTAINER_METADATA}")
        if meta is not None and meta.kind is EntryKind.FILE and meta.size < (1 << 20):
            try:
                with self.storage.open(meta.name) as handle:
                    ident = domains.metadata_identifier(handle.read())
            except OSError:
                ident = None
        if ident is None:
            ident = domains.guess_identifier(folder, self.storage.names_under(base))
        ident = ident or uuid
        with self._lock:
            self._ids[key] = ident
        return ident

    def map_name(self, name: str) -> tuple[str, str] | None:
        """(domain, path) for a member name; ``None`` for folders above ``private/var``."""
        split = domains.split_var_root(name)
        if split is None:
            return domains.FILESYSTEM_DOMAIN, name
        var_root, rest = split
        if not rest:
            return None
        if domains.is_container_folder(rest):
            return domains.FILESYSTEM_DOMAIN, name
        return domains.map_var_path(rest, lambda folder, uuid: self._container_id(var_root, folder, uuid))

    # VirtualFS -----------------------------------------------------------------------------

    @property
    def info(self) -> SourceInfo:
        apps = sorted({d.split("-", 1)[1] for d in self._all_domains() if d.startswith("AppDomain-")})
        return SourceInfo(kind=self.storage.kind, apps=apps, warnings=self.damage_found())

    def damage_found(self) -> list[str]:
        """An archive cut short (found when it was opened)."""
        return [self.storage.damage] if self.storage.damage else []

    def _all_domains(self) -> set[str]:
        return {key[0] for key in self._build_index()}

    def _entry(self, member: Member) -> Entry | None:
        mapped = self.map_name(member.name)
        if mapped is None:
            return None
        domain, path = mapped
        if member.kind is EntryKind.DIR and domain == domains.FILESYSTEM_DOMAIN:
            return None  # folders above the mapped roots only clutter listings
        return Entry(
            domain=domain,
            path=path,
            kind=member.kind,
            size=member.size,
            mtime=member.mtime,
            file_id=member.name,
            mode=member.mode,
            target=member.target,
        )

    def entries(self) -> Iterator[Entry]:
        for member in self.storage.members():
            entry = self._entry(member)
            if entry is not None:
                yield entry

    def _build_index(self) -> dict[tuple[str, str], str]:
        if self._index is None:
            index: dict[tuple[str, str], str] = {}
            for entry in self.entries():
                index.setdefault((entry.domain, entry.path), entry.file_id)
            self._index = index
        return self._index

    def get(self, domain: str, path: str) -> Entry | None:
        path = path.strip("/")
        name = self._build_index().get((domain, path))
        if name is None:
            return None
        member = self.storage.member(name)
        return self._entry(member) if member is not None else None

    def open(self, entry: Entry) -> BinaryIO:
        if entry.kind is not EntryKind.FILE:
            raise IsADirectoryError(f"{entry.domain}/{entry.path} is not a regular file")
        return self.storage.open(entry.file_id)

    def local_path(self, entry: Entry) -> Path | None:
        if entry.kind is not EntryKind.FILE or not isinstance(self.storage, FolderStorage):
            return None
        return self.storage.local_path(entry.file_id)

    def close(self) -> None:
        self.storage.close()


def is_archive(path: Path) -> bool:
    """Whether a file is a zip or tar archive (by content, not by name)."""
    if not path.is_file():
        return False
    try:
        return is_zip(path) or _is_tar(path)
    except OSError:
        return False


_TAR_NAMES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def _is_tar(path: Path) -> bool:
    """Whether a file is a tar: one holding a member, or an empty one named as a tar (:func:`tarfile.is_tarfile`
    also says yes to any file that starts with 512 zero bytes — a database whose first page was zeroed); ``False``
    for a compressed tar cut short before its first header ends (where that raises)."""
    try:
        with tarfile.open(path, "r:*") as tar:  # (what is_tarfile does, and the first member read)
            return tar.next() is not None or path.name.lower().endswith(_TAR_NAMES)
    except (tarfile.TarError, EOFError, zlib.error):
        return False


def open_archive(path: Path) -> FileSystemSource:
    """A zip or tar extraction as a source.

    An archive with no iPhone file system inside (no ``private/var`` or data-partition
    ``mobile/`` folder) is refused, as such a folder is: scanning it would only report
    that every kind is missing.
    """
    if is_zip(path):
        storage: Storage = ZipStorage(path)
    elif _is_tar(path):
        storage = TarStorage(path)
    else:
        raise NotASource("not a zip or tar archive", path)
    if not any(domains.split_var_root(member.name) for member in storage.members()):
        storage.close()
        raise NotASource("an archive with no iPhone file system inside (no private/var or mobile/ folder)", path)
    return FileSystemSource(storage, path)


def open_folder(path: Path) -> FileSystemSource:
    """A folder holding an extraction as a source."""
    return FileSystemSource(FolderStorage(path), path)


def find_var_root(folder: Path, depth: int = 3) -> str | None:
    """The folder (relative, '' for itself) that plays ``/private/var`` in an extraction, if any."""
    frontier = [("", folder)]
    for _ in range(depth + 1):
        nxt = []
        for rel, full in frontier:
            probe = f"{rel}/mobile/Library" if rel else "mobile/Library"
            if (full / "private" / "var").is_dir() and not (full / "private" / "var").is_symlink():
                return f"{rel}/private/var" if rel else "private/var"
            split = domains.split_var_root(probe)
            if (
                split is not None
                and split[0] == rel
                and any((full / "mobile" / child).is_dir() for child in ("Library", "Containers", "Media"))
            ):
                return rel
            try:
                children = sorted(p for p in full.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                continue
            nxt.extend((f"{rel}/{c.name}" if rel else c.name, c) for c in children[:50])
        frontier = nxt
    return None
