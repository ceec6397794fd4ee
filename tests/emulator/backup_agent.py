"""The phone's side of com.apple.mobilebackup2: DeviceLink messages and the file-transfer framing.

Modelled on the host side of libimobiledevice's idevicebackup2 and pymobiledevice3's
DeviceLink (which it must satisfy), not on a capture of a real phone. One backup session:

1. DeviceLink version exchange (``DLMessageVersionExchange`` → ``DLVersionsOk`` →
   ``DLMessageDeviceReady``), then the mobilebackup2 ``Hello`` with protocol versions;
2. on ``Backup``: ``DLMessageGetFreeDiskSpace`` (refusing with MBErrorDomain/105 after a
   ``DLMessagePurgeDiskSpace`` when the host lacks room), ``DLMessageDownloadFiles`` for the
   host's ``Status.plist``/``Manifest.plist``/``Manifest.db`` (an incremental backup sends
   only what changed since the manifest it recognises), ``DLMessageCreateDirectory``,
   ``DLMessageUploadFiles`` in batches, ``DLMessageRemoveItems`` for files gone since, the
   new metadata uploaded into ``Snapshot/`` then ``DLMessageMoveItems`` into place, and the
   final ``DLMessageProcessMessage`` with ``ErrorCode`` 0;
3. ``DLMessageDisconnect`` from the host ends the link.
"""

from __future__ import annotations

import asyncio
import hashlib
import plistlib
import struct
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .wire import Dropped, prefixed, read_exactly, read_plist, read_prefixed, send_plist

if TYPE_CHECKING:
    from .device import EmulatedDevice

CODE_SUCCESS = 0x00
CODE_ERROR_LOCAL = 0x06
CODE_FILE_DATA = 0x0C
FRAME = 32 * 1024
BATCH = 16
METADATA = ("Manifest.db", "Manifest.plist", "Status.plist")


async def serve_backup(device: EmulatedDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await send_plist(writer, ["DLMessageVersionExchange", 300, 0])
    answer = await read_plist(reader)
    if answer[:2] != ["DLMessageVersionExchange", "DLVersionsOk"]:
        return
    await send_plist(writer, ["DLMessageDeviceReady"])
    while True:
        message = await read_plist(reader)
        if message[0] == "DLMessageDisconnect":
            return
        if message[0] != "DLMessageProcessMessage":
            continue
        body = message[1]
        name = body.get("MessageName")
        if name == "Hello":
            common = [v for v in (2.1, 2.0) if v in body.get("SupportedProtocolVersions", [])]
            if not common:
                await _process(writer, {"ErrorCode": 1, "ErrorDescription": "no common protocol version"})
                continue
            await _process(writer, {"ErrorCode": 0, "ProtocolVersion": common[0], "MessageName": "Response"})
        elif name == "Backup":
            await BackupSession(device, reader, writer, body).run()
        elif name == "ChangePassword":
            device.changed_passwords.append((body.get("OldPassword", ""), body.get("NewPassword", "")))
            device.will_encrypt = bool(body.get("NewPassword"))
            await _process(writer, {"ErrorCode": 0})
        else:
            await _process(writer, {"ErrorCode": 1, "ErrorDescription": f"unsupported: {name}"})


async def _process(writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
    await send_plist(writer, ["DLMessageProcessMessage", body])


class BackupSession:
    """One ``Backup`` request, from the free-space check to the final status."""

    def __init__(self, device: EmulatedDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 request: dict[str, Any]) -> None:
        self.device = device
        self.reader = reader
        self.writer = writer
        self.udid = device.udid
        self.request = request
        self.progress = 0.0
        self.sent: list[str] = []

    async def status(self) -> Any:
        """The host's ``DLMessageStatusResponse`` to the last request (its status dict)."""
        reply = await read_plist(self.reader)
        assert reply[0] == "DLMessageStatusResponse", reply
        return reply

    async def run(self) -> None:
        if self.request.get("TargetIdentifier") != self.udid:
            await _process(self.writer, {"ErrorCode": 2, "ErrorDescription": "wrong target"})
            return
        files = self.device.backup_files()
        needed = self.device.required_bytes or sum(p.stat().st_size for p in files.values())
        await send_plist(self.writer, ["DLMessageGetFreeDiskSpace", self.udid])
        free = (await self.status())[3]
        if free <= needed:
            await send_plist(self.writer, ["DLMessagePurgeDiskSpace", needed - free + 0x80000000, 4])
            await self.status()
            await _process(self.writer, {"ErrorCode": 105, "ErrorDescription": "Insufficient free disk space"})
            return
        previous = await self.download([f"{self.udid}/{name}" for name in ("Status.plist", *METADATA[:2])])
        state = self.previous_state(previous)
        digests = {fid: _sha(path) for fid, path in files.items()}
        to_send = [fid for fid in files if state is None or state.get(fid) != digests[fid]]
        to_remove = sorted(set(state) - set(files)) if state else []
        self.sent = []
        self.device.sessions.append(self.sent)
        for folder in [*sorted({fid[:2] for fid in to_send}), "Snapshot"]:
            await self.send_and_wait(["DLMessageCreateDirectory", f"{self.udid}/{folder}", {}, self.progress])
        for start in range(0, len(to_send), BATCH):
            batch = to_send[start:start + BATCH]
            uploads = [(f"{self.udid}/{fid[:2]}/{fid}", fid, files[fid].read_bytes()) for fid in batch]
            self.progress = 90.0 * (start + len(batch)) / max(1, len(to_send))
            if not await self.upload(uploads):
                return
        if to_remove:
            await self.send_and_wait(
                ["DLMessageRemoveItems", [f"{self.udid}/{fid[:2]}/{fid}" for fid in to_remove], {}, self.progress]
            )
        metadata = [(f"{self.udid}/Snapshot/{name}", name, self.metadata(name)) for name in METADATA]
        if not await self.upload(metadata):
            return
        self.progress = 99.0
        await self.send_and_wait(
            ["DLMessageMoveItems", {f"{self.udid}/Snapshot/{n}": f"{self.udid}/{n}" for n in METADATA}, {},
             self.progress]
        )
        await self.send_and_wait(["DLMessageRemoveItems", [f"{self.udid}/Snapshot"], {}, 100.0])
        manifest = (self.device.backup / "Manifest.db").read_bytes()
        self.device.known_manifests[hashlib.sha256(manifest).hexdigest()] = digests
        await _process(self.writer, {"ErrorCode": 0})

    def previous_state(self, previous: dict[str, bytes | None]) -> dict[str, str] | None:
        """The files of the host's last complete backup, if the phone recognises its manifest."""
        status = previous.get("Status.plist")
        manifest = previous.get("Manifest.db")
        if not status or not manifest:
            return None
        if plistlib.loads(status).get("IsFullBackup"):
            return None  # the host asked for a full backup
        return self.device.known_manifests.get(hashlib.sha256(manifest).hexdigest())

    def metadata(self, name: str) -> bytes:
        data = (self.device.backup / name).read_bytes()
        if name != "Status.plist":
            return data
        status = plistlib.loads(data)
        status.update(BackupState="new", IsFullBackup=False, SnapshotState="finished",
                      Date=datetime.now(UTC).replace(tzinfo=None))
        return plistlib.dumps(status, fmt=plistlib.FMT_BINARY)

    async def send_and_wait(self, message: list[Any]) -> Any:
        await send_plist(self.writer, message)
        return await self.status()

    async def download(self, names: list[str]) -> dict[str, bytes | None]:
        """Ask the host for files; returns base name → content (``None`` when the host lacks it)."""
        await send_plist(self.writer, ["DLMessageDownloadFiles", names, {}, self.progress])
        out: dict[str, bytes | None] = {}
        while True:
            name = (await read_prefixed(self.reader)).decode()
            if not name:
                break
            data = bytearray()
            while True:
                (size,) = struct.unpack(">I", await read_exactly(self.reader, 4))
                (code,) = struct.unpack(">B", await read_exactly(self.reader, 1))
                chunk = await read_exactly(self.reader, size - 1) if size > 1 else b""
                if code == CODE_FILE_DATA:
                    data += chunk
                    continue
                out[name.rsplit("/", 1)[-1]] = bytes(data) if code == CODE_SUCCESS else None
                break
        await self.status()
        return out

    async def upload(self, uploads: list[tuple[str, str, bytes]]) -> bool:
        """Send files with the DeviceLink framing; ``False`` if the cable was pulled meanwhile."""
        await send_plist(self.writer, ["DLMessageUploadFiles", {}, self.progress])
        for target, device_name, data in uploads:
            if self.device.drop_after is not None and len(self.sent) >= self.device.drop_after:
                # half a frame, then the cable goes (and is plugged back in for the next session)
                self.device.drop_after = None
                self.writer.write(prefixed(device_name.encode()) + prefixed(target.encode()))
                self.writer.write(struct.pack(">IB", len(data) + 1, CODE_FILE_DATA) + data[: len(data) // 2])
                await self.writer.drain()
                self.device.pull_cable()
                raise Dropped()
            self.writer.write(prefixed(device_name.encode()) + prefixed(target.encode()))
            for offset in range(0, len(data), FRAME):
                chunk = data[offset:offset + FRAME]
                self.writer.write(struct.pack(">IB", len(chunk) + 1, CODE_FILE_DATA) + chunk)
                await self.writer.drain()
            self.writer.write(struct.pack(">IB", 1, CODE_SUCCESS))
            await self.writer.drain()
            self.sent.append(device_name)
        self.writer.write(struct.pack(">I", 0))
        await self.writer.drain()
        await self.status()
        return True


def _sha(path: Any) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
