"""The phone's side of AFC (com.apple.afc): a local folder served as ``/var/mobile/Media``.

Packets are the real ones: a 40-byte little-endian header (``CFA6LPAA`` magic, entire
length, this length, packet number, opcode) and the opcode's payload; answers echo the
packet number. Implemented: READ_DIR, GET_FILE_INFO, GET_DEVINFO, FILE_OPEN, READ,
WRITE, FILE_SEEK, FILE_TELL, FILE_CLOSE, FILE_LOCK. Paths never leave the folder.
"""

from __future__ import annotations

import asyncio
import os
import stat
import struct
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .wire import read_exactly

if TYPE_CHECKING:
    from .device import EmulatedDevice

MAGIC = b"CFA6LPAA"
HEADER = struct.Struct("<8sQQQQ")

OP_STATUS, OP_DATA, OP_READ_DIR = 0x01, 0x02, 0x03
OP_GET_FILE_INFO, OP_GET_DEVINFO, OP_FILE_OPEN, OP_FILE_OPEN_RES = 0x0A, 0x0B, 0x0D, 0x0E
OP_READ, OP_WRITE, OP_FILE_SEEK, OP_FILE_TELL, OP_FILE_TELL_RES = 0x0F, 0x10, 0x11, 0x12, 0x13
OP_FILE_CLOSE, OP_FILE_LOCK = 0x14, 0x1B

ERR_SUCCESS, ERR_UNKNOWN, ERR_INVALID_ARG, ERR_NOT_FOUND, ERR_IS_DIR, ERR_PERM = 0, 1, 7, 8, 9, 10
ERR_NOT_SUPPORTED = 15

# fopen modes: 1 r, 2 r+, 3 w, 4 w+, 5 a, 6 a+
_OPEN_FLAGS = {1: "rb", 2: "r+b", 3: "wb", 4: "w+b", 5: "ab", 6: "a+b"}


async def serve_afc(device: EmulatedDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    root = device.media
    assert root is not None
    handles: dict[int, BinaryIO] = {}
    next_handle = 1
    try:
        while True:
            magic, entire, _this, number, op = HEADER.unpack(await read_exactly(reader, HEADER.size))
            if magic != MAGIC:
                return
            payload = await read_exactly(reader, entire - HEADER.size) if entire > HEADER.size else b""
            reply_op, data = OP_STATUS, struct.pack("<Q", ERR_SUCCESS)
            try:
                if op == OP_READ_DIR:
                    folder = _resolve(root, _cstring(payload))
                    if not folder.is_dir():
                        raise _AfcError(ERR_NOT_FOUND if not folder.exists() else ERR_INVALID_ARG)
                    names = [".", "..", *sorted(p.name for p in folder.iterdir())]
                    reply_op, data = OP_DATA, b"".join(n.encode() + b"\0" for n in names)
                elif op == OP_GET_FILE_INFO:
                    reply_op, data = OP_DATA, _file_info(_resolve(root, _cstring(payload)))
                elif op == OP_GET_DEVINFO:
                    info = {"Model": device.values["ProductType"], "FSTotalBytes": str(device.total_bytes),
                            "FSFreeBytes": str(device.total_bytes // 2), "FSBlockSize": "4096"}
                    reply_op, data = OP_DATA, b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in info.items())
                elif op == OP_FILE_OPEN:
                    (mode,) = struct.unpack_from("<Q", payload)
                    path = _resolve(root, _cstring(payload[8:]))
                    if mode == 1 and not path.is_file():
                        raise _AfcError(ERR_IS_DIR if path.is_dir() else ERR_NOT_FOUND)
                    if mode == 2 and not path.exists():
                        path.touch()
                    handles[next_handle] = open(path, _OPEN_FLAGS.get(mode, "rb"))  # noqa: SIM115
                    reply_op, data = OP_FILE_OPEN_RES, struct.pack("<Q", next_handle)
                    next_handle += 1
                elif op == OP_READ:
                    handle, size = struct.unpack("<QQ", payload[:16])
                    reply_op, data = OP_DATA, _handle(handles, handle).read(size)
                elif op == OP_WRITE:
                    (handle,) = struct.unpack_from("<Q", payload)
                    _handle(handles, handle).write(payload[8:])
                elif op == OP_FILE_SEEK:
                    handle, whence, offset = struct.unpack("<QQq", payload[:24])
                    _handle(handles, handle).seek(offset, whence)
                elif op == OP_FILE_TELL:
                    (handle,) = struct.unpack_from("<Q", payload)
                    reply_op, data = OP_FILE_TELL_RES, struct.pack("<Q", _handle(handles, handle).tell())
                elif op == OP_FILE_CLOSE:
                    (handle,) = struct.unpack_from("<Q", payload)
                    _handle(handles, handle).close()
                    del handles[handle]
                elif op == OP_FILE_LOCK:
                    _handle(handles, struct.unpack_from("<Q", payload)[0])
                else:
                    raise _AfcError(ERR_NOT_SUPPORTED)
            except _AfcError as exc:
                reply_op, data = OP_STATUS, struct.pack("<Q", exc.code)
            writer.write(HEADER.pack(MAGIC, HEADER.size + len(data), HEADER.size, number, reply_op) + data)
            await writer.drain()
    finally:
        for handle in handles.values():
            handle.close()


class _AfcError(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _cstring(payload: bytes) -> str:
    return payload.split(b"\0", 1)[0].decode("utf-8")


def _resolve(root: Path, name: str) -> Path:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _AfcError(ERR_PERM)
    return root.joinpath(*parts)


def _handle(handles: dict[int, BinaryIO], number: int) -> BinaryIO:
    if number not in handles:
        raise _AfcError(ERR_INVALID_ARG)
    return handles[number]


def _file_info(path: Path) -> bytes:
    if not os.path.lexists(path):
        raise _AfcError(ERR_NOT_FOUND)
    st = path.lstat()
    kind = "S_IFLNK" if stat.S_ISLNK(st.st_mode) else "S_IFDIR" if stat.S_ISDIR(st.st_mode) else "S_IFREG"
    info = {
        "st_size": str(st.st_size),
        "st_blocks": str((st.st_size + 511) // 512),
        "st_nlink": str(st.st_nlink),
        "st_ifmt": kind,
        "st_mtime": str(int(st.st_mtime * 10**9)),
        "st_birthtime": str(int(st.st_mtime * 10**9)),
    }
    if kind == "S_IFLNK":
        info["LinkTarget"] = os.readlink(path)
    return b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in info.items())
