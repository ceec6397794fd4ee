"""The ``MBFile`` records of Manifest.db (``Files.file``): NSKeyedArchiver binary plists.

iTunes/Finder archive one ``MBFile`` object per row: size, mode, times, protection class,
the link target, and for encrypted backups the per-file ``EncryptionKey`` (an ``NSData``
holding a 4-byte little-endian class followed by the wrapped key). The decoder is written
for the shapes met in the wild: missing keys, ``NS.data`` given as a UID reference, and
``$objects`` in any order. :func:`encode_mbfile` writes them exactly as iTunes does.
"""

from __future__ import annotations

import plistlib
import struct
from dataclasses import dataclass
from typing import Any

from reclaim.errors import CorruptFile

S_IFMT = 0o170000
S_IFDIR = 0o040000
S_IFREG = 0o100000
S_IFLNK = 0o120000


@dataclass(slots=True)
class MBFile:
    """The useful fields of an archived ``MBFile``."""

    size: int = 0
    mode: int = 0
    mtime: int | None = None
    birth: int | None = None
    ctime: int | None = None
    inode: int | None = None
    uid: int | None = None
    gid: int | None = None
    protection_class: int | None = None
    flags: int | None = None
    relative_path: str | None = None
    target: str | None = None
    encryption_key: bytes | None = None  # 4-byte LE class + wrapped key, as stored


def _resolve(objects: list[Any], value: Any) -> Any:
    if isinstance(value, plistlib.UID):
        index = value.data
        if 0 <= index < len(objects):
            target = objects[index]
            return None if target == "$null" else target
        return None
    return value


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None


def _as_bytes(objects: list[Any], value: Any) -> bytes | None:
    value = _resolve(objects, value)
    for _ in range(3):  # NSData dict -> NS.data -> (UID ->) bytes
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        if isinstance(value, dict):
            value = _resolve(objects, value.get("NS.data"))
        else:
            return None
    return None


def _as_str(objects: list[Any], value: Any) -> str | None:
    value = _resolve(objects, value)
    if isinstance(value, dict):  # NSString/NSMutableString archived as an object
        value = _resolve(objects, value.get("NS.string"))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def decode_mbfile(blob: bytes) -> MBFile:
    """Decode one ``Files.file`` blob (raises :class:`CorruptFile` if it is not an archive)."""
    try:
        archive = plistlib.loads(blob)
        objects = archive["$objects"]
        top = archive.get("$top", {})
        root = _resolve(objects, top.get("root", plistlib.UID(1)))
    except Exception as exc:
        raise CorruptFile(f"unreadable MBFile record ({exc.__class__.__name__})") from None
    if not isinstance(root, dict):
        raise CorruptFile("unreadable MBFile record (no root object)")
    return MBFile(
        size=_as_int(root.get("Size")) or 0,
        mode=_as_int(root.get("Mode")) or 0,
        mtime=_as_int(root.get("LastModified")),
        birth=_as_int(root.get("Birth")),
        ctime=_as_int(root.get("LastStatusChange")),
        inode=_as_int(root.get("InodeNumber")),
        uid=_as_int(root.get("UserID")),
        gid=_as_int(root.get("GroupID")),
        protection_class=_as_int(root.get("ProtectionClass")),
        flags=_as_int(root.get("Flags")),
        relative_path=_as_str(objects, root.get("RelativePath")),
        target=_as_str(objects, root.get("Target")),
        encryption_key=_as_bytes(objects, root.get("EncryptionKey")),
    )


def encode_mbfile(record: MBFile) -> bytes:
    """An ``MBFile`` archive as iTunes writes it (binary plist, NSKeyedArchiver, ``$version`` 100000)."""
    objects: list[Any] = ["$null"]
    body: dict[str, Any] = {}
    objects.append(body)

    def add(obj: Any) -> plistlib.UID:
        objects.append(obj)
        return plistlib.UID(len(objects) - 1)

    body["RelativePath"] = add(record.relative_path or "")
    if record.target is not None:
        body["Target"] = add(record.target)
    body["LastModified"] = record.mtime or 0
    body["InodeNumber"] = record.inode or 0
    body["GroupID"] = record.gid if record.gid is not None else 501
    body["UserID"] = record.uid if record.uid is not None else 501
    body["Mode"] = record.mode
    body["Birth"] = record.birth if record.birth is not None else (record.mtime or 0)
    body["Size"] = record.size
    body["ProtectionClass"] = record.protection_class if record.protection_class is not None else 0
    body["LastStatusChange"] = record.ctime if record.ctime is not None else (record.mtime or 0)
    body["Flags"] = record.flags or 0
    if record.encryption_key is not None:
        data_class = plistlib.UID(0)  # patched below
        key_obj = {"NS.data": record.encryption_key, "$class": data_class}
        key_uid = add(key_obj)
        key_obj["$class"] = add({"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]})
        body["EncryptionKey"] = key_uid
    body["$class"] = add({"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]})
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY, sort_keys=False)


def split_class_key(blob: bytes) -> tuple[int, bytes]:
    """(protection class, wrapped key) from a 4-byte little-endian class prefix + wrapped key."""
    if len(blob) < 4 + 24:
        raise CorruptFile(f"encryption key record too short ({len(blob)} bytes)")
    return struct.unpack("<I", blob[:4])[0], blob[4:]
