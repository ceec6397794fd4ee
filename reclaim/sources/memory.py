"""A source held in memory: for tests and for generated content (sample data, iCloud exports)."""

from __future__ import annotations

import functools
import io
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from reclaim.sample.model import SampleFile
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS


class MemoryFS(VirtualFS):
    """A virtual file system over :class:`SampleFile` items (bytes or local files)."""

    def __init__(self, files: Iterable[SampleFile], name: str = "memory", info: SourceInfo | None = None) -> None:
        self.name = name
        self._info = info or SourceInfo(kind="memory")
        self._entries: dict[tuple[str, str], Entry] = {}
        self._data: dict[tuple[str, str], bytes | Path] = {}
        self._files = list(files)
        for item in self._files:
            key = (item.domain, item.path)
            if item.is_dir:
                self._entries[key] = Entry(item.domain, item.path, EntryKind.DIR, mtime=int(item.mtime.timestamp()))
                continue
            assert item.data is not None
            size = len(item.data) if isinstance(item.data, bytes) else item.data.stat().st_size
            self._entries[key] = Entry(
                item.domain,
                item.path,
                EntryKind.FILE,
                size=size,
                mtime=int(item.mtime.timestamp()),
                file_id=f"{item.domain}-{item.path}",
            )
            self._data[key] = item.data

    def reopener(self) -> Callable[[], VirtualFS]:
        """The same files in a new file system (bytes are copied through the pipe, local files named)."""
        return functools.partial(MemoryFS, self._files, self.name, self._info)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def entries(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))

    def get(self, domain: str, path: str) -> Entry | None:
        return self._entries.get((domain, path))

    def local_path(self, entry: Entry) -> Path | None:
        data = self._data.get((entry.domain, entry.path))
        return data if isinstance(data, Path) else None

    def open(self, entry: Entry) -> BinaryIO:
        data = self._data[(entry.domain, entry.path)]
        if isinstance(data, bytes):
            return io.BytesIO(data)
        return open(data, "rb")

    def copy_to(self, entry: Entry, target: Path) -> None:
        data = self._data[(entry.domain, entry.path)]
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)
