"""Framing shared by the emulated services: 32-bit big-endian length + XML plist."""

from __future__ import annotations

import asyncio
import plistlib
import struct
from typing import Any


class Dropped(Exception):
    """The emulated phone lost its connection (a pulled cable)."""


async def read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise Dropped() from exc


async def read_plist(reader: asyncio.StreamReader) -> Any:
    """One length-prefixed plist (lockdownd, DeviceLink, notification and installation proxies)."""
    (size,) = struct.unpack(">I", await read_exactly(reader, 4))
    return plistlib.loads(await read_exactly(reader, size))


def plist_frame(value: Any) -> bytes:
    payload = plistlib.dumps(value, fmt=plistlib.FMT_XML)
    return struct.pack(">I", len(payload)) + payload


async def send_plist(writer: asyncio.StreamWriter, value: Any) -> None:
    writer.write(plist_frame(value))
    await writer.drain()


async def read_prefixed(reader: asyncio.StreamReader) -> bytes:
    """A DeviceLink string: 32-bit big-endian length, then the bytes."""
    (size,) = struct.unpack(">I", await read_exactly(reader, 4))
    return await read_exactly(reader, size) if size else b""


def prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data
