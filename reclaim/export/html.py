"""The HTML report: a self-contained folder a non-technical person can browse.

``index.html`` shows the device and every kind with its counts (live and
recovered) or the reason it is empty. Each kind gets its own pages, shaped by the
artifact's ``view``: conversations as chat bubbles (paged per chat, so 100k+
messages stay fast), contacts and notes as cards, photos as a gallery, the rest
as tables. Only media a page shows are copied, once each, under ``media/``.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from reclaim import __version__
from reclaim.case.store import media_relpath
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


def local_zone_label() -> str:
    """The zone the report's times are shown in, e.g. 'CET (UTC+01:00)'."""
    now = datetime.now().astimezone()
    offset = now.strftime("%z")
    return f"{now.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def local(value: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO UTC date shown in the machine's local time."""
    moment = parse_iso(value)
    return moment.astimezone().strftime(fmt) if moment else ""


def slug(text: str, limit: int = 40) -> str:
    """A short, safe folder name for a chat or kind."""
    cleaned = re.sub(r"[^\w\- ]+", "", text, flags=re.UNICODE).strip().replace(" ", "-")
    return safe_component(cleaned[:limit] or "chat")


class MediaCopier:
    """Copies the media a page shows from the case into the report, once each."""

    def __init__(self, case: Any, out: Path) -> None:
        self.case = case
        self.out = out
        self.copied: dict[str, Path] = {}

    def path_for(self, sha: str | None, mime: str | None) -> str | None:
        """The report-relative path of a media file (copied on first use), or ``None`` if absent."""
        if not sha:
            return None
        if sha in self.copied:
            return self.copied[sha].relative_to(self.out).as_posix()
        source = self.case.media_path(sha)
        if source is None:
            return None
        target = self.out / (media_relpath(sha) + extension_for(mime or ""))
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        self.copied[sha] = target
        return target.relative_to(self.out).as_posix()

    def view(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        """What a template needs to show a media item: original and browser-friendly preview."""
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
            "type": (shown_mime or "").split("/")[0],
            "missing": bool(ref.get("missing")) or original is None,
            "size": ref.get("size") or 0,
            "role": ref.get("role") or "",
        }


def _write(target: Path, template: str, **context: Any) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    html = _env.get_template(template).render(version=__version__, zone=local_zone_label(), **context)
    atomic_write_text(target, html)
    return target


def _root(depth: int) -> str:
    return "../" * depth


def export_report(case: Any, out: Path, kinds: list[str] | None = None, links: Any = None) -> list[Path]:
    """Write ``index.html`` and every kind's pages (and the links page); returns the files written."""
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
            written += _list_kind(case, status, folder, media, view)
        status["href"] = f"report/{slug(status['kind'])}/index.html"
    links_tile = None
    if links is not None:
        from reclaim.links.export import page_items

        counts = links.counts()
        written.append(_write(out / "report" / "links" / "index.html", "links.html", root=_root(2), counts=counts,
                              items=page_items(links, media), images_checked=links.images_checked,
                              indicators=links.indicators))
        links_tile = {"href": "report/links/index.html", **counts}
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    written.append(
        _write(out / "index.html", "index.html", root="", source=case.source(), kinds=statuses,
               scan=case.meta("scan", {}), links=links_tile, generated=generated)
    )
    return written + list(media.copied.values())


# -- conversations -----------------------------------------------------------------------


def _chat_kind(case: Any, status: dict[str, Any], folder: Path, media: MediaCopier) -> list[Path]:
    written = []
    chats = case.chats(status["kind"])
    rows = []
    for number, chat in enumerate(chats, 1):
        name = chat["chat"] or chat["chat_id"] or "Unknown chat"
        chat_dir = f"{number:04d}-{slug(name)}"
        pages = _chat_pages(case, status, chat, name, folder / chat_dir, media)
        written += pages
        rows.append({**chat, "name": name, "href": f"{chat_dir}/page-1.html", "first_local": local(chat["first"]),
                     "last_local": local(chat["last"])})
    written.append(_write(folder / "index.html", "chats.html", root=_root(2), status=status, chats=rows))
    return written


def _chat_pages(case: Any, status: dict[str, Any], chat: dict[str, Any], name: str, folder: Path,
                media: MediaCopier) -> list[Path]:
    total = chat["messages"]
    page_count = max(1, math.ceil(total / CHAT_PAGE))
    records = case.records(status["kind"], chat_id=chat["chat_id"]) if chat["chat_id"] is not None else iter(())
    written = []
    senders = set()
    for page in range(1, page_count + 1):
        batch = []
        for record in _take(records, CHAT_PAGE):
            senders.add(record.get("sender"))
            batch.append(_message_view(record, media))
        group = len(senders - {None, "Me"}) > 1
        written.append(
            _write(folder / f"page-{page}.html", "chat.html", root=_root(4), status=status, chat=chat, name=name,
                   messages=_with_days(batch), page=page, pages=page_count, group=group)
        )
    return written


def _take(iterator: Iterator[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        item = next(iterator, None)
        if item is None:
            return
        yield item


def _message_view(record: dict[str, Any], media: MediaCopier) -> dict[str, Any]:
    moment = parse_iso(record.get("date"))
    local_moment = moment.astimezone() if moment else None
    return {
        "text": record.get("text") or "",
        "sender": record.get("sender") or "",
        "direction": record.get("direction") or "incoming",
        "time": local_moment.strftime("%H:%M") if local_moment else "",
        "day": local_moment.strftime("%A %d %B %Y") if local_moment else "Date unknown",
        "utc": record.get("date") or "",
        "deleted": record.get("deleted"),
        "provenance": record.get("provenance"),
        "status": record.get("status") or "",
        "card": record.get("card"),
        "quote": record.get("quote"),
        "reactions": record.get("reactions") or [],
        "attachments": [media.view(a) for a in record.get("attachments") or []],
        "type_name": record.get("type_name") or "",
    }


def _with_days(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    previous = None
    for message in messages:
        message["new_day"] = message["day"] != previous
        previous = message["day"]
    return messages


# -- tables, cards, galleries --------------------------------------------------------------


def _columns(sample: Iterable[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for record in sample:
        for key, value in record.items():
            if key in HIDDEN_FIELDS or key in cols:
                continue
            if isinstance(value, str | int | float | bool) or (isinstance(value, list) and value):
                cols.append(key)
    return cols[:9]


def _list_kind(case: Any, status: dict[str, Any], folder: Path, media: MediaCopier, view: str) -> list[Path]:
    kind = status["kind"]
    total = status["live"] + status["deleted"]
    page_count = max(1, math.ceil(total / TABLE_PAGE))
    records = case.records(kind)
    written = []
    for page in range(1, page_count + 1):
        batch = list(_take(records, TABLE_PAGE))
        items = [_item_view(r, media) for r in batch]
        cols = _columns(batch[:50])
        name = "index.html" if page == 1 else f"page-{page}.html"
        written.append(
            _write(folder / name, f"{view if view in ('cards', 'gallery') else 'table'}.html", root=_root(2),
                   status=status, items=items, columns=cols, page=page, pages=page_count)
        )
    return written


def _item_view(record: dict[str, Any], media: MediaCopier) -> dict[str, Any]:
    media_fields = []
    for key in ("media", "photo", "edited_media", "live_video", "audio"):
        ref = record.get(key)
        if isinstance(ref, dict) and ("sha256" in ref or ref.get("missing")):
            media_fields.append(media.view(ref))
    for ref in record.get("attachments") or []:
        if isinstance(ref, dict):
            media_fields.append(media.view(ref))
    fields = []
    for key, value in record.items():
        if key in HIDDEN_FIELDS or key in {"media", "photo", "edited_media", "live_video", "audio", "attachments"}:
            continue
        text = _cell(value)
        if text:
            fields.append((key.replace("_", " "), text))
    return {
        "title": record.get("name") or record.get("title") or record.get("filename") or record.get("id"),
        "date": local(record.get("date")),
        "utc": record.get("date") or "",
        "deleted": record.get("deleted"),
        "provenance": record.get("provenance"),
        "record": record,
        "fields": fields,
        "media": [m for m in media_fields if m],
        "html": record.get("html"),
    }


def _cell(value: Any) -> str:
    from reclaim.export.csv_generic import flatten

    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
        return local(value)
    text = flatten(value)
    return text if len(text) <= 2000 else text[:2000] + "…"


_env.globals["cell"] = _cell
_env.filters["local"] = local
_env.filters["filesize"] = lambda n: (
    f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB" if n >= 1e3 else f"{n} B"
)
