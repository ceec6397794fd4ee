"""The ``MBFile`` records of Manifest.db (``Files.file``): NSKeyedArchiver binary plists.

iTunes/Finder archive one ``MBFile`` object per row: size, mode, times, protection class,
the link target, and for encrypted backups the per-file ``EncryptionKey`` (an ``NSData``
holding a 4-byte little-endian class followed by the wrapped key). The decoder is written
for the shapes met in the wild: missing keys, ``NS.data`` given as a UID reference, and
``$objects`` in any order. :func:`encode_mbfile` writes them in iTunes' NSKeyedArchiver layout
(through plistlib).

A phone's Manifest.db holds over a million of these, and plistlib needs ~100 µs for each,
so :func:`mbfile_fields` reads them in three tiers that give the same fields: a ``struct``
template per archive *shape* (a few µs), built by a strict reader of the few objects
MBFile needs (:mod:`reclaim.sources.bplist`) the first time a shape is met, and plistlib
(:func:`decode_mbfile_plistlib`) for anything else.
"""

from __future__ import annotations

import itertools
import operator
import plistlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from reclaim.errors import CorruptFile
from reclaim.sources.bplist import UID, BPlist, BPlistError, Span, Template

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

# Fast path ------------------------------------------------------------------------------

#: The MBFile attributes, in the order :func:`mbfile_fields` returns them.
FIELDS = (
    "size", "mode", "mtime", "birth", "ctime", "inode", "uid", "gid",
    "protection_class", "flags", "relative_path", "target", "encryption_key",
)  # fmt: skip
#: Archive key -> position in :data:`FIELDS`.
_KEYS = {
    b"Size": 0,
    b"Mode": 1,
    b"LastModified": 2,
    b"Birth": 3,
    b"LastStatusChange": 4,
    b"InodeNumber": 5,
    b"UserID": 6,
    b"GroupID": 7,
    b"ProtectionClass": 8,
    b"Flags": 9,
    b"RelativePath": 10,
    b"Target": 11,
    b"EncryptionKey": 12,
}
_PATH, _TARGET, _KEY = 10, 11, 12
_DEFAULTS = (0, 0) + (None,) * 11
_MAX_TEMPLATES = 8192  # about 2.5 KB each: at most ~20 MB


class _Shape(NamedTuple):
    """A template for one blob shape, and how its values become MBFile fields."""

    unpack: Callable[[bytes], tuple]
    skeleton_of: Callable[[tuple], tuple]
    skeleton: tuple
    pick: Callable[[tuple], tuple]  # unpack's items + _DEFAULTS -> FIELDS
    texts: tuple[tuple[int, str], ...]  # (FIELDS position, encoding) of string fields


#: Shapes seen so far, by offset table + trailer (which fix where every object lies).
_SHAPES: dict[bytes, list[_Shape]] = {}


def _lookup(plist: BPlist, ref: int, key: bytes) -> int:
    """The value reference of ``key`` in dict object ``ref`` (BPlistError if absent)."""
    found = plist.keyed(ref).get(key)
    if found is None:
        raise BPlistError(f"no {key!r} key")
    return found


def _deref(plist: BPlist, objects: Sequence[int], ref: int) -> int:
    """The object a UID value points to in ``$objects``."""
    index = plist.uid(ref)
    if index >= len(objects):
        raise BPlistError("UID out of range")
    return objects[index]


def _parse_spans(blob: bytes) -> tuple[list[tuple[int, Span, str | None]], list[tuple[int, int]]]:
    """The strict parse: (FIELDS position, value span, string encoding) of each field present,
    and the byte ranges read as structure.

    Raises BPlistError (or IndexError) on anything outside the shapes it knows.
    """
    plist = BPlist(blob)
    top = plist.keyed(plist.top)
    if b"$objects" not in top or b"$top" not in top:
        raise BPlistError("not a keyed archive")
    objects = plist.array(top[b"$objects"])
    root = _deref(plist, objects, _lookup(plist, top[b"$top"], b"root"))
    found = sorted((_KEYS[name], v) for name, v in plist.keyed(root).items() if name in _KEYS)
    out: list[tuple[int, Span, str | None]] = []
    for slot, v in found:
        if slot < _PATH:
            out.append((slot, plist.integer_span(v), None))
        elif slot == _KEY:
            data = _lookup(plist, _deref(plist, objects, v), b"NS.data")
            if plist.marker(data) & 0xF0 == UID:
                data = _deref(plist, objects, data)
            start, stop = plist.data_span(data)
            out.append((slot, (start, stop, "s"), None))
        else:
            start, stop, encoding = plist.string_span(_deref(plist, objects, v))
            out.append((slot, (start, stop, "s"), encoding))
    return out, plist.reads


def _finish(values: list, texts: Sequence[tuple[int, str]]) -> tuple:
    """Decode the string fields in place ("$null" is NSKeyedArchiver's nil) and freeze."""
    for slot, encoding in texts:
        text = values[slot].decode(encoding)
        values[slot] = None if text == "$null" else text
    return tuple(values)


def _fields_slow(blob: bytes) -> tuple:
    """Strict parse of a new shape: the values, and a template for later blobs of that shape."""
    parsed, reads = _parse_spans(blob)
    values = list(_DEFAULTS)
    for slot, (start, stop, kind), _ in parsed:
        raw = blob[start:stop]
        values[slot] = int.from_bytes(raw, "big", signed=kind == "q") if kind != "s" else raw
    texts = tuple((slot, enc) for slot, _, enc in parsed if enc is not None)
    result = _finish(values, texts)
    key = blob[int.from_bytes(blob[-8:], "big") :]
    shapes = _SHAPES.setdefault(key, [])
    if len(shapes) < 8:
        if len(_SHAPES) > _MAX_TEMPLATES:  # bounded memory: forget the older half
            for old in list(itertools.islice(_SHAPES, len(_SHAPES) // 2)):
                del _SHAPES[old]
            _SHAPES[key] = shapes
        try:
            template = Template(blob, [span for _, span, _ in parsed], reads)
        except BPlistError:  # a value doubles as structure: this shape is parsed every time
            return result
        where = {slot: template.value_index[i] for i, (slot, _, _) in enumerate(parsed)}
        pick = operator.itemgetter(*(where.get(slot, template.count + slot) for slot in range(len(FIELDS))))
        shapes.append(_Shape(template.unpack, template.skeleton_of, template.skeleton, pick, texts))
    return result


def mbfile_fields(blob: bytes) -> tuple:
    """The :data:`FIELDS` of one ``Files.file`` blob, as a tuple (the hot path of listing).

    Blobs of a shape seen before are read by its template (one ``struct`` call); new
    shapes by the strict reader; anything else by :mod:`plistlib`. The three agree on
    every blob the faster ones accept. Raises :class:`CorruptFile` if it is not an archive.
    """
    shapes = _SHAPES.get(blob[int.from_bytes(blob[-8:], "big") :])
    try:
        if shapes is not None:  # same offset table and trailer: same length
            for unpack, skeleton_of, skeleton, pick, texts in shapes:
                items = unpack(blob)
                if skeleton_of(items) == skeleton:
                    values = pick(items + _DEFAULTS)
                    return _finish(list(values), texts) if texts else values
        return _fields_slow(blob)
    except (BPlistError, IndexError, UnicodeDecodeError, struct.error):
        mb = decode_mbfile_plistlib(blob)
        return tuple(getattr(mb, name) for name in FIELDS)


def decode_mbfile(blob: bytes) -> MBFile:
    """Decode one ``Files.file`` blob (raises :class:`CorruptFile` if it is not an archive)."""
    return MBFile(*mbfile_fields(blob))


def decode_mbfile_plistlib(blob: bytes) -> MBFile:
    """Decode one blob with :mod:`plistlib` (every field; the reference and the fallback)."""
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
