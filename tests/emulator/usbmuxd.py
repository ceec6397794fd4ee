"""A usbmuxd speaking the plist protocol on a Unix socket, in its own thread.

Point pymobiledevice3 at it with ``USBMUXD_SOCKET_ADDRESS=<path>`` (the libusbmuxd
convention it honours) or its ``usbmux_address`` argument. After a ``Connect`` the
socket carries the phone's service, exactly as with the real daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import socket
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

from .device import SYSTEM_BUID, EmulatedDevice, pair_record, server_tls
from .wire import Dropped, read_exactly

PLIST_VERSION = 1
PLIST_MESSAGE = 8


class FakeUsbmuxd:
    """usbmuxd with zero or more emulated phones attached."""

    def __init__(self, *devices: EmulatedDevice) -> None:
        self.devices = list(devices)
        self.folder = Path(tempfile.mkdtemp(prefix="mux-"))
        self.address = str(self.folder / "usbmuxd")
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-usbmuxd", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self.requests: list[str] = []

    def __enter__(self) -> FakeUsbmuxd:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_unix_server(self._client, path=self.address), self.loop
        ).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for device in self.devices:
                device.pull_cable()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
        with contextlib.suppress(OSError):
            Path(self.address).unlink()
            self.folder.rmdir()

    def call(self, func: Any) -> Any:
        """Run a plain function on the emulator's loop (e.g. ``device.pull_cable``)."""
        future: asyncio.Future[Any] = asyncio.run_coroutine_threadsafe(_call(func), self.loop)
        return future.result(10)

    # -- protocol -------------------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    (length,) = struct.unpack("<I", await read_exactly(reader, 4))
                except Dropped:
                    return
                version, message, tag = struct.unpack("<III", await read_exactly(reader, 12))
                body = await read_exactly(reader, length - 16)
                if version != PLIST_VERSION or message != PLIST_MESSAGE:
                    await self._reply(writer, tag, {"MessageType": "Result", "Number": 1})
                    continue
                request = plistlib.loads(body)
                kind = request.get("MessageType", "")
                self.requests.append(kind)
                if kind == "Connect":
                    await self._connect(request, tag, reader, writer)
                    return
                await self._reply(writer, tag, self._answer(kind, request))
        except Dropped:
            return
        finally:
            writer.close()

    def _answer(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        if kind == "ReadBUID":
            return {"BUID": SYSTEM_BUID}
        if kind == "ListDevices":
            return {"DeviceList": [
                {
                    "MessageType": "Attached",
                    "DeviceID": d.device_id,
                    "Properties": {
                        "ConnectionType": d.connection_type,
                        "DeviceID": d.device_id,
                        "SerialNumber": d.udid,
                        "ProductID": 0x12A8,
                        "LocationID": 0,
                    },
                }
                for d in self.devices
            ]}
        if kind == "ReadPairRecord":
            device = self._by_udid(request.get("PairRecordID", ""))
            if device is None or not device.trusted:
                return {"MessageType": "Result", "Number": 2}
            return {"PairRecordData": plistlib.dumps(pair_record())}
        if kind == "SavePairRecord":
            device = self._by_udid(request.get("PairRecordID", ""))
            if device is not None:
                device.saved_pair_records.append(request["PairRecordData"])
                device.trusted = True
            return {"MessageType": "Result", "Number": 0}
        if kind == "Listen":
            return {"MessageType": "Result", "Number": 0}
        return {"MessageType": "Result", "Number": 1}

    def _by_udid(self, udid: str) -> EmulatedDevice | None:
        return next((d for d in self.devices if d.udid.replace("-", "") == udid.replace("-", "")), None)

    async def _connect(self, request: dict[str, Any], tag: int, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        device = next((d for d in self.devices if d.device_id == request.get("DeviceID")), None)
        port = socket.ntohs(int(request.get("PortNumber", 0)))
        service = device.port_service(port) if device is not None else None
        if device is None or service is None:
            await self._reply(writer, tag, {"MessageType": "Result", "Number": 3 if device else 2})
            return
        await self._reply(writer, tag, {"MessageType": "Result", "Number": 0})
        device.track(writer)
        if service != "lockdownd" and device.service_uses_tls(service):
            await writer.start_tls(server_tls())
        await device.serve(service, reader, writer)

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, tag: int, value: dict[str, Any]) -> None:
        body = plistlib.dumps(value)
        writer.write(struct.pack("<IIII", 16 + len(body), PLIST_VERSION, PLIST_MESSAGE, tag) + body)
        await writer.drain()


async def _call(func: Any) -> Any:
    return func()
