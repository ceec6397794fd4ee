"""Finding every link and QR code in a case and judging each one.

Reads only the case store: message text, rich cards (link previews, mini
programs, forwarded records), notes, Safari history and bookmarks, and the
images stored with any record. Nothing is fetched: reclaim never opens a link it
reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from reclaim.links.iocs import IndicatorSet, Match
from reclaim.links.qr import Code, _decode_job
from reclaim.links.urls import find_urls, parse_url
from reclaim.links.warnings import Warning, check_link

#: Fields whose whole value is a URL.
URL_FIELDS = ("url", "original_url", "link")
#: Fields whose text may contain URLs.
TEXT_FIELDS = ("text", "title", "description", "summary", "notes", "note", "body", "caption")
#: Kinds that show context (what the person visited) rather than what they were sent.
CONTEXT_KINDS = frozenset({"safari-history", "safari-bookmarks", "safari-tabs", "safari-cache"})
_ANCHOR = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>""", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class LinkItem:
    """One link or code as the person met it, with where it was and what is wrong with it."""

    url: str
    found_in: str  # "text", "card", "note", "history", "qr"
    kind: str
    record_id: str
    rid: int | None
    chat: str | None
    sender: str | None
    date: str | None
    deleted: bool
    visible_text: str | None = None
    qr_format: str | None = None
    payload: str | None = None  # what a QR code holds (WeChat Pay code, group invite, ...)
    image: dict[str, Any] | None = None  # the MediaRef of the image a code was found in
    warnings: list[Warning] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)

    @property
    def severity(self) -> str:
        """'match' (an indicator matched), 'danger', 'caution' or 'ok'."""
        if self.matches:
            return "match"
        if any(w.severity == "danger" for w in self.warnings):
            return "danger"
        return "caution" if self.warnings else "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url, "found_in": self.found_in, "kind": self.kind, "record_id": self.record_id,
            "chat": self.chat, "sender": self.sender, "date": self.date, "deleted": self.deleted,
            "visible_text": self.visible_text, "qr_format": self.qr_format, "payload": self.payload,
            "image": self.image.get("sha256") if self.image else None, "image_name": (self.image or {}).get("name"),
            "severity": self.severity,
            "warnings": [{"code": w.code, "severity": w.severity, "message": w.message} for w in self.warnings],
            "matches": [{"indicator": m.indicator.value, "type": m.indicator.type, "name": m.indicator.name,
                         "source": m.indicator.source, "how": m.how} for m in self.matches],
        }


@dataclass
class LinksReport:
    """Everything found, in date order, with counts for the report's tile."""

    items: list[LinkItem] = field(default_factory=list)
    images_checked: int = 0
    indicators: int = 0

    def counts(self) -> dict[str, int]:
        out = {"links": 0, "codes": 0, "match": 0, "danger": 0, "caution": 0}
        for item in self.items:
            out["codes" if item.found_in == "qr" else "links"] += 1
            if item.severity in out:
                out[item.severity] += 1
        return out


def links_in_record(record: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(url, where, visible text) for each distinct link in a record's text, cards and notes."""
    seen: set[str] = set()
    kind = record.get("kind", "")
    where_text = "history" if kind in CONTEXT_KINDS else ("note" if kind == "notes" else "text")

    def emit(url: str, where: str, visible: str | None = None) -> Iterator[tuple[str, str, str | None]]:
        if url not in seen:
            seen.add(url)
            yield url, where, visible

    card = record.get("card")
    if isinstance(card, dict):
        visible = card.get("title") if isinstance(card.get("title"), str) else None
        for key in URL_FIELDS:
            if isinstance(card.get(key), str) and card[key]:
                yield from emit(card[key].strip(), "card", visible)
        for key in ("description", "title"):
            if isinstance(card.get(key), str):
                for url in find_urls(card[key]):
                    yield from emit(url, "card")
        extra = card.get("extra")
        if isinstance(extra, dict | list):
            for url in _urls_in_nested(extra):
                yield from emit(url, "card")
    html = record.get("html")
    if isinstance(html, str):
        for href, inner in _ANCHOR.findall(html):
            text = unescape(_TAGS.sub("", inner)).strip()
            yield from emit(unescape(href), "note", text or None)
    for key in URL_FIELDS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            yield from emit(value.strip(), where_text, record.get("title") if kind in CONTEXT_KINDS else None)
    for key in TEXT_FIELDS:
        value = record.get(key)
        if isinstance(value, str):
            for url in find_urls(value):
                yield from emit(url, where_text)


_PICTURE_KEYS = ("thumb", "img", "image", "icon", "cover", "avatar", "head", "pic")


def _urls_in_nested(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from find_urls(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not any(word in str(key).lower() for word in _PICTURE_KEYS):  # pictures are not links people follow
                yield from _urls_in_nested(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls_in_nested(item)


#: The fields :func:`images_in_record` looks in.
_MAY_HOLD_IMAGES = ("attachments", "media", "photo", "edited_media")


def images_in_record(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The stored images of a record (attachments, photos, thumbnails)."""
    candidates: list[Any] = list(record.get("attachments") or [])
    candidates += [record.get(k) for k in ("media", "photo", "edited_media")]
    for ref in candidates:
        if not isinstance(ref, dict) or ref.get("missing") or not ref.get("sha256"):
            continue
        if str(ref.get("mime", "")).startswith("image/") or str(ref.get("preview_mime") or "").startswith("image/"):
            yield ref


def analyse_case(
    case: Any,
    indicators: IndicatorSet | None = None,
    *,
    images: bool = True,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LinksReport:
    """Every link and code in a case, judged against ``indicators`` and the built-in warnings."""
    indicators = indicators or IndicatorSet()
    report = LinksReport(indicators=len(indicators))
    jobs: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {}
    for status in case.kinds():
        for record in case.records(status["kind"]):
            context = None  # made for the records that have a link or an image: most have neither
            for url, where, visible in links_in_record(record):
                context = context or _context(record)
                report.items.append(_judge(LinkItem(url, where, visible_text=visible, **context), indicators))
            if images and any(map(record.get, _MAY_HOLD_IMAGES)):
                context = context or _context(record)
                for ref in images_in_record(record):
                    sha = ref.get("preview") if str(ref.get("mime", "")).endswith(("heic", "heif")) else None
                    sha = sha or ref["sha256"]
                    path = case.media_path(sha)
                    if path is not None:
                        jobs.setdefault(sha, (str(path), ref, []))[2].append(context)
    if jobs:
        for sha, codes in _decode_all({sha: job[0] for sha, job in jobs.items()}, workers, progress):
            _, ref, contexts = jobs[sha]
            for code in codes:
                for context in contexts:
                    item = LinkItem(code.text, "qr", qr_format=code.format, payload=code.payload, image=ref,
                                    **context)
                    report.items.append(_judge(item, indicators, code))
        report.images_checked = len(jobs)
    report.items.sort(key=lambda i: (i.date or "", i.url))
    return report


def _context(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": record.get("kind", ""), "record_id": record.get("id", ""), "rid": record.get("_rid"),
        "chat": record.get("chat") or record.get("folder") or record.get("title"),
        "sender": record.get("sender"), "date": record.get("date"), "deleted": bool(record.get("deleted")),
    }


def _judge(item: LinkItem, indicators: IndicatorSet, code: Code | None = None) -> LinkItem:
    for url in _checked_urls(item.url, code is not None):
        item.warnings += check_link(url, item.visible_text)
        if len(indicators):
            item.matches += indicators.match(parse_url(url))
    return item


def _checked_urls(text: str, from_code: bool) -> list[str]:
    """The URLs of a link (itself) or of a code's text (the URLs in it, or the text if it is one)."""
    if not from_code:
        return [text]
    return find_urls(text) or ([text] if "://" in text else [])


def rematch(report: LinksReport, indicators: IndicatorSet) -> None:
    """Check an analysed report's links against another set of indicators, in place.

    The built-in warnings stay as they are and no image is decoded again, so adding
    an indicator file to a finished analysis costs a dictionary look-up per link.
    """
    report.indicators = len(indicators)
    for item in report.items:
        item.matches = []
        if len(indicators):
            for url in _checked_urls(item.url, item.found_in == "qr"):
                item.matches += indicators.match(parse_url(url))


def _decode_all(
    paths: dict[str, str], workers: int | None, progress: Callable[[int, int], None] | None
) -> Iterator[tuple[str, list[Code]]]:
    total = len(paths)
    workers = workers or min(2, os.cpu_count() or 1)
    items = list(paths.items())
    if workers <= 1 or total < 8:
        for done, item in enumerate(items, 1):
            yield _decode_job(item)
            if progress:
                progress(done, total)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, result in enumerate(pool.map(_decode_job, items, chunksize=8), 1):
            yield result
            if progress:
                progress(done, total)
