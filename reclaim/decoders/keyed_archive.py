"""A small, standalone NSKeyedArchiver unarchiver.

An NSKeyedArchiver archive is a property list with ``$archiver``, ``$top`` and a
flat ``$objects`` table; objects point at each other with plist UIDs and carry
their class in ``$class``. :func:`unarchive` resolves the UIDs into plain Python
values so callers can read archives (iMessage payloads, Notes records, backup
``MBFile`` entries) as ordinary dicts and lists.

Mapping of well-known Foundation classes:

* ``NSDictionary``/``NSMutableDictionary`` -> ``dict``
* ``NSArray``/``NSSet``/``NSOrderedSet`` (and mutable variants) -> ``list``
* ``NSString``/``NSMutableString`` -> ``str``; ``NSData``/``NSMutableData`` -> ``bytes``
* ``NSDate`` -> timezone-aware UTC ``datetime``; ``NSURL`` -> absolute URL ``str``
* ``NSUUID`` -> canonical UUID ``str``; ``NSNull`` and ``$null`` -> ``None``
* ``NSAttributedString`` -> its plain text ``str``
* anything else -> ``dict`` of its keys, plus ``"$class"`` with the class name.

Cycles are safe: containers are registered before they are filled, so an
object that contains itself comes back as a self-referencing dict or list.
"""

from __future__ import annotations

import plistlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

__all__ = ["APPLE_EPOCH", "KeyedArchiveError", "apple_time", "is_keyed_archive", "load_plist", "unarchive"]

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

_DICT_CLASSES = {"NSDictionary", "NSMutableDictionary"}
_LIST_CLASSES = {"NSArray", "NSMutableArray", "NSSet", "NSMutableSet", "NSOrderedSet", "NSMutableOrderedSet"}
_STRING_CLASSES = {"NSString", "NSMutableString"}
_DATA_CLASSES = {"NSData", "NSMutableData"}
_ATTRIBUTED_CLASSES = {"NSAttributedString", "NSMutableAttributedString"}


class KeyedArchiveError(ValueError):
    """The bytes are not a readable property list or keyed archive."""


def apple_time(seconds: float | int) -> datetime:
    """Convert seconds since 2001-01-01 UTC (Apple's reference date) to a UTC datetime."""
    return APPLE_EPOCH + timedelta(seconds=float(seconds))


def load_plist(data: bytes | bytearray | memoryview) -> Any:
    """Parse a binary or XML property list; raise :class:`KeyedArchiveError` if it is not one."""
    try:
        return plistlib.loads(bytes(data))
    except Exception as exc:  # plistlib raises several unrelated types on garbage
        raise KeyedArchiveError(f"not a property list ({exc.__class__.__name__}: {exc})") from exc


def is_keyed_archive(obj: Any) -> bool:
    """True if a parsed plist looks like an NSKeyedArchiver archive."""
    return isinstance(obj, dict) and isinstance(obj.get("$objects"), list) and isinstance(obj.get("$top"), dict)


def unarchive(plist_bytes_or_obj: bytes | bytearray | memoryview | Any) -> Any:
    """Unarchive an NSKeyedArchiver plist (bytes or already parsed) into plain Python values.

    Returns the resolved ``$top["root"]`` object; if the archive has no ``root``
    key, a dict of every resolved top-level key. A plist that is not a keyed
    archive is returned as parsed (with naive dates made UTC-aware), so callers
    can pass any plist column without checking first.

    Raises:
        KeyedArchiveError: the bytes are not a property list, or the archive's
            references are broken.
    """
    obj = (
        load_plist(plist_bytes_or_obj)
        if isinstance(plist_bytes_or_obj, bytes | bytearray | memoryview)
        else plist_bytes_or_obj
    )
    try:
        if not is_keyed_archive(obj):
            return _plain(obj, {})
        resolver = _Resolver(obj["$objects"])
        top = obj["$top"]
        if "root" in top:
            return resolver.resolve(top["root"])
        return {key: resolver.resolve(value) for key, value in top.items()}
    except KeyedArchiveError:
        raise
    except RecursionError:
        raise KeyedArchiveError("keyed archive: objects are nested too deeply") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise KeyedArchiveError(f"keyed archive: malformed object graph ({exc.__class__.__name__}: {exc})") from exc


def _plain(value: Any, memo: dict[int, Any]) -> Any:
    """Copy a parsed plist, turning naive datetimes into UTC-aware ones."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dict | list):
        if id(value) in memo:
            return memo[id(value)]
        if isinstance(value, dict):
            out_dict: dict[Any, Any] = {}
            memo[id(value)] = out_dict
            out_dict.update({k: _plain(v, memo) for k, v in value.items()})
            return out_dict
        out_list: list[Any] = []
        memo[id(value)] = out_list
        out_list.extend(_plain(v, memo) for v in value)
        return out_list
    return value


class _Resolver:
    """Resolves ``$objects`` entries by index, memoising each one (which also breaks cycles)."""

    def __init__(self, objects: list[Any]) -> None:
        self.objects = objects
        self.memo: dict[int, Any] = {}
        self.in_progress: set[int] = set()

    def resolve(self, value: Any) -> Any:
        if isinstance(value, plistlib.UID):
            return self._index(value.data)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return value

    def _index(self, index: int) -> Any:
        if index in self.memo:
            return self.memo[index]
        if not 0 <= index < len(self.objects):
            raise KeyedArchiveError(f"keyed archive: reference {index} is outside $objects ({len(self.objects)})")
        raw = self.objects[index]
        if raw == "$null":
            return None
        if not isinstance(raw, dict) or "$class" not in raw:
            # Register containers before filling them so self-references resolve to them.
            if isinstance(raw, dict):
                out_dict: dict[Any, Any] = {}
                self.memo[index] = out_dict
                out_dict.update({k: self.resolve(v) for k, v in raw.items()})
                return out_dict
            if isinstance(raw, list):
                out_list: list[Any] = []
                self.memo[index] = out_list
                out_list.extend(self.resolve(v) for v in raw)
                return out_list
            result = self.resolve(raw)
            self.memo[index] = result
            return result
        if index in self.in_progress:
            return None  # a value type (string/date...) that refers back to itself: cut the loop
        self.in_progress.add(index)
        try:
            return self._object(index, raw)
        finally:
            self.in_progress.discard(index)

    def _class_names(self, raw: dict[str, Any]) -> list[str]:
        cls = raw.get("$class")
        info = self.objects[cls.data] if isinstance(cls, plistlib.UID) and cls.data < len(self.objects) else None
        if not isinstance(info, dict):
            return []
        names = info.get("$classes")
        if isinstance(names, list) and names:
            return [str(n) for n in names]
        name = info.get("$classname")
        return [str(name)] if name else []

    def _object(self, index: int, raw: dict[str, Any]) -> Any:
        names = self._class_names(raw)
        kinds = set(names)
        if kinds & _DICT_CLASSES and "NS.keys" in raw:
            result: dict[Any, Any] = {}
            self.memo[index] = result
            keys = [self.resolve(k) for k in _as_list(raw.get("NS.keys"))]
            values = [self.resolve(v) for v in _as_list(raw.get("NS.objects"))]
            for key, value in zip(keys, values, strict=False):
                result[_hashable(key)] = value
            return result
        if kinds & _LIST_CLASSES and "NS.objects" in raw:
            items: list[Any] = []
            self.memo[index] = items
            items.extend(self.resolve(v) for v in _as_list(raw.get("NS.objects")))
            return items
        value: Any
        if kinds & _STRING_CLASSES:
            value = self.resolve(raw.get("NS.string", raw.get("NS.bytes", "")))
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
        elif kinds & _DATA_CLASSES:
            value = self.resolve(raw.get("NS.data", b""))
        elif "NSDate" in kinds:
            value = apple_time(raw.get("NS.time", 0.0))
        elif "NSURL" in kinds:
            base = self.resolve(raw.get("NS.base"))
            relative = self.resolve(raw.get("NS.relative"))
            value = urljoin(base, relative) if isinstance(base, str) and isinstance(relative, str) else relative
        elif "NSUUID" in kinds and isinstance(raw.get("NS.uuidbytes"), bytes) and len(raw["NS.uuidbytes"]) == 16:
            value = str(uuid.UUID(bytes=raw["NS.uuidbytes"])).upper()
        elif "NSNull" in kinds:
            value = None
        elif kinds & _ATTRIBUTED_CLASSES:
            value = self.resolve(raw.get("NSString"))
        else:
            generic: dict[str, Any] = {"$class": names[0] if names else None}
            self.memo[index] = generic
            for key, item in raw.items():
                if key != "$class":
                    generic[key] = self.resolve(item)
            return generic
        self.memo[index] = value
        return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key
