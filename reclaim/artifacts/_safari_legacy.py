"""Safari before iOS 8: ``History.plist`` (browsing history) and ``SuspendState.plist`` (open pages).

Both are property lists in ``Library/Safari`` (HomeDomain on early backups, Safari's container
``AppDomain-com.apple.mobilesafari`` on later ones), binary or XML; ``plistlib`` reads both.

``History.plist`` is WebKit's ``WebHistory`` file, the one Safari for Mac kept up to Safari 7: a
dictionary with ``WebHistoryFileVersion`` (1) and ``WebHistoryDates``, an array of one dictionary per
page, newest first. Each page has its URL under the empty key ``""``, ``title`` (``displayTitle``
when the page was given another name), ``lastVisitedDate`` (seconds since 2001 as a *string*, "%.1f"),
``visitCount``, ``lastVisitWasFailure``, ``lastVisitWasHTTPNonGet``, ``redirectURLs`` (where the
last visit to this page was redirected: WebKit resets the list at each visit and adds each
destination), and ``D``/``W`` (visits per recent day and week, not read: they give counts, not times).
There is one date per page, so each page becomes one record dated by its last visit; the file has no
free space, so nothing deleted can be recovered from it. WebKit writes an empty file when the history
is empty, and refuses a file whose version is missing or newer than 1: so does this reader.

``SuspendState.plist`` holds the pages open when Safari was last suspended: ``SafariStateDocuments``
(and ``SafariStatePrivateDocuments`` for private browsing), each a dictionary with
``SafariStateDocumentURL``, ``SafariStateDocumentTitle``, ``SafariStateDocumentLastViewedTime``
(seconds since 2001, a number) and ``SafariStateDocumentBackForwardList`` (``entries``, each with its
URL under ``""`` and ``title``, and ``current``, the index of the page shown).

What each key means, and where the sources behind it disagree, is in docs/kinds/safari.md.
"""

from __future__ import annotations

import plistlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from reclaim.artifacts.base import NUMBERS, from_apple_time, text_or_empty
from reclaim.artifacts.safari import SafariTab, SafariVisit
from reclaim.case.context import ScanContext
from reclaim.vfs import Entry

#: A larger file is not one Safari wrote (the history kept a month or a few thousand pages).
MAX_PLIST = 64 << 20
#: The only ``WebHistoryFileVersion`` WebKit ever wrote; WebKit itself refuses a newer one.
HISTORY_VERSION = 1
#: What a History.plist record says of its date, as the file keeps no row per visit.
LAST_VISIT_NOTE = "last visit only: History.plist keeps one date per page"
#: Two dates this close (seconds) are the same visit (History.plist rounds its dates to a tenth of a second).
SAME_VISIT = 1.0


def _read_plist(ctx: ScanContext, entry: Entry) -> dict[str, Any] | None:
    """The file's top dictionary; ``None`` (with a warning naming the file) when it cannot be read.

    An empty file is no warning: WebKit writes one when the history is empty.
    """
    source = f"{entry.domain}/{entry.path}"
    if entry.size > MAX_PLIST:
        ctx.warn(f"{source}: {entry.size} bytes, too large for a Safari property list; not read")
        return None
    try:
        data = ctx.read_bytes(entry)
    except OSError as exc:
        ctx.warn(f"{source}: could not be read ({exc})")
        return None
    if not data.strip():
        return None
    try:
        value = plistlib.loads(data)
    except Exception as exc:  # plistlib raises many types on damaged input (ValueError, ExpatError, struct.error…)
        ctx.warn(f"{source}: not a readable property list ({type(exc).__name__}); skipped")
        return None
    if not isinstance(value, dict):
        ctx.warn(f"{source}: holds a {type(value).__name__}, not the dictionary Safari writes; skipped")
        return None
    return value


def _apple_seconds(value: Any) -> datetime | None:
    """A date in seconds since 2001: a number, or the decimal text History.plist keeps (anything else: none)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if type(value) not in NUMBERS or value != value:  # not a number, or NaN
        return None
    return from_apple_time(value)


def _count(value: Any) -> int:
    """``visitCount``: WebKit resets a negative count (damaged data) to 1 when it loads the file."""
    if type(value) is not int:
        return 0
    return 1 if value < 0 else value


def _same_visit(date: datetime | None, known: list[datetime]) -> bool:
    return date is not None and any(abs((date - other).total_seconds()) <= SAME_VISIT for other in known)


# -- History.plist ------------------------------------------------------------------------------


def history_plist(ctx: ScanContext, entry: Entry, visited: dict[str, list[datetime]]) -> Iterator[SafariVisit]:
    """One record per page of a History.plist, dated by its last visit.

    ``visited`` maps URLs to the visit times already yielded (from History.db or another copy of
    this file): a page whose last visit is among them is not yielded twice. Pages found here are added.
    """
    plist = _read_plist(ctx, entry)
    if plist is None:
        return
    source = f"{entry.domain}/{entry.path}"
    version = plist.get("WebHistoryFileVersion")
    if type(version) is not int or version > HISTORY_VERSION:
        ctx.warn(f"{source}: WebHistoryFileVersion {version!r} is not one this reader (nor Safari) knows; skipped")
        return
    items = plist.get("WebHistoryDates", [])
    if not isinstance(items, list):
        ctx.warn(f"{source}: WebHistoryDates is a {type(items).__name__}, not a list of pages; skipped")
        return
    unreadable = 0
    for number, item in enumerate(items):
        visit = _page(item, f"safari-history:plist:{entry.domain}:{number}", source)
        if visit is None:
            unreadable += 1
            continue
        known = visited.setdefault(visit.url, [])
        if _same_visit(visit.date, known):
            continue
        if visit.date is not None:
            known.append(visit.date)
        yield visit
    if unreadable:
        ctx.warn(f"{source}: {unreadable} of {len(items)} history items have no URL; skipped")


def _page(item: Any, record_id: str, source: str) -> SafariVisit | None:
    """A History.plist item as a visit; ``None`` without a URL (WebKit drops such items too)."""
    if not isinstance(item, dict) or not text_or_empty(item.get("")):
        return None
    redirects = item.get("redirectURLs")
    return SafariVisit(
        id=record_id,
        date=_apple_seconds(item.get("lastVisitedDate")),
        source=source,
        url=item[""],
        title=text_or_empty(item.get("title")) or text_or_empty(item.get("displayTitle")),
        visit_count=_count(item.get("visitCount")),
        redirect_to=" ".join(u for u in redirects if isinstance(u, str) and u) if isinstance(redirects, list) else "",
        loaded=item.get("lastVisitWasFailure") is not True,
        note=LAST_VISIT_NOTE,
    )


# -- SuspendState.plist -------------------------------------------------------------------------

#: The arrays of open pages, and whether they are private browsing.
_DOCUMENTS = (("SafariStateDocuments", False), ("SafariStatePrivateDocuments", True))


def suspended_tabs(ctx: ScanContext, entry: Entry) -> Iterator[SafariTab]:
    """The pages open in Safari when it was last suspended, regular and private."""
    plist = _read_plist(ctx, entry)
    if plist is None:
        return
    source = f"{entry.domain}/{entry.path}"
    for key, private in _DOCUMENTS:
        documents = plist.get(key)
        if documents is None:
            continue
        if not isinstance(documents, list):
            ctx.warn(f"{source}: {key} is a {type(documents).__name__}, not a list of pages; skipped")
            continue
        unreadable = 0
        for position, document in enumerate(documents):
            tab = _tab(document, f"safari-tabs:suspend:{entry.domain}:{key}:{position}", source, private, position)
            if tab is None:
                unreadable += 1
            else:
                yield tab
        if unreadable:
            ctx.warn(f"{source}: {unreadable} of {len(documents)} pages in {key} have no URL or title; skipped")


def _current_page(document: dict[str, Any]) -> dict[str, Any]:
    """The page the tab showed, from its back/forward list (``{}`` when the list does not say)."""
    history = document.get("SafariStateDocumentBackForwardList")
    if not isinstance(history, dict):
        return {}
    entries, current = history.get("entries"), history.get("current")
    if not isinstance(entries, list) or type(current) is not int or not 0 <= current < len(entries):
        return {}
    page = entries[current]
    return page if isinstance(page, dict) else {}


def _tab(document: Any, record_id: str, source: str, private: bool, position: int) -> SafariTab | None:
    """One open page; ``None`` when it has neither URL nor title."""
    if not isinstance(document, dict):
        return None
    shown = _current_page(document)
    url = (text_or_empty(document.get("SafariStateDocumentURL"))
           or text_or_empty(document.get("SafariStateDocumentUserVisibleURL")) or text_or_empty(shown.get("")))
    title = text_or_empty(document.get("SafariStateDocumentTitle")) or text_or_empty(shown.get("title"))
    if not url and not title:
        return None
    viewed = _apple_seconds(document.get("SafariStateDocumentLastViewedTime"))
    from_link = document.get("SafariStateDocumentWasOpenedFromLink")
    return SafariTab(id=record_id, date=viewed, source=source, title=title, url=url, private=private,
                     last_viewed=viewed, opened_from_link=from_link if isinstance(from_link, bool) else None,
                     position=position)
