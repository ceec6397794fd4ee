"""Decoders for the plist columns beside an iMessage body.

* ``message.message_summary_info`` -- a plain binary plist recording edits and
  unsends (iOS 16+): ``ec`` maps a body-part index to its versions (``t`` is an
  ``attributedBody`` typedstream, ``d`` seconds since 2001, ``bcg`` the GUID of the
  compatibility message older devices received), ``rp`` lists unsent
  (retracted) parts, ``ep`` edited parts and ``otr`` the original text range of
  each part (``lo`` start, ``le`` length, UTF-16 units).
* ``message.payload_data`` -- an NSKeyedArchiver plist: a ``RichLink`` with
  ``richLinkMetadata`` (an ``LPLinkMetadata``) for link previews, or a
  ``MSMessageTemplateLayout``-style dictionary for app messages (Apple Pay,
  GamePigeon, Check In...).

All functions take the column bytes (or an already parsed plist) and never
touch a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from reclaim.decoders.keyed_archive import KeyedArchiveError, apple_time, load_plist, unarchive
from reclaim.decoders.typedstream import TypedStreamError, decode_attributed_body

__all__ = [
    "AppPayload",
    "EditVersion",
    "EditedPart",
    "PayloadError",
    "UrlPreview",
    "app_payload",
    "edit_history",
    "is_unsent",
    "unsent_parts",
    "url_preview",
]

EditStatus = Literal["edited", "unsent", "original"]


class PayloadError(ValueError):
    """A ``message_summary_info`` / ``payload_data`` value is not a readable plist."""


@dataclass(frozen=True)
class EditVersion:
    """One version of an edited body part, oldest first in :attr:`EditedPart.versions`."""

    text: str | None
    date: datetime | None
    compatibility_guid: str | None = None


@dataclass(frozen=True)
class EditedPart:
    """The edit state of one body part (``__kIMMessagePartAttributeName`` index)."""

    index: int
    status: EditStatus
    versions: list[EditVersion] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        """The part's latest text (``None`` for an unsent or never-edited part)."""
        return self.versions[-1].text if self.versions else None


@dataclass(frozen=True)
class UrlPreview:
    """What a link-preview balloon shows."""

    url: str | None
    title: str | None = None
    summary: str | None = None
    site_name: str | None = None
    original_url: str | None = None
    item_type: str | None = None
    placeholder: bool = False


@dataclass(frozen=True)
class AppPayload:
    """Text fields of an iMessage app message balloon."""

    app_name: str | None
    url: str | None
    caption: str | None = None
    subcaption: str | None = None
    secondary_subcaption: str | None = None
    tertiary_subcaption: str | None = None
    image_title: str | None = None
    image_subtitle: str | None = None
    ldtext: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def summary(self) -> str | None:
        """Best one-line description: ``ldtext``, else caption/subcaption, else the app name."""
        for value in (self.ldtext, self.caption, self.subcaption, self.app_name):
            if value:
                return value
        return None


def _load(data: bytes | bytearray | memoryview | dict[str, Any]) -> Any:
    if isinstance(data, dict):
        return data
    try:
        return load_plist(data)
    except KeyedArchiveError as exc:
        raise PayloadError(str(exc)) from exc


def _date(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return apple_time(value)
        except OverflowError:
            return None
    return None


def _part_indices(value: Any) -> list[int]:
    out: list[int] = []
    for item in value if isinstance(value, list) else []:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            continue
    return out


def edit_history(plist_bytes: bytes | bytearray | memoryview | dict[str, Any]) -> list[EditedPart]:
    """Read the edit and unsend history from ``message.message_summary_info``.

    Returns one :class:`EditedPart` per body part the plist mentions, ordered by
    part index: ``"edited"`` parts carry every version (oldest first, dates in
    UTC), ``"unsent"`` parts have no versions, other parts listed in ``otr`` are
    ``"original"``. A version whose typedstream cannot be read keeps its date
    and has ``text=None``.

    Raises:
        PayloadError: the bytes are not a property list.
    """
    info = _load(plist_bytes)
    if not isinstance(info, dict):
        return []
    parts: dict[int, EditedPart] = {}
    edits = info.get("ec")
    if isinstance(edits, dict):
        for key, events in edits.items():
            try:
                index = int(key)
            except (TypeError, ValueError):
                continue
            versions = []
            for event in events if isinstance(events, list) else []:
                if not isinstance(event, dict):
                    continue
                text = None
                blob = event.get("t")
                if isinstance(blob, bytes):
                    try:
                        text = decode_attributed_body(blob).text
                    except TypedStreamError:
                        text = None
                guid = event.get("bcg")
                versions.append(EditVersion(text, _date(event.get("d")), guid if isinstance(guid, str) else None))
            parts[index] = EditedPart(index, "edited", versions)
    for index in _part_indices(info.get("rp")):
        parts[index] = EditedPart(index, "unsent")
    originals = info.get("otr")
    if isinstance(originals, dict):
        for key in originals:
            try:
                index = int(key)
            except (TypeError, ValueError):
                continue
            parts.setdefault(index, EditedPart(index, "original"))
    return [parts[i] for i in sorted(parts)]


def unsent_parts(plist_bytes: bytes | bytearray | memoryview | dict[str, Any]) -> list[int]:
    """Indices of the body parts that were unsent (``rp``), in ascending order."""
    info = _load(plist_bytes)
    return sorted(set(_part_indices(info.get("rp")))) if isinstance(info, dict) else []


def is_unsent(plist_bytes: bytes | bytearray | memoryview | dict[str, Any], part: int | None = None) -> bool:
    """True if the message (or, with ``part``, that body part) was unsent by its sender."""
    parts = unsent_parts(plist_bytes)
    return bool(parts) if part is None else part in parts


def _unarchived(payload: bytes | bytearray | memoryview | dict[str, Any]) -> Any:
    try:
        return unarchive(payload)
    except KeyedArchiveError as exc:
        raise PayloadError(str(exc)) from exc


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def url_preview(payload_bytes: bytes | bytearray | memoryview | dict[str, Any]) -> UrlPreview | None:
    """Extract the link preview (title, URL, summary, site name) from ``payload_data``.

    Understands ``RichLink`` archives (``richLinkMetadata``) and
    ``LPSharingMetadataWrapper`` archives (``metadata``). Returns ``None`` when
    the payload is not a link preview (for instance an app message).

    Raises:
        PayloadError: the bytes are not a property list.
    """
    root = _unarchived(payload_bytes)
    if not isinstance(root, dict):
        return None
    metadata = root.get("richLinkMetadata")
    if not isinstance(metadata, dict):
        metadata = root.get("metadata")
    if not isinstance(metadata, dict):
        if root.get("$class") == "LPLinkMetadata":
            metadata = root
        else:
            return None
    url = _text(metadata.get("URL")) or _text(metadata.get("originalURL"))
    return UrlPreview(
        url=url,
        title=_text(metadata.get("title")),
        summary=_text(metadata.get("summary")),
        site_name=_text(metadata.get("siteName")),
        original_url=_text(metadata.get("originalURL")),
        item_type=_text(metadata.get("itemType")),
        placeholder=bool(root.get("richLinkIsPlaceholder", False)),
    )


def app_payload(payload_bytes: bytes | bytearray | memoryview | dict[str, Any]) -> AppPayload | None:
    """Extract the caption, subcaptions, URL and ``ldtext`` of an app message's ``payload_data``.

    Returns ``None`` when the payload is not an app message (e.g. a link preview).
    ``raw`` keeps the whole unarchived payload for app-specific decoding.

    Raises:
        PayloadError: the bytes are not a property list.
    """
    root = _unarchived(payload_bytes)
    if not isinstance(root, dict) or "richLinkMetadata" in root or "metadata" in root:
        return None
    user_info = root.get("userInfo")
    info = user_info if isinstance(user_info, dict) else {}
    if not info and not any(k in root for k in ("an", "ldtext", "URL", "layoutClass")):
        return None
    return AppPayload(
        app_name=_text(root.get("an")),
        url=_text(root.get("URL")),
        caption=_text(info.get("caption")),
        subcaption=_text(info.get("subcaption")),
        secondary_subcaption=_text(info.get("secondary-subcaption")),
        tertiary_subcaption=_text(info.get("tertiary-subcaption")),
        image_title=_text(info.get("image-title")),
        image_subtitle=_text(info.get("image-subtitle")),
        ldtext=_text(root.get("ldtext")),
        raw=root,
    )
