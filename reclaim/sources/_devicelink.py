"""pymobiledevice3's backup client, with byte and file counting for reclaim's progress display.

:class:`ReclaimBackupService` is pymobiledevice3's ``Mobilebackup2Service`` whose DeviceLink
(:class:`CountingLink`) also counts what arrives; nothing of the protocol is re-implemented.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pymobiledevice3.exceptions import ConnectionTerminatedError, NotEnoughDiskSpaceError
from pymobiledevice3.services.device_link import DeviceLink
from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

from reclaim.sources.device import NotEnoughSpace, Tracker, describe_size


class CountingLink(DeviceLink):
    """A DeviceLink that tells a :class:`Tracker` about every byte and file uploaded by the phone."""

    def __init__(self, service: Any, root_path: Path, tracker: Tracker) -> None:
        super().__init__(service, root_path, post_file_receive=self._file_received)
        self.tracker = tracker
        self._uploading = False

    async def _recvall(self, size: int) -> bytes:
        data = await super()._recvall(size)
        if self._uploading:
            self.tracker.received(len(data))
        return data

    async def upload_files(self, message: Any) -> None:
        self._uploading = True
        try:
            await super().upload_files(message)
        finally:
            self._uploading = False

    def _file_received(self, file_name: str, device_name: str) -> None:
        if self._uploading:
            self.tracker.file_done(device_name or file_name)


class ReclaimBackupService(Mobilebackup2Service):
    """pymobiledevice3's mobilebackup2 client using :class:`CountingLink`."""

    def __init__(self, lockdown: Any, tracker: Tracker) -> None:
        super().__init__(lockdown)
        self.tracker = tracker
        self.link: CountingLink | None = None

    @contextlib.asynccontextmanager
    async def device_link(  # type: ignore[override]
        self, backup_directory: Path, filter_callback: Any = None, password: str = ""
    ) -> AsyncIterator[DeviceLink]:
        await self.connect()
        assert self._service is not None
        link = CountingLink(self._service, Path(backup_directory), self.tracker)
        await link.version_exchange()
        await self.version_exchange(link)
        self.link = link
        try:
            yield link
        finally:
            with contextlib.suppress(ConnectionTerminatedError, ConnectionError):
                await link.disconnect()

    def explain_disk_refusal(self, exc: BaseException, out: Path) -> None:
        """Re-raise the phone's "not enough space" refusal with the figures a person needs."""
        if not isinstance(exc, NotEnoughDiskSpaceError) or self.link is None:
            return
        required, reported = self.link._required_free_space, self.link._reported_free_space
        if required is None or reported is None:
            raise NotEnoughSpace(f"not enough free disk space for this backup ({exc})", out) from exc
        raise NotEnoughSpace(
            f"not enough free disk space for this backup: the iPhone needs {describe_size(required)} free, "
            f"{describe_size(reported)} are free here (free {describe_size(required - reported)} more, "
            "or choose a folder on another disk with -o)",
            out,
        ) from exc
