"""The phone's media partition over AFC (Apple File Conduit), as a read-only source.

AFC exposes ``/var/mobile/Media`` of a trusted phone without a backup: the camera roll
(``DCIM``, ``PhotoData`` with ``Photos.sqlite``), recordings, books, downloads.
:class:`AfcSource` maps it to the backup domains exactly as a file-system extraction is
mapped (:mod:`reclaim.sources.domains`: ``Media/DCIM`` and ``Media/PhotoData`` →
``CameraRollDomain``, the rest of ``Media`` → ``MediaDomain``), so the photos kind reads
the phone directly. :func:`copy_tree` copies folders of it to disk for ``reclaim device-photos``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import posixpath
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from reclaim.output import atomic_writer, safe_join
from reclaim.sources import domains
from reclaim.sources.device import (
    MEDIA_PREFIX,
    Connection,
    DeviceDisconnected,
    PhotoCopy,
    ProgressCallback,
    Tracker,
    connect,
    require_pymobiledevice3,
    translate_errors,
)
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS

if TYPE_CHECKING:
    from pymobiledevice3.services.afc import AfcService

T = TypeVar("T")

#: Bytes asked of the phone per AFC read.
READ_CHUNK = 1 << 20
#: Folders of /var/mobile/Media not walked by default (music and app staging, never personal data).
SKIPPED_FOLDERS = frozenset({"iTunes_Control", "PublicStaging", "Purchases"})


def afc_path_to_entry_key(path: str) -> tuple[str, str]:
    """(domain, relative path) of a path under AFC's root, as a backup would name it."""
    return domains.map_var_path(f"mobile/Media/{path.strip('/')}", lambda folder, uuid: uuid)


async def _stat(afc: AfcService, path: str) -> dict[str, Any] | None:
    from pymobiledevice3.exceptions import AfcException

    try:
        return await afc.stat(path)
    except AfcException:
        return None


async def walk(afc: AfcService, top: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (path, stat) under ``top`` (files, folders and links; links are not followed)."""
    from pymobiledevice3.exceptions import AfcException

    found: list[tuple[str, dict[str, Any]]] = []
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            names = await afc.listdir(folder)
        except AfcException:
            continue
        for name in sorted(names):
            if not name or name in {".", ".."} or "/" in name:
                continue
            path = posixpath.join(folder, name)
            info = await _stat(afc, path)
            if info is None:
                continue
            found.append((path, info))
            if info.get("st_ifmt") == "S_IFDIR":
                pending.append(path)
    return found


def _mtime(info: dict[str, Any]) -> int | None:
    value = info.get("st_mtime")
    try:
        return int(value.timestamp()) if value is not None else None
    except (OverflowError, OSError, ValueError):
        return None


async def copy_tree(
    lockdown: Any, folders: tuple[str, ...], root: Path, result: PhotoCopy, progress: ProgressCallback | None
) -> None:
    """Copy folders of AFC's root into ``root/private/var/mobile/Media``, skipping files already complete."""
    from pymobiledevice3.services.afc import AfcService

    tracker = Tracker(progress)
    root.mkdir(parents=True, exist_ok=True)
    async with AfcService(lockdown) as afc:
        for folder in folders:
            if await _stat(afc, folder) is None:
                continue
            for path, info in await walk(afc, folder):
                if info.get("st_ifmt") != "S_IFREG":
                    continue
                target = safe_join(root, MEDIA_PREFIX, path)
                size, mtime = int(info.get("st_size", 0)), _mtime(info)
                if _already_copied(target, size, mtime):
                    result.skipped += 1
                    continue
                await _copy_file(afc, path, target, size, tracker)
                if mtime is not None:
                    os.utime(target, (mtime, mtime))
                result.copied += 1
                result.bytes += size
                tracker.file_done(path)
    tracker.finish()


def _already_copied(target: Path, size: int, mtime: int | None) -> bool:
    try:
        st = target.stat()
    except OSError:
        return False
    return st.st_size == size and (mtime is None or int(st.st_mtime) == mtime)


async def _copy_file(afc: AfcService, path: str, target: Path, size: int, tracker: Tracker) -> None:
    handle = await afc.fopen(path)
    try:
        with atomic_writer(target) as out:
            remaining = size
            while remaining > 0:
                chunk = await afc.fread(handle, min(READ_CHUNK, remaining))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)
                tracker.received(len(chunk))
    finally:
        with contextlib.suppress(Exception):
            await afc.fclose(handle)


class _Loop:
    """An event loop in a thread: the synchronous VirtualFS calls pymobiledevice3's async client through it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="reclaim-afc", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        with translate_errors():
            return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


class AfcSource(VirtualFS):
    """A trusted phone's ``/var/mobile/Media`` as (domain, path) entries, read over AFC (read-only)."""

    def __init__(
        self, udid: str | None = None, *, conn: Connection | None = None, folders: tuple[str, ...] | None = None
    ) -> None:
        require_pymobiledevice3()
        self._conn = conn or Connection()
        if udid is not None:
            self._conn.udid = udid
        self._folders = folders
        self._runner = _Loop()
        self._lockdown: Any = None
        self._afc: Any = None
        self._index: dict[tuple[str, str], tuple[Entry, str]] | None = None
        self._lock = threading.Lock()
        try:
            self._runner.run(self._open())
        except BaseException:
            self.close()
            raise
        values = getattr(self._lockdown, "all_values", {}) or {}
        self.name = values.get("DeviceName") or "iPhone"
        self._info = SourceInfo(
            kind="device-afc",
            device_name=values.get("DeviceName"),
            product_type=values.get("ProductType"),
            product_version=values.get("ProductVersion"),
            build_version=values.get("BuildVersion"),
            serial_number=values.get("SerialNumber"),
            udid=values.get("UniqueDeviceID") or self._conn.udid,
            phone_number=values.get("PhoneNumber"),
        )

    async def _open(self) -> None:
        from pymobiledevice3.services.afc import AfcService

        self._lockdown = await connect(self._conn)
        self._afc = AfcService(self._lockdown)
        await self._afc.__aenter__()

    @property
    def info(self) -> SourceInfo:
        return self._info

    def _build(self) -> dict[tuple[str, str], tuple[Entry, str]]:
        with self._lock:
            if self._index is None:
                self._index = self._runner.run(self._scan())
            return self._index

    async def _scan(self) -> dict[tuple[str, str], tuple[Entry, str]]:
        folders = self._folders
        if folders is None:
            folders = tuple(n for n in sorted(await self._afc.listdir("/")) if n not in SKIPPED_FOLDERS)
        index: dict[tuple[str, str], tuple[Entry, str]] = {}
        for folder in folders:
            info = await _stat(self._afc, folder)
            if info is None:
                continue
            for path, st in [(folder, info), *(await walk(self._afc, folder))]:
                kind = {"S_IFDIR": EntryKind.DIR, "S_IFLNK": EntryKind.LINK}.get(st.get("st_ifmt", ""), EntryKind.FILE)
                domain, rel = afc_path_to_entry_key(path)
                entry = Entry(
                    domain,
                    rel,
                    kind,
                    size=int(st.get("st_size", 0)) if kind is EntryKind.FILE else 0,
                    mtime=_mtime(st),
                    file_id=f"afc:{path}",
                    target=st.get("LinkTarget") if kind is EntryKind.LINK else None,
                )
                index[(domain, rel)] = (entry, path)
        return index

    def entries(self) -> Iterator[Entry]:
        return iter([entry for entry, _ in self._build().values()])

    def get(self, domain: str, path: str) -> Entry | None:
        found = self._build().get((domain, path))
        return found[0] if found else None

    def open(self, entry: Entry) -> BinaryIO:
        found = self._build().get((entry.domain, entry.path))
        if found is None or not found[0].is_file:
            raise FileNotFoundError(f"{entry.domain}/{entry.path}")
        handle = self._runner.run(self._afc.fopen(found[1]))
        return io.BufferedReader(_AfcReader(self, handle, found[0].size), buffer_size=READ_CHUNK)

    def close(self) -> None:
        async def shutdown() -> None:
            if self._afc is not None:
                with contextlib.suppress(Exception):
                    await self._afc.aclose()
            if self._lockdown is not None:
                with contextlib.suppress(Exception):
                    await self._lockdown.close()

        if self._runner.thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shutdown(), self._runner.loop).result(10)
            self._runner.stop()


class _AfcReader(io.RawIOBase):
    """A file on the phone, read in chunks through AFC."""

    def __init__(self, source: AfcSource, handle: int, size: int) -> None:
        self._source = source
        self._handle: int | None = handle
        self._remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._handle is None:
            raise ValueError("read from a closed file")
        want = min(len(buffer), self._remaining, READ_CHUNK)
        if want <= 0:
            return 0
        try:
            data = self._source._runner.run(self._source._afc.fread(self._handle, want))
        except DeviceDisconnected as exc:
            raise OSError(str(exc)) from exc
        buffer[: len(data)] = data
        self._remaining -= len(data)
        return len(data)

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            with contextlib.suppress(Exception):
                self._source._runner.run(self._source._afc.fclose(handle))
        super().close()
