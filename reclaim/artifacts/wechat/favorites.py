"""WeChat Favorites (收藏) of every account: live items and deleted ones carved from free space.

Each account keeps its favorites in ``Library/WechatPrivate/<H>/Favorites/fav.db``,
table ``FavoritesItemTable(LocalId, Type, Time, FromUsr, ToUsr, RealChatName,
SourceType, Xml)``. ``Xml`` is a ``<favitem type=…>`` document: ``source`` (who
and which chat it was saved from, when, the original link), ``title``, ``desc``,
``datalist/dataitem`` (the pieces: text, pictures, voice, video, files, the
messages of a saved chat record), ``weburlitem`` (link cards) and ``locitem``
(places). The pieces' files sit in ``Favorites/Data/<md5[0:2]>/<md5[-2:]>/<md5>.<fmt>``
(``fullmd5``; thumbnails ``<thumbfullmd5>.fav_thumb``); a file the phone no
longer has is listed as missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from reclaim.artifacts.base import MediaRef, Provenance, Record, from_unix_time, text_or_empty
from reclaim.artifacts.wechat import xmltools as X
from reclaim.artifacts.wechat.accounts import DOMAIN, Account, account_databases
from reclaim.artifacts.wechat.contacts import Directory, load
from reclaim.case.context import Database, ScanContext
from reclaim.media import extension_for, sniff_mime

TABLE = "FavoritesItemTable"
#: ``Type`` / ``<favitem type>`` values (PA's model and what the app shows).
FAV_TYPES = {1: "text", 2: "image", 3: "voice", 4: "video", 5: "link", 6: "location", 7: "music", 8: "file",
             14: "chat-record", 16: "video", 18: "note", 19: "mini-program", 20: "channels-video"}
#: ``dataitem/@datatype`` values.
DATA_TYPES = {1: "text", 2: "image", 3: "voice", 4: "video", 5: "link", 6: "location", 7: "music", 8: "file",
              14: "chat-record", 15: "video", 17: "chat-record", 18: "note"}
_ROLES = {"image": "full", "voice": "voice", "video": "full", "file": "file", "music": "full"}


@dataclass(kw_only=True)
class WeChatFavorite(Record):
    """One item of an account's WeChat Favorites."""

    KIND = "wechat-favorites"

    account: str = ""
    account_name: str = ""
    local_id: int | None = None  # LocalId
    type: int = 0
    type_name: str = ""  # text | image | voice | video | link | location | file | chat-record | note …
    title: str = ""
    description: str = ""
    text: str = ""  # the saved text, a note's text, or a chat record's messages one per line
    url: str = ""
    sender: str = ""  # who wrote what was saved (name)
    sender_id: str = ""
    chat: str = ""  # the chat it was saved from (name)
    chat_id: str = ""  # "<account>:<chat username>"
    place: str = ""  # a saved location: "poi, address"
    latitude: float | None = None
    longitude: float | None = None
    #: the pieces: {type, text, title, format, size, sender, date}
    items: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[MediaRef] = field(default_factory=list)
    service: str = "WeChat"

    def record_label(self) -> str:
        return self.title or self.description or self.text[:80] or self.type_name

    def chat_key(self) -> str | None:
        return None  # a list of saved items, not a conversation

    def search_text(self) -> str:
        parts = [self.title, self.description, self.text, self.url, self.sender, self.chat]
        parts.append(self.place)
        parts += [a.name for a in self.attachments]
        return "\n".join(p for p in parts if p)


def extract(ctx: ScanContext) -> Iterator[WeChatFavorite]:
    """Every account's WeChat Favorites: saved texts, photos, voice, videos, links, places, files, chats, notes."""
    for account, db in account_databases(ctx, lambda a: f"Library/WechatPrivate/{a.folder}/Favorites/fav.db"):
        if not db.has(TABLE, "Xml"):
            ctx.warn(f"{db.source}: no {TABLE} table")
            continue
        yield from _Reader(ctx, account, load(ctx, account), db).run()


class _Reader:
    """Reads one account's ``fav.db``."""

    def __init__(self, ctx: ScanContext, account: Account, directory: Directory, db: Database) -> None:
        self.ctx, self.account, self.dir, self.db = ctx, account, directory, db
        self.data_root = f"Library/WechatPrivate/{account.folder}/Favorites/Data"

    def run(self) -> Iterator[WeChatFavorite]:
        cols = self.db.columns(TABLE)
        names = [c for c in ("LocalId", "Type", "Time", "FromUsr", "ToUsr", "RealChatName", "SourceType", "Xml")
                 if c in cols]
        key = "LocalId" if "LocalId" in cols else "rowid"
        live_ids: set[int] = set()
        live_xml: set[str] = set()
        sql = f'SELECT rowid AS _rowid, {", ".join(names)} FROM "{TABLE}" ORDER BY {key}'
        for row in self.db.rows(sql):
            values = dict(row)
            local_id = values.get("LocalId") if isinstance(values.get("LocalId"), int) else values["_rowid"]
            live_ids.add(local_id)
            if isinstance(values.get("Xml"), str):
                live_xml.add(values["Xml"])
            yield self.favorite(values, local_id)
        done: set[str] = set()
        for carved in self.db.carve(tables=[TABLE]):
            if carved.table != TABLE:
                continue
            values = carved.values
            xml = values.get("Xml")
            if not isinstance(xml, str) or "<favitem" not in xml or xml in live_xml or xml in done:
                continue
            local_id = values.get("LocalId") if isinstance(values.get("LocalId"), int) else carved.rowid
            if local_id is not None and local_id in live_ids:
                continue
            done.add(xml)
            record = self.favorite(values, local_id, deleted=True, provenance=Provenance.of(carved))
            record.id = (f"wechat-favorites:{self.account.id}:deleted:{carved.area}:"
                         f"{carved.frame if carved.frame is not None else carved.page}:{carved.offset}")
            yield record

    # -- one item --------------------------------------------------------------------------------

    def favorite(self, values: dict[str, Any], local_id: int | None, *, deleted: bool = False,
                 provenance: Provenance | None = None) -> WeChatFavorite:
        root = X.parse(values.get("Xml") if isinstance(values.get("Xml"), str) else "")
        if root is not None and root.tag != "favitem":
            inner = root.find(".//favitem")
            root = inner if inner is not None else root
        ftype = _int(values.get("Type")) or X.as_int(root.get("type") if root is not None else None)
        source = root.find("source") if root is not None else None
        sender_id = text_or_empty(values.get("FromUsr")) or X.text(source, "fromusr")
        chat_user = text_or_empty(values.get("RealChatName")) or X.text(source, "realchatname") or sender_id
        when = _int(values.get("Time")) or X.as_int(X.text(source, "createtime"))
        items = [self.item(d) for d in root.iterfind("datalist/dataitem")] if root is not None else []
        title = X.text(root, "title")
        desc = X.text(root, "desc")
        url = X.text(source, "link") or X.text(root, "weburlitem/link")
        web = root.find("weburlitem") if root is not None else None
        if web is not None:
            title = title or X.text(web, "pagetitle")
            desc = desc or X.text(web, "pagedesc")
        type_name = FAV_TYPES.get(ftype, f"type-{ftype}")
        text = self._text(type_name, desc, items)
        location = _location(root.find("locitem") if root is not None else None)
        if not location and items and items[0]["type"] == "location":
            location = items[0].get("location") or {}
        attachments: list[MediaRef] = []
        for piece in items:
            attachments.extend(piece.pop("_media", []))
            piece.pop("location", None)
        if not title and type_name == "file" and items:
            title = items[0].get("title", "")
        return WeChatFavorite(
            id=f"wechat-favorites:{self.account.id}:{local_id}", date=from_unix_time(when) if when else None,
            deleted=deleted, provenance=provenance, source=self.db.source, account=self.account.id,
            account_name=self.account.display, local_id=local_id, type=ftype, type_name=type_name, title=title,
            description=desc if desc != text else "", text=text, url=url, sender=self.dir.name(sender_id),
            sender_id=sender_id, chat=self.dir.chat_name(chat_user) if chat_user else "",
            chat_id=f"{self.account.id}:{chat_user}" if chat_user else "", place=location.get("place", ""),
            latitude=location.get("latitude"), longitude=location.get("longitude"), items=items,
            attachments=attachments,
        )

    @staticmethod
    def _text(type_name: str, desc: str, items: list[dict[str, Any]]) -> str:
        if type_name == "chat-record":
            lines = [f"{i.get('sender') or '?'}: {i.get('text') or '[' + i['type'] + ']'}" for i in items]
            return "\n".join(lines)
        if type_name in ("text", "note"):
            texts = [i["text"] for i in items if i["type"] == "text" and i.get("text")]
            return desc or "\n".join(texts)
        return ""

    def item(self, el: ET.Element) -> dict[str, Any]:
        """One ``dataitem``: its kind, text, file name and size, who wrote it (chat records), its files."""
        dtype = X.as_int(el.get("datatype"))
        kind = DATA_TYPES.get(dtype, f"type-{dtype}")
        fmt = X.text(el, "datafmt")
        src = el.find("dataitemsource")
        sender_id = X.text(src, "fromusr") or X.text(src, "realchatname")
        piece: dict[str, Any] = {"type": kind, "text": X.text(el, "datadesc"), "title": X.text(el, "datatitle"),
                                 "format": fmt, "size": X.as_int(X.text(el, "fullsize")),
                                 "sender": X.text(el, "datasrcname") or (self.dir.name(sender_id) if sender_id
                                                                         else ""),
                                 "date": X.text(el, "datasrctime") or X.text(src, "createtime")}
        if el.find("locitem") is not None:
            piece["location"] = _location(el.find("locitem"))
        media: list[MediaRef] = []
        full_md5, thumb_md5 = X.text(el, "fullmd5").lower(), X.text(el, "thumbfullmd5").lower()
        if full_md5 and kind in _ROLES:
            media.append(self._full(full_md5, fmt, kind, piece["title"]))
        if thumb_md5:
            thumb = self._optional(thumb_md5, ("fav_thumb",), "thumbnail", f"{thumb_md5[:12]}_thumb")
            if thumb is not None:
                media.append(thumb)
        piece["_media"] = media
        return piece

    # -- files -------------------------------------------------------------------------------------

    def _rel(self, md5: str, ext: str) -> str:
        return f"{self.data_root}/{md5[:2]}/{md5[-2:]}/{md5}.{ext}"

    def _full(self, md5: str, fmt: str, kind: str, title: str) -> MediaRef:
        exts = tuple(dict.fromkeys(e for e in (fmt, "fav_dat") if e))
        stem = title.rsplit(".", 1)[0] if kind == "file" and title else md5[:12]
        name = title if kind == "file" and title else f"{stem}.{fmt or 'dat'}"
        if kind == "voice":
            name = f"{stem}.{fmt or 'silk'}"
        for ext in exts:
            rel = self._rel(md5, ext)
            entry = self.ctx.get(DOMAIN, rel)
            if entry is not None and entry.is_file:
                if kind == "image":
                    return self._picture(entry, rel, "full", stem)
                if kind == "voice":
                    from reclaim.media.silk import wav_preview

                    return self.ctx.media(entry, name=name, role="voice", origin=f"{DOMAIN}/{rel}",
                                          preview=wav_preview)
                return self.ctx.media(entry, name=name, role=_ROLES[kind], origin=f"{DOMAIN}/{rel}")
        return MediaRef(name=name, origin=f"{DOMAIN}/{self._rel(md5, exts[0])}", missing=True, role=_ROLES[kind])

    def _optional(self, md5: str, exts: tuple[str, ...], role: str, stem: str) -> MediaRef | None:
        for ext in exts:
            rel = self._rel(md5, ext)
            entry = self.ctx.get(DOMAIN, rel)
            if entry is not None and entry.is_file:
                return self._picture(entry, rel, role, stem)
        return None

    def _picture(self, entry: Any, rel: str, role: str, stem: str) -> MediaRef:
        head = self.ctx.head(entry, 16)
        if head is None:
            return MediaRef(name=f"{stem}.jpg", origin=f"{DOMAIN}/{rel}", missing=True, role=role,
                            note="could not be read from the source")
        mime = sniff_mime(head)
        ext = extension_for(mime) if mime != "application/octet-stream" else ".jpg"
        return self.ctx.media(entry, name=f"{stem}{ext}", mime=None if mime == "application/octet-stream" else mime,
                              role=role, origin=f"{DOMAIN}/{rel}")


def _location(el: ET.Element | None) -> dict[str, Any]:
    """A ``locitem`` as ``{place, latitude, longitude}`` (empty when there is none)."""
    if el is None:
        return {}
    lat, lng = X.as_float(X.text(el, "lat")), X.as_float(X.text(el, "lng"))
    place = ", ".join(dict.fromkeys(p for p in (X.text(el, "poiname"), X.text(el, "label")) if p))
    if lat is None and lng is None and not place:
        return {}
    return {"place": place, "latitude": lat, "longitude": lng}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


