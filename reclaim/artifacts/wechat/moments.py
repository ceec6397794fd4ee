"""WeChat Moments (朋友圈) posts the app cached, with their likes and comments.

Each account caches the Moments it has shown in ``Documents/<H>/wc/wc005_008.db``,
tables ``MyWC01_<suffix>(Id, FromUser, Buffer, …)``. ``Buffer`` is an
NSKeyedArchiver property list of the post object (``tid``, ``username``,
``nickname``, ``createtime``, ``contentDesc``, ``contentObj`` with the link or
music card and ``mediaList``, ``locationInfo``, ``likeUsers``,
``commentUsers`` with ``bDeleted``…). The suffix is read as the MD5 of the
username whose timeline the table caches (the owner's own posts in the table
named with the account folder hash); that is not certain, so whose post it is
comes from the post itself (``username``, else ``FromUser``), never from the
table name, and the table is not shown. The same post cached in two tables is shown once. Media are
remote URLs (listed, not downloaded). Deleted rows still in the file's free
space are recovered when their buffer decodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reclaim.artifacts.base import Provenance, Record, from_unix_time
from reclaim.artifacts.wechat.accounts import Account, account_databases
from reclaim.artifacts.wechat.contacts import Directory, load
from reclaim.case.context import Database, ScanContext
from reclaim.decoders.keyed_archive import KeyedArchiveError, unarchive

TABLE = re.compile(r"MyWC01_([0-9a-f]{32}|.+)")
#: ``contentObj.type`` as PA's parser reads it (MR's enum differs: see docs/kinds/wechat.md).
CONTENT_TYPES = {1: "photos", 2: "text", 3: "link", 4: "music", 5: "video", 10: "sticker", 15: "video",
                 28: "channels-video", 30: "mini-program"}
_MEDIA_KINDS = {2: "image", 6: "video", 4: "music", 5: "video"}


@dataclass(kw_only=True)
class WeChatMoment(Record):
    """One cached Moments post, with who liked it and the comments under it."""

    KIND = "wechat-moments"

    account: str = ""
    account_name: str = ""
    post_id: str = ""  # the post's tid (a 64-bit number, kept as text)
    author: str = ""  # the name the owner knows
    author_id: str = ""
    own: bool = False  # posted by the account owner
    text: str = ""
    content_type: int = 0
    content_type_name: str = ""  # photos | text | link | music | video | sticker …
    card_title: str = ""  # a shared link's or song's card
    card_description: str = ""
    card_url: str = ""
    place: str = ""  # "poi, address, city"
    latitude: float | None = None
    longitude: float | None = None
    media_urls: list[dict[str, Any]] = field(default_factory=list)  # {type, url, thumb_url, title}: not fetched
    likes: list[dict[str, Any]] = field(default_factory=list)  # {name, username, date}
    comments: list[dict[str, Any]] = field(default_factory=list)  # {name, username, date, text, reply_to, deleted}
    liked_by: str = ""  # the likers' names, for reading ("Mum, Lily Wang")
    comments_text: str = ""  # the comments one per line, for reading ("Lily Wang → Alex Chen: …")
    like_count: int = 0
    comment_count: int = 0
    private: bool = False
    service: str = "WeChat"

    def record_label(self) -> str:
        return f"{self.author}: {self.text[:60]}" if self.text else self.author

    def chat_key(self) -> str | None:
        return None

    def search_text(self) -> str:
        parts = [self.author, self.text, self.card_title, self.card_description, self.card_url, self.place,
                 self.comments_text, self.liked_by]
        return "\n".join(p for p in parts if p)


def extract(ctx: ScanContext) -> Iterator[WeChatMoment]:
    """Every account's cached Moments posts (own and friends'), with likes and comments."""
    for account, db in account_databases(ctx, lambda a: f"{a.root}/wc/wc005_008.db"):
        yield from _Reader(ctx, account, load(ctx, account), db).run()


class _Reader:
    """Reads one account's Moments cache."""

    def __init__(self, ctx: ScanContext, account: Account, directory: Directory, db: Database) -> None:
        self.ctx, self.account, self.dir, self.db = ctx, account, directory, db
        self.seen: set[str] = set()

    def run(self) -> Iterator[WeChatMoment]:
        tables = sorted(t for t in self.db.tables() if TABLE.fullmatch(t))
        if not tables:
            self.ctx.warn(f"{self.db.source}: no MyWC01_ table")
            return
        for table in tables:
            cols = self.db.columns(table)
            if "Buffer" not in cols:
                self.ctx.warn(f"{self.db.source}: {table} has no Buffer column; skipped")
                continue
            from_user = '"FromUser"' if "FromUser" in cols else "NULL"
            order = '"Id"' if "Id" in cols else "rowid"
            for row in self.db.rows(f'SELECT {from_user}, "Buffer" FROM "{table}" ORDER BY {order}'):
                record = self.post(table, row[0], row[1])
                if record is not None:
                    yield record
        for carved in self.db.carve(tables=tables):
            if carved.table is None or not TABLE.fullmatch(carved.table):
                continue
            record = self.post(carved.table, carved.values.get("FromUser"), carved.values.get("Buffer"),
                               provenance=Provenance.of(carved))
            if record is not None:
                yield record

    def post(self, table: str, from_user: Any, buffer: Any, *, provenance: Provenance | None = None
             ) -> WeChatMoment | None:
        """A post from its archived buffer (None when it does not decode or was already seen)."""
        if not isinstance(buffer, bytes) or not buffer.startswith(b"bplist"):
            return None
        try:
            root = unarchive(buffer)
        except (KeyedArchiveError, RecursionError, ValueError, TypeError) as exc:
            if provenance is None:
                self.ctx.warn(f"{self.db.source}: {table}: a post that does not decode ({exc})")
            return None
        if not isinstance(root, dict):
            return None
        tid = str(root.get("tid") or "")
        author_id = _s(root.get("username")) or _s(from_user)
        when = root.get("createtime") or root.get("createTime")
        key = tid or f"{author_id}:{when}"
        if key in self.seen:
            return None
        self.seen.add(key)
        content = root.get("contentObj") if isinstance(root.get("contentObj"), dict) else {}
        ctype = _i(content.get("type"))
        card = _card(content, ctype, root) or {}
        place, lat, lng = _location(root.get("locationInfo"))
        likes = self._people(root.get("likeUsers"), likes=True)
        comments = self._people(root.get("commentUsers"), likes=False)
        deleted = provenance is not None
        return WeChatMoment(
            id=f"wechat-moments:{self.account.id}:{key}" + (":deleted" if deleted else ""),
            date=from_unix_time(when) if isinstance(when, int | float) and when > 0 else None,
            deleted=deleted, provenance=provenance, source=self.db.source, account=self.account.id,
            account_name=self.account.display, post_id=tid, author_id=author_id,
            author=self._name(author_id, root.get("nickname")), own=bool(author_id) and author_id == self.account.wxid,
            text=_s(root.get("contentDesc")), content_type=ctype, content_type_name=CONTENT_TYPES.get(ctype, ""),
            card_title=card.get("title", ""), card_description=card.get("description", ""),
            card_url=card.get("url", ""), place=place, latitude=lat, longitude=lng,
            media_urls=_media(content.get("mediaList")), likes=likes, comments=comments,
            liked_by=", ".join(like["name"] for like in likes if like["name"]),
            comments_text="\n".join(_comment_line(c) for c in comments),
            like_count=_i(root.get("realLikeCount")) or _i(root.get("likeCount")),
            comment_count=_i(root.get("realCommentCount")) or _i(root.get("commentCount")),
            private=bool(root.get("isPrivate")),
        )

    def _name(self, username: str, nickname: Any) -> str:
        if not username:
            return _s(nickname)
        name = self.dir.name(username)
        return _s(nickname) if name == username and _s(nickname) else name

    def _people(self, value: Any, *, likes: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in value if isinstance(value, list) else []:
            if not isinstance(item, dict):
                continue
            kind = _i(item.get("type"))
            if likes != (kind == 1) and kind:  # type 1 = like, else comment (PA); untyped items follow the list
                continue
            username = _s(item.get("username"))
            when = item.get("createTime") or item.get("createtime")
            entry: dict[str, Any] = {
                "name": self._name(username, item.get("nickname")), "username": username,
                "date": _iso(when)}
            if not likes:
                reply = _s(item.get("refUserName"))
                entry.update({"text": _s(item.get("content")), "comment_id": _s(item.get("commentID")),
                              "reply_to": self._name(reply, "") if reply else "", "reply_to_id": reply,
                              "deleted": bool(item.get("bDeleted"))})
            out.append(entry)
        return out


def _comment_line(comment: dict[str, Any]) -> str:
    who = comment["name"] + (f" → {comment['reply_to']}" if comment.get("reply_to") else "")
    return f"{who}: {comment['text']}" + (" (deleted by its author)" if comment.get("deleted") else "")


def _card(content: dict[str, Any], ctype: int, root: dict[str, Any]) -> dict[str, str] | None:
    title, desc = _s(content.get("title")), _s(content.get("desc"))
    url = _s(content.get("linkUrl")) or _s(root.get("shareOpenUrl"))
    music = root.get("wcmusicInfo") if isinstance(root.get("wcmusicInfo"), dict) else None
    if music:
        title = title or _s(music.get("title")) or _s(music.get("musicName"))
        desc = desc or _s(music.get("singerName")) or _s(music.get("desc"))
        url = url or _s(music.get("musicUrl")) or _s(music.get("webUrl"))
    if not (title or url) or ctype in (1, 2):
        return None
    return {"title": title, "description": desc, "url": url}


def _location(value: Any) -> tuple[str, float | None, float | None]:
    """A post's place as "poi, address, city" and its coordinates (0 means none)."""
    if not isinstance(value, dict):
        return "", None, None
    lat, lng = _f(value.get("location_latitude")), _f(value.get("location_longitude"))
    parts = (_s(value.get("poiName")), _s(value.get("poiAddress")) or _s(value.get("poiAdress")), _s(value.get("city")))
    return ", ".join(dict.fromkeys(p for p in parts if p)), lat or None, lng or None


def _media(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        kind = _i(item.get("type"))
        url = _url(item.get("dataUrl")) or _url(item.get("attachUrl"))
        thumb = _url(item.get("lowBandUrl")) or _url(item.get("attachThumbUrl"))
        if not (url or thumb):
            continue
        out.append({"type": _MEDIA_KINDS.get(kind, f"type-{kind}"), "url": url, "thumb_url": thumb,
                    "title": _s(item.get("title"))})
    return out


def _url(value: Any) -> str:
    if isinstance(value, dict):
        return _s(value.get("url"))
    return _s(value)


def _iso(value: Any) -> str | None:
    from reclaim.artifacts.base import iso

    return iso(from_unix_time(value)) if isinstance(value, int | float) and value > 0 else None


def _s(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _i(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
