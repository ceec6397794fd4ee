"""The HTML report: a self-contained folder a non-technical person can browse.

``index.html`` shows the device and every kind with its counts (live and
recovered) or the reason it is empty. Each kind gets its own pages, shaped by the
artifact's ``view``: conversations as chat bubbles (paged per chat, so 100k+
messages stay fast), contacts and notes as cards, photos as a gallery, the rest
as tables. Only media a page shows are copied, once each, under ``media/``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from reclaim import __version__
from reclaim.case.people import Pictures, colour, initials
from reclaim.case.store import media_relpath
from reclaim.export.clock import CLOCK, local
from reclaim.export.csv_generic import flatten
from reclaim.media import extension_for
from reclaim.output import atomic_write_text, safe_component

CHAT_PAGE = 1000
TABLE_PAGE = 500
HIDDEN_FIELDS = {"kind", "id", "source", "_rid", "provenance", "html", "markdown", "deleted", "date"}

_env = Environment(
    loader=PackageLoader("reclaim.export", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _zone_name() -> str | None:
    """The machine's IANA zone name (``Europe/London``) from ``TZ`` or ``/etc/localtime``, if it has one."""
    name = os.environ.get("TZ", "").lstrip(":")
    if "/" not in name or name.startswith("/"):
        try:
            target = os.path.realpath("/etc/localtime")
        except OSError:
            target = ""
        name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    return name or None


def local_zone_label() -> str:
    """The zone the report's times are shown in, e.g. 'Europe/London (GMT, UTC+00:00 / BST, UTC+01:00)'.

    Each time is converted with the offset of its own date, so a zone with summer time names both
    offsets: one offset alone (today's) would be wrong for half the dates in the report.
    """
    year = datetime.now().year
    seen = []
    for month in (1, 7):
        moment = datetime(year, month, 1, 12, tzinfo=UTC).astimezone()
        offset = moment.strftime("%z")
        label = f"{moment.tzname()}, UTC{offset[:3]}:{offset[3:]}"
        if label not in seen:
            seen.append(label)
    if len(seen) == 1:
        seen = [seen[0].replace(", ", " (", 1) + ")"]
    name = _zone_name()
    offsets = " / ".join(seen)
    if name and name not in ("UTC", "Etc/UTC") and len(seen) > 1:
        return f"{name} time ({offsets})"
    if name and name not in ("UTC", "Etc/UTC"):
        return f"{name} time, {offsets}"
    return offsets


def slug(text: str, limit: int = 40) -> str:
    """A short, safe folder name for a chat or kind."""
    cleaned = re.sub(r"[^\w\- ]+", "", text, flags=re.UNICODE).strip().replace(" ", "-")
    return safe_component(cleaned[:limit] or "chat")


_MORE_EXTENSIONS = {"audio/wav": ".wav", "audio/wave": ".wav", "image/x-wechat-wxgf": ".wxgf"}


def report_extension(mime: str) -> str:
    """The extension of a media file in the report: ``extension_for``'s, or one it lacks (Python 3.11's
    table has no ``audio/wav``: WAV previews of voice messages were saved with no extension)."""
    return extension_for(mime) or _MORE_EXTENSIONS.get(mime, "")


#: Why a media file a record names is not shown, when the source did not hold it (the phone may have cleared it).
NOT_IN_SOURCE = "not in the backup"


class MediaCopier:
    """Copies the media a page shows from the case into the report, once each."""

    def __init__(self, case: Any, out: Path) -> None:
        self.case = case
        self.out = out
        self.copied: dict[str, Path] = {}
        self._relative: dict[str, str] = {}

    def path_for(self, sha: str | None, mime: str | None) -> str | None:
        """The report-relative path of a media file (copied on first use), or ``None`` if absent."""
        if not sha:
            return None
        if sha in self._relative:
            return self._relative[sha]
        source = self.case.media_path(sha)
        if source is None:
            return None
        target = self.out / (media_relpath(sha) + report_extension(mime or ""))
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        self.copied[sha] = target
        self._relative[sha] = relative = target.relative_to(self.out).as_posix()
        return relative

    def view(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        """What a template needs to show a media item: original and browser-friendly preview.

        ``type`` is ``image``, ``video`` or ``audio`` only when a browser can show that file (a HEIC
        photo with a JPEG preview is an image; a WeChat ``wxgf`` picture or an AMR voice message
        without a WAV preview is a ``file`` to download, not a broken picture or a silent player).
        """
        if not ref:
            return None
        original = self.path_for(ref.get("sha256"), ref.get("mime"))
        preview = self.path_for(ref.get("preview"), ref.get("preview_mime")) if ref.get("preview") else None
        shown_mime = ref.get("preview_mime") if preview else ref.get("mime", "")
        return {
            "name": ref.get("name") or "file",
            "href": original,
            "src": preview or original,
            "mime": shown_mime or "",
            "type": shown_type(shown_mime or ""),
            "missing": bool(ref.get("missing")) or original is None,
            "why": NOT_IN_SOURCE if ref.get("missing") or not ref.get("sha256") else "gone from the case folder",
            "size": ref.get("size") or 0,
            "role": ref.get("role") or "",
        }


_BROWSER_SHOWS = {
    "image": {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/avif"},
    "video": {"video/mp4", "video/quicktime", "video/webm", "video/ogg"},
    "audio": {"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a",
              "audio/aac", "audio/ogg", "audio/opus", "audio/webm", "audio/flac", "audio/x-flac"},
}


def shown_type(mime: str) -> str:
    """``image``/``video``/``audio`` when a browser plays or shows ``mime`` inline, else ``file``."""
    family = mime.split("/")[0]
    return family if mime.split(";")[0].strip().lower() in _BROWSER_SHOWS.get(family, ()) else "file"


_AREA_WORDS = {
    "app": "from the app's Recently Deleted",
    "thumbnail": "from a thumbnail the phone kept",
    "wal": "from the database's change log",
    "wal-stale": "from the database's change log",
    "journal": "from the database's change log",
    "leftover-file": "from a file the app left behind",
}


def recovered_from(provenance: dict[str, Any] | None) -> str:
    """Plain words for where a deleted record was found (the technical area goes in a tooltip)."""
    area = (provenance or {}).get("area")
    if not area:
        return ""
    return _AREA_WORDS.get(area, "from the database's free space")


def label(key: str) -> str:
    """A record field's name as a column or card heading: ``job_title`` → "Job title" (as the web page shows it)."""
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def _write(target: Path, template: str, **context: Any) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    html = _env.get_template(template).render(version=__version__, zone=local_zone_label(), **context)
    atomic_write_text(target, html)
    return target


def _root(depth: int) -> str:
    return "../" * depth


class _ChatsOnce:
    """The case, with each kind's conversation list read once per report: the chat pages and the contact cards that
    link to them both need it (a million messages' list takes a second)."""

    def __init__(self, case: Any) -> None:
        self._case = case
        self._chats: dict[str, list[dict[str, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)

    def chats(self, kind: str) -> list[dict[str, Any]]:
        if kind not in self._chats:
            self._chats[kind] = self._case.chats(kind)
        return self._chats[kind]


def export_report(case: Any, out: Path, kinds: list[str] | None = None, links: Any = None) -> list[Path]:
    """Write ``index.html`` and every kind's pages (and the links page); returns the files written."""
    case = _ChatsOnce(case)
    media = MediaCopier(case, out)
    statuses = [k for k in case.kinds() if kinds is None or k["kind"] in kinds]
    written: list[Path] = []
    for status in statuses:
        if status["live"] + status["deleted"] == 0:
            continue
        folder = out / "report" / slug(status["kind"])
        view = status.get("view") or "table"
        if view == "chat":
            written += _chat_kind(case, status, folder, media)
        else:
            chats = {s["kind"] for s in statuses if s.get("view") == "chat" and s["live"] + s["deleted"]}
            written += _list_kind(case, status, folder, media, view, chats)
        status["href"] = f"report/{slug(status['kind'])}/index.html"
    links_tile = None
    if links is not None:
        from reclaim.links.export import page_items

        counts = links.counts()
        written.append(_write(out / "report" / "links" / "index.html", "links.html", root=_root(2), counts=counts,
                              items=page_items(links, media), images_checked=links.images_checked,
                              indicators=links.indicators, titles={k["kind"]: k["title"] for k in case.kinds()}))
        links_tile = {"href": "report/links/index.html", **counts}
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    written.append(
        _write(out / "index.html", "index.html", root="", source=case.source(), kinds=statuses,
               scan=case.meta("scan", {}), links=links_tile, generated=generated)
    )
    return written + list(media.copied.values())


# -- conversations -----------------------------------------------------------------------


RECOVERED_LISTED = 1000  # recovered messages listed on a chat kind's index page (the rest are counted)


class RecoveredList:
    """The recovered messages a chat kind's index lists, with links to them in their transcripts.

    Only the first ``RECOVERED_LISTED`` are kept (the rest are counted), so memory does not grow
    with the number of deleted messages found.
    """

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.more = 0

    def add(self, chat: str, href: str, message: MessageView) -> None:
        if len(self.items) >= RECOVERED_LISTED:
            self.more += 1
            return
        self.items.append({"chat": chat, "href": href, "when": local(message.utc), "utc": message.utc,
                           "sender": message.sender, "direction": message.direction, "text": _snippet(message),
                           "where": recovered_from(message.provenance)})


class Faces:
    """The face beside each message of a chat page, as WeChat and Messages show it: the sender's profile picture
    when the case holds one (:class:`~reclaim.case.people.Pictures`), else their initials on a colour of their
    own. Made once per sender; decoration only (the name is beside it in groups, the chat's title otherwise), so
    screen readers skip it and it carries no title (a million messages' pages stay small)."""

    def __init__(self, pictures: Pictures, media: MediaCopier, root: str, *, chats: bool = False) -> None:
        self.pictures = pictures
        self.media = media
        self.root = root
        self.chats = chats
        self._made: dict[tuple[str, str], Markup] = {}

    def html(self, sender_id: Any, sender: str) -> Markup:
        """The ``.av`` element for a message's sender (by id and shown name), or, made with ``chats``, for a
        conversation (by its id and name: the picture of the person a one-to-one chat is with)."""
        if type(sender_id) is not str:
            sender_id = ""  # (a recovered record can hold anything there)
        face = self._made.get((sender_id, sender))
        if face is None:
            picture = self.pictures.for_chat(sender_id) if self.chats else self.pictures.find(sender_id)
            view = self.media.view(picture) if picture else None
            if view is not None and view["type"] == "image" and not view["missing"]:
                face = Markup(f'<img class="av" src="{_escape(self.root + view["src"])}" alt="">')
            else:
                face = Markup(f'<span class="av c{colour(sender_id or sender)}" aria-hidden="true">'
                              f'{_escape(initials(sender))}</span>')
            self._made[sender_id, sender] = face
        return face


def _chat_name(chat: dict[str, Any]) -> str:
    return chat["chat"] or chat["chat_id"] or "Unknown chat"


def _chat_dir(number: int, chat: dict[str, Any]) -> str:
    """The folder of a conversation's pages (numbered in the chat list's order: newest first)."""
    return f"{number:04d}-{slug(_chat_name(chat))}"


def _chat_kind(case: Any, status: dict[str, Any], folder: Path, media: MediaCopier) -> list[Path]:
    written = []
    chats = case.chats(status["kind"])
    rows = []
    recovered = RecoveredList()
    pictures = case.pictures()
    faces, chat_faces = Faces(pictures, media, _root(3)), Faces(pictures, media, _root(2), chats=True)
    for number, chat in enumerate(chats, 1):
        name = _chat_name(chat)
        chat_dir = _chat_dir(number, chat)
        pages, missing = _chat_pages(case, status, chat, name, folder / chat_dir, media, recovered, faces)
        written += pages
        rows.append({**chat, "name": name, "href": f"{chat_dir}/page-1.html", "missing": missing,
                     "first_local": local(chat["first"]),
                     "last_local": local(chat["last"]),
                     "face": chat_faces.html(chat["chat_id"], name)})
    written.append(_write(folder / "index.html", "chats.html", root=_root(2), status=status, chats=rows,
                          recovered=recovered))
    return written


def _chat_pages(case: Any, status: dict[str, Any], chat: dict[str, Any], name: str, folder: Path,
                media: MediaCopier, recovered: RecoveredList | None = None,
                faces: Faces | None = None) -> tuple[list[Path], int]:
    """Write one conversation's pages; each recovered message gets an anchor and an entry in ``recovered``.
    Returns the pages and how many of the conversation's files the source no longer holds (the chat list says
    so: the phone may have cleared them)."""
    total = chat["messages"]
    page_count = max(1, math.ceil(total / CHAT_PAGE))
    records = case.records(status["kind"], chat_id=chat["chat_id"]) if chat["chat_id"] is not None else iter(())
    written = []
    senders = set()
    missing = 0
    face = faces.html if faces is not None else None
    for page in range(1, page_count + 1):
        batch = []
        for record in _take(records, CHAT_PAGE):
            view = MessageView(record, media)
            if view.attachments:  # (not one the case lost since: that is no news about the phone)
                missing += sum(1 for a in view.attachments if a and a["missing"] and a["why"] == NOT_IN_SOURCE)
            if face is not None and view.direction != "system":
                view.face = face(record.get("sender_id"), view.sender)
            if view.direction == "incoming" and view.sender:
                senders.add(view.sender)  # the owner's own name on outgoing messages does not make a group
            batch.append(view)
            if view.anchor and recovered is not None:
                recovered.add(name, f"{folder.name}/page-{page}.html#{view.anchor}", view)
        group = len(senders - {"Me"}) > 1
        jumps = [m for m in batch if m.anchor]
        _with_days(batch)
        if _PLAIN_BUBBLES:
            for view in batch:
                view.html = view.plain_html(group)
        written.append(
            _write(folder / f"page-{page}.html", "chat.html", root=_root(3), status=status, chat=chat, name=name,
                   messages=batch, page=page, pages=page_count, group=group, jumps=jumps)
        )
    return written, missing


def _snippet(message: MessageView, limit: int = 140) -> str:
    """The first words of a message, or what it holds when it has no text (for the recovered list)."""
    text = " ".join(message.text.split())
    if not text and message.attachments:
        text = ", ".join(a["name"] for a in message.attachments if a)
    if not text and message.card:
        text = message.card.get("title") or message.card.get("url") or ""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _take(iterator: Iterator[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        item = next(iterator, None)
        if item is None:
            return
        yield item


class MessageView:
    """What the chat template shows of one message (attributes, which templates read fastest)."""

    __slots__ = ("anchor", "attachments", "card", "day", "deleted", "direction", "face", "html", "new_day",
                 "provenance", "quote", "reactions", "sender", "status", "text", "time", "type_name", "utc")

    def __init__(self, record: dict[str, Any], media: MediaCopier) -> None:
        get = record.get
        date = get("date")
        shown = CLOCK.parts(date)
        self.text = get("text") or ""
        self.sender = get("sender") or ""
        self.direction = get("direction") or "incoming"
        self.time, self.day = shown if shown else ("", "Date unknown")
        self.utc = date or ""
        self.deleted = get("deleted")
        self.anchor = f"recovered-{get('_rid') or abs(hash(get('id')))}" if self.deleted else ""
        self.provenance = get("provenance")
        self.status = get("status") or ""
        card = get("card")
        if card and type(card) is dict and card.get("type") == "system" and not (card.get("title") or card.get("url")):
            card = None  # a system line's card holds only the app's event codes (WhatsApp's): nothing to show
        self.card = card
        self.quote = get("quote")
        self.reactions = get("reactions") or []
        attachments = get("attachments")
        self.attachments = [media.view(a) for a in attachments] if attachments else []
        self.type_name = get("type_name") or ""
        self.new_day = False
        self.face: Markup | str = ""  # the sender's picture or initials (see Faces), none for a system line
        self.html: Markup | None = None  # the bubble's HTML, written here when it is text alone (plain_html)

    def plain_html(self, group: bool) -> Markup | None:
        """The HTML ``chat.html`` writes for this message when it is text alone (no quote, attachment, card,
        status or reaction, not recovered): written directly, ten times quicker than through the template
        (a test renders pages both ways and compares them); ``None`` for any other message."""
        if self.deleted or self.quote or self.attachments or self.card or self.status or self.reactions:
            return None
        if not (type(self.text) is str and type(self.sender) is str and type(self.direction) is str
                and type(self.utc) is str):
            return None  # an odd record: the template shows anything
        day = f'<div class="day"><span>{_escape(self.day)}</span></div>' if self.new_day else ""
        who = f'<div class="who">{_escape(self.sender)}</div>' if group and self.direction == "incoming" \
            and self.sender else ""
        return Markup(f'{day}  <div class="msg {_escape(self.direction)}">\n{self.face}{who}    <div class="bubble">'
                      f'{_escape(self.text)}</div>\n    <div class="meta" title="{_escape(self.utc)}">'
                      f'{self.time}</div>\n  </div>\n')  # (the time is the clock's digits: nothing to escape)


_SPECIAL = re.compile("[&<>'\"]").search


def _escape(text: str) -> str:
    """What the templates' escaping (``markupsafe.escape``) makes of a text, as plain text (most need none)."""
    if _SPECIAL(text) is None:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") \
        .replace('"', "&#34;")


#: Whether chat pages write plain bubbles directly (:meth:`MessageView.plain_html`; tests turn it off to compare).
_PLAIN_BUBBLES = True


def _with_days(messages: list[MessageView]) -> list[MessageView]:
    previous = None
    for message in messages:
        message.new_day = message.day != previous
        previous = message.day
    return messages


# -- tables, cards, galleries --------------------------------------------------------------


def _columns(sample: list[dict[str, Any]]) -> list[str]:
    """The table's columns: the simple fields of the first records, without one that only repeats the Date column."""
    cols: list[str] = []
    for record in sample:
        for key, value in record.items():
            if key in HIDDEN_FIELDS or key in cols:
                continue
            if isinstance(value, _SIMPLE) or (isinstance(value, list) and value):
                cols.append(key)
    dated = any(r.get("date") for r in sample)
    same_as_date = {c for c in cols if dated and all(r.get(c) == r.get("date") for r in sample)}
    return [c for c in cols if c not in same_as_date][:9]


def _list_kind(case: Any, status: dict[str, Any], folder: Path, media: MediaCopier, view: str,
               chat_kinds: Collection[str] = ()) -> list[Path]:
    """Write a kind's table, cards or gallery pages. A contact whose conversation is in the report (a WeChat
    contact's ``chat_id``, in ``wechat``: one of ``chat_kinds``) links to it."""
    kind = status["kind"]
    total = status["live"] + status["deleted"]
    page_count = max(1, math.ceil(total / TABLE_PAGE))
    records = case.records(kind)
    template = f"{view if view in ('cards', 'gallery') else 'table'}.html"
    chat_kind = kind.removesuffix("-contacts")
    talks = {c["chat_id"]: f"../{slug(chat_kind)}/{_chat_dir(n, c)}/page-1.html"
             for n, c in enumerate(case.chats(chat_kind), 1)} if chat_kind != kind and chat_kind in chat_kinds else {}
    written = []
    for page in range(1, page_count + 1):
        batch = list(_take(records, TABLE_PAGE))
        cols = _columns(batch[:50])
        items = [ItemView(r, media, template, cols) for r in batch]
        for item in items if talks else ():
            item.chat_href = talks.get(item.record.get("chat_id"), "")
        name = "index.html" if page == 1 else f"page-{page}.html"
        written.append(
            _write(folder / name, template, root=_root(2), status=status, items=items, columns=cols, page=page,
                   pages=page_count)
        )
    return written


_MEDIA_FIELDS = ("media", "photo", "edited_media", "live_video", "audio")
_NESTED = (list, dict)  # tuples made once (``list | dict`` builds a union at every evaluation)
_SIMPLE = (str, int, float, bool)
_NOT_FIELDS = HIDDEN_FIELDS | {*_MEDIA_FIELDS, "attachments"}


class ItemView:
    """What a table, card or gallery template shows of one record (only what that template needs)."""

    __slots__ = ("cells", "chat_href", "date", "deleted", "fields", "html", "media", "provenance", "record", "title",
                 "utc")

    def __init__(self, record: dict[str, Any], media: MediaCopier, template: str = "cards.html",
                 columns: list[str] | None = None) -> None:
        get = record.get
        shown = []
        for key in _MEDIA_FIELDS:
            ref = get(key)
            if isinstance(ref, dict) and ("sha256" in ref or ref.get("missing")):
                shown.append(media.view(ref))
        for ref in get("attachments") or []:
            if isinstance(ref, dict):
                shown.append(media.view(ref))
        self.fields: list[tuple[str, str]] = []
        if template == "cards.html":
            body = get("html") or get("text")
            for key, value in record.items():
                shown_in_body = body and (key == "snippet" or isinstance(value, _NESTED))
                if key in _NOT_FIELDS or value is False or shown_in_body:
                    continue  # "no" flags and what the note's body already shows are noise on a card
                if text := _cell(value):
                    self.fields.append((key.replace("_", " "), text))
        self.cells = [_cell(get(c)) for c in columns or ()] if template == "table.html" else []
        date = get("date")
        if get("all_day") is True:  # a day, not a moment: shifting its midnight into local time would show 01:00
            self.fields = [(k, _day_only(v)) for k, v in self.fields]
            self.cells = [_day_only(c) for c in self.cells]
        self.title = (get("name") or get("title") or get("filename") or _headline(get("text"))
                      or get("author") or get("sender") or get("url") or get("id"))
        self.date = _day_only(date) if get("all_day") is True and isinstance(date, str) else local(date)
        self.utc = date or ""
        self.deleted = get("deleted")
        self.provenance = get("provenance")
        self.record = record
        self.media = [m for m in shown if m]
        self.html = get("html")
        self.chat_href = ""  # the conversation with this contact, when the report has it


def _headline(text: Any, limit: int = 80) -> str:
    """The first line of a record's text, short enough for a card's heading ("" when there is none)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    line = text.strip().splitlines()[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _item_view(record: dict[str, Any], media: MediaCopier) -> ItemView:
    return ItemView(record, media)


_ISO_CELL = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")
_LOCAL_CELL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def _day_only(value: str) -> str:
    """The calendar day of an all-day item's date: its stored (floating) date, never shifted by a zone."""
    if _ISO_CELL.fullmatch(value):
        return value[:10]
    return value[:10] if _LOCAL_CELL.fullmatch(value) else value


def _cell(value: Any) -> str:
    if type(value) is str:
        if len(value) <= 2000 and not (value[-1:] == "Z" and _ISO_CELL.fullmatch(value)):
            return value
        if value[-1:] == "Z" and _ISO_CELL.fullmatch(value):
            return local(value)
    text = flatten(value)
    return text if len(text) <= 2000 else text[:2000] + "…"


_SOURCE_WORDS = {
    "itunes-backup": "iTunes / Finder backup",
    "itunes-backup-legacy": "iTunes backup (old format)",
    "filesystem": "full file-system extraction (folder)",
    "zip": "full file-system extraction (ZIP)",
    "tar": "full file-system extraction (TAR)",
    "device-afc": "the connected iPhone",
    "app-folder": "an app's folder",
    "database": "a single database file",
}


def source_words(kind: str | None) -> str:
    """What kind of copy of the phone the report was made from, in words (the code when unknown)."""
    return _SOURCE_WORDS.get(kind or "", kind or "unknown")


_env.globals["cell"] = _cell
_env.filters["label"] = label
_env.filters["source_words"] = source_words
_env.filters["recovered_from"] = recovered_from
_env.filters["local"] = local
_env.filters["filesize"] = lambda n: (
    f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB" if n >= 1e3 else f"{n} B"
)
