"""Safari: browsing history, bookmarks and Reading List, open tabs, and the HTTP cache.

* History.db: ``history_items`` (one per URL, with its visit count) and
  ``history_visits`` (one per visit, Apple-epoch ``visit_time``, the page title,
  redirect links between visits). ``history_tombstones`` lists URLs the user
  removed from history (kept by Safari to sync the removal): they are reported
  as deleted visits with ``Provenance(area="app")``; erased rows are carved.
* History.plist (iOS 3–7, before History.db): one item per page with only its
  last visit; read by :mod:`reclaim.artifacts._safari_legacy`.
* Bookmarks.db: a tree of folders (type 1) and bookmarks (type 0); the Reading
  List is the ``com.apple.ReadingList`` folder, its items carry their date added,
  preview text and read state in the ``extra_attributes`` plist.
* Tabs: BrowserState.db ``tabs`` (iOS 14 and earlier) and SafariTabs.db (iOS 15+,
  tabs stored as bookmarks inside tab-group folders, their times in plists);
  SuspendState.plist (iOS 3–7) in :mod:`reclaim.artifacts._safari_legacy`.
* Cache.db: the URL cache (``cfurl_cache_response`` + ``_blob_data`` +
  ``_receiver_data``); response bodies are inline or in ``fsCachedData/<uuid>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_apple_time_safe,
    text_or_empty,
)
from reclaim.decoders.keyed_archive import KeyedArchiveError, load_plist

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext

APP = "AppDomain-com.apple.mobilesafari"
READING_LIST = "com.apple.ReadingList"
#: Names Safari gives its built-in folders, as users see them.
_FOLDER_NAMES = {"BookmarksBar": "Favorites", "BookmarksMenu": "Bookmarks Menu", READING_LIST: "Reading List"}


def _safari(path: str) -> tuple[FileSpec, ...]:
    return (FileSpec("HomeDomain", f"Library/Safari/{path}"), FileSpec(APP, f"Library/Safari/{path}"))


def _plist(blob: Any) -> dict[str, Any]:
    if not isinstance(blob, bytes) or not blob:
        return {}
    try:
        value = load_plist(blob)
    except KeyedArchiveError:
        return {}
    return value if isinstance(value, dict) else {}


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_apple_time(value)
    return None


# -- history ------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class SafariVisit(Record):
    """One visit to a page (``date`` = visit time, UTC; from History.plist, the page's last visit).

    History.plist (iOS 3–7) keeps one item per page, not one row per visit: its records carry
    the last visit only, say so in ``note``, and leave ``origin`` empty (the file does not tell).
    """

    KIND = "safari-history"

    url: str = ""
    title: str = ""
    visit_count: int = 0
    redirect_from: str = ""
    redirect_to: str = ""  # History.plist: every URL the page's last visit redirected to, separated by spaces
    origin: str = ""  # "this device" or "another device" (iCloud); "" when the file does not say
    loaded: bool = True
    note: str = ""


class SafariHistoryArtifact(Artifact):
    kind = "safari-history"
    title = "Safari history"
    record = SafariVisit
    files = (*_safari("History.db"), *_safari("History.plist"))
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[SafariVisit]:
        from reclaim.artifacts._safari_legacy import history_plist  # it builds on this module

        visited: dict[str, list[datetime]] = {}  # url -> live visit times already yielded (not twice from a plist)
        for db in self.databases(ctx, "history_visits", "visit_time", named="History.db"):
            for visit in self._history(ctx, db):
                if not visit.deleted and visit.date is not None:
                    visited.setdefault(visit.url, []).append(visit.date)
                yield visit
        for entry in self.inputs(ctx):
            if entry.name == "History.plist":
                yield from history_plist(ctx, entry, visited)

    def _history(self, ctx: ScanContext, db: Database) -> Iterator[SafariVisit]:
        items: dict[object, tuple[str, int]] = {}
        if db.has("history_items", "url"):
            items = {r[0]: (r[1], r[2]) for r in db.rows(
                f"SELECT id, url, {db.col('history_items', 'visit_count', '0')} FROM history_items")}
        else:  # (a damaged schema: the visits are still there, without their pages' addresses)
            ctx.warn(f"{db.source}: no history_items table: visits are listed without their addresses")
        urls_of_visit: dict[int, str] = {}
        live: set[object] = set()
        for r in db.rows("SELECT id, history_item, visit_time FROM history_visits"):
            urls_of_visit[r[0]] = items.get(r[1], ("", 0))[0]
            live.update((r[0], (r[1], r[2])))
        cols = ", ".join(db.col("history_visits", c) for c in (
            "id", "history_item", "visit_time", "title", "load_successful", "redirect_source",
            "redirect_destination", "origin"))
        for row in db.rows(f"SELECT {cols} FROM history_visits ORDER BY visit_time"):
            url, count = items.get(row["history_item"], ("", 0))
            yield SafariVisit(
                id=f"safari-history:{row['id']}",
                date=from_apple_time(row["visit_time"]),
                source=db.source,
                url=url or "",
                title=row["title"] or "",
                visit_count=int(count or 0),
                redirect_from=urls_of_visit.get(row["redirect_source"], "") if row["redirect_source"] else "",
                redirect_to=urls_of_visit.get(row["redirect_destination"], "") if row["redirect_destination"] else "",
                origin="another device" if row["origin"] == 1 else "this device",
                loaded=row["load_successful"] != 0,
            )
        if db.has("history_tombstones", "url"):
            for row in db.rows("SELECT id, start_time, end_time, url FROM history_tombstones ORDER BY id"):
                yield SafariVisit(
                    id=f"safari-history:tombstone:{row['id']}",
                    date=from_apple_time(row["end_time"]) or from_apple_time(row["start_time"]),
                    source=db.source,
                    deleted=True,
                    provenance=Provenance(area="app"),
                    url=row["url"] or "(every page visited in this period)",
                )
        if ctx.options.recover_deleted:
            yield from self._carved(ctx, db, items, live)

    def _carved(self, ctx: ScanContext, db: Database, items: dict[int, tuple[str, int]],
                live: set[object]) -> Iterator[SafariVisit]:
        carved_items: dict[object, Any] = {}  # rowid (or the record itself when its key was overwritten) -> record
        live_urls = {url for url, _ in items.values()}
        visits = []
        for rec in db.carve(tables=["history_items", "history_visits"]):
            if rec.table == "history_items":
                url = rec.values.get("url")
                if isinstance(url, str) and url not in live_urls and rec.rowid not in items:
                    live_urls.add(url)
                    carved_items[rec.rowid if rec.rowid is not None else id(rec)] = rec
            elif from_apple_time_safe(rec.values.get("visit_time")):
                key = (rec.values.get("history_item"), rec.values.get("visit_time"))
                if rec.rowid not in live and key not in live:  # old copies of live rows are not deleted visits
                    live.add(key)
                    visits.append(rec)
        # Visits of one erased page whose row lost its id in free space: when there is exactly one such page
        # and all orphan visits point at the same missing id, they belong together.
        orphans = {v.values.get("history_item") for v in visits
                   if v.values.get("history_item") not in items and v.values.get("history_item") not in carved_items}
        keyless = [k for k, r in carved_items.items() if r.rowid is None]
        if len(orphans) == 1 and len(keyless) == 1:
            carved_items[orphans.pop()] = carved_items.pop(keyless[0])
        used: set[object] = set()
        for rec in visits:
            item = rec.values.get("history_item")
            url = ""
            if item in carved_items:
                used.add(item)
                url = carved_items[item].values["url"]
            elif item in items:
                url = items[item][0]
            yield SafariVisit(id=carved_id("safari-history", rec), date=from_apple_time_safe(rec.values["visit_time"]),
                              source=db.source, deleted=True, provenance=Provenance.of(rec), url=url,
                              title=text_or_empty(rec.values.get("title")))
        for key, rec in carved_items.items():  # an erased page whose visits are gone too
            if key not in used:
                yield SafariVisit(id=carved_id("safari-history", rec), source=db.source, deleted=True,
                                  provenance=Provenance.of(rec), url=rec.values["url"])


# -- bookmarks and Reading List ---------------------------------------------------------------


@dataclass(kw_only=True)
class SafariBookmark(Record):
    """A bookmark or Reading List item; ``folder`` is its path ("Favorites/Travel")."""

    KIND = "safari-bookmarks"

    title: str = ""
    url: str = ""
    folder: str = ""
    position: int = 0
    reading_list: bool = False
    read: bool | None = None
    preview: str = ""
    added: datetime | None = None
    last_viewed: datetime | None = None


class SafariBookmarksArtifact(Artifact):
    kind = "safari-bookmarks"
    title = "Safari bookmarks and Reading List"
    record = SafariBookmark
    files = _safari("Bookmarks.db")
    view = "table"
    formats = ("html-bookmarks",)

    def extract(self, ctx: ScanContext) -> Iterator[SafariBookmark]:
        for db in self.databases(ctx, "bookmarks", "parent"):
            yield from self._bookmarks(ctx, db)

    def _bookmarks(self, ctx: ScanContext, db: Database) -> Iterator[SafariBookmark]:
        cols = ", ".join(db.col("bookmarks", c) for c in (
            "id", "special_id", "parent", "type", "title", "url", "order_index", "read", "last_modified", "deleted",
            "extra_attributes", "hidden"))
        folders: dict[int, tuple[int | None, str]] = {}
        leaves = []
        for row in db.rows(f"SELECT {cols} FROM bookmarks ORDER BY parent, order_index"):
            if row["type"] == 1:
                folders[row["id"]] = (row["parent"], _FOLDER_NAMES.get(row["title"] or "", row["title"] or ""))
            elif row["url"]:
                leaves.append(dict(row))
        live = {r["id"] for r in leaves}

        def path_of(folder_id: int | None) -> tuple[str, bool]:
            names, in_reading_list, seen = [], False, set()
            while folder_id is not None and folder_id in folders and folder_id not in seen:
                seen.add(folder_id)
                parent, name = folders[folder_id]
                in_reading_list |= name == "Reading List"
                if name:
                    names.append(name)
                folder_id = parent
            return "/".join(reversed(names)), in_reading_list

        for row in leaves:
            yield self._record(db, row, *path_of(row["parent"]))
        if ctx.options.recover_deleted:
            for rec in db.carve(tables=["bookmarks"]):
                values = rec.values
                if rec.rowid in live or values.get("type") != 0 or not isinstance(values.get("url"), str):
                    continue
                item = self._record(db, {**values, "id": rec.rowid}, *path_of(values.get("parent")))
                item.id, item.deleted, item.provenance = carved_id("safari-bookmarks", rec), True, Provenance.of(rec)
                yield item

    def _record(self, db: Database, row: dict[str, Any], folder: str, reading_list: bool) -> SafariBookmark:
        extra = _plist(row.get("extra_attributes")).get(READING_LIST, {})
        extra = extra if isinstance(extra, dict) else {}
        marked = bool(row.get("deleted"))
        added = _utc(extra.get("DateAdded"))
        return SafariBookmark(
            id=f"safari-bookmarks:{row['id']}",
            date=added or from_apple_time_safe(row.get("last_modified")),
            source=db.source,
            deleted=marked,
            provenance=Provenance(area="app") if marked else None,
            title=text_or_empty(row.get("title")),
            url=text_or_empty(row.get("url")),
            folder=folder,
            position=int(row.get("order_index") or 0),
            reading_list=reading_list,
            read=bool(row.get("read")) if reading_list and row.get("read") is not None else None,
            preview=text_or_empty(extra.get("PreviewText")),
            added=added,
            last_viewed=_utc(extra.get("DateLastViewed")),
        )


# -- open tabs ---------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class SafariTab(Record):
    """An open tab (``date`` = when it was last viewed)."""

    KIND = "safari-tabs"

    title: str = ""
    url: str = ""
    group: str = ""
    private: bool = False
    last_viewed: datetime | None = None
    opened_from_link: bool | None = None
    position: int = 0


def _tab_time(value: Any) -> datetime | None:
    """Apple time on iOS 18 and earlier, Unix seconds on newer systems (told apart by magnitude)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not value:
        return None
    return datetime.fromtimestamp(value, UTC) if value > 978307200 else from_apple_time(value)


class SafariTabsArtifact(Artifact):
    kind = "safari-tabs"
    title = "Safari open tabs"
    record = SafariTab
    files = (*_safari("SafariTabs.db"), *_safari("BrowserState.db"), *_safari("SuspendState.plist"))
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[SafariTab]:
        from reclaim.artifacts._safari_legacy import suspended_tabs  # it builds on this module

        for entry in self.inputs(ctx):
            if entry.name == "SuspendState.plist":
                yield from suspended_tabs(ctx, entry)
                continue
            with ctx.database(entry) as db:
                if db.has("tabs", "url"):
                    yield from self._browser_state(db)
                elif db.has("bookmarks", "parent"):
                    yield from self._safari_tabs(db)

    def _browser_state(self, db: Database) -> Iterator[SafariTab]:
        cols = ", ".join(db.col("tabs", c) for c in ("id", "title", "url", "last_viewed_time", "private_browsing",
                                                     "opened_from_link", "order_index"))
        for row in db.rows(f"SELECT {cols} FROM tabs"):
            viewed = _tab_time(row["last_viewed_time"])
            yield SafariTab(id=f"safari-tabs:state:{row['id']}", date=viewed, source=db.source,
                            title=row["title"] or "", url=row["url"] or "", private=bool(row["private_browsing"]),
                            last_viewed=viewed, opened_from_link=bool(row["opened_from_link"]),
                            position=int(row["order_index"] or 0))

    def _safari_tabs(self, db: Database) -> Iterator[SafariTab]:
        cols = ", ".join(db.col("bookmarks", c) for c in ("id", "parent", "type", "title", "url", "order_index",
                                                          "deleted", "extra_attributes", "local_attributes"))
        folders: dict[int, tuple[int | None, str]] = {}
        tabs = []
        for row in db.rows(f"SELECT {cols} FROM bookmarks ORDER BY parent, order_index"):
            if row["url"]:
                tabs.append(dict(row))
            else:
                folders[row["id"]] = (row["parent"], row["title"] or "")
        for row in tabs:
            names, folder_id, seen = [], row["parent"], set()
            while folder_id in folders and folder_id not in seen:
                seen.add(folder_id)
                folder_id, name = folders[folder_id][0], folders[folder_id][1]
                names.append(name)
            local, extra = _plist(row["local_attributes"]), _plist(row["extra_attributes"])
            viewed = _utc(extra.get("DateLastViewed")) or _utc(local.get("LastVisitTime"))
            group = names[0] if names else ""
            marked = bool(row["deleted"])
            yield SafariTab(
                id=f"safari-tabs:{row['id']}",
                date=viewed,
                source=db.source,
                deleted=marked,
                provenance=Provenance(area="app") if marked else None,
                title=row["title"] or "",
                url=row["url"] or "",
                group=group,
                private=any(n.lower() in ("private", "privatepinned") for n in names),
                last_viewed=viewed,
                opened_from_link=local.get("OpenedFromLink") if isinstance(local.get("OpenedFromLink"), bool)
                else None,
                position=int(local.get("TabIndex", row["order_index"] or 0) or 0),
            )


# -- the HTTP cache --------------------------------------------------------------------------------


@dataclass(kw_only=True)
class SafariCacheEntry(Record):
    """One cached HTTP response (``date`` = when it was stored) with its body as media."""

    KIND = "safari-cache"

    url: str = ""
    status: int | None = None
    method: str = ""
    mime: str = ""
    headers: dict[str, str] | None = None
    size: int = 0
    stored_in: str = ""  # "database" or "file system"
    cache_file: str = ""
    attachments: list[MediaRef] = field(default_factory=list)

    def record_label(self) -> str:
        return self.url


_CACHE = "Library/Caches/com.apple.mobilesafari"
_METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")


def _archived(blob: Any) -> list[Any]:
    array = _plist(blob).get("Array")
    return array if isinstance(array, list) else []


def _response_parts(array: list[Any]) -> tuple[str, int | None, dict[str, str], str]:
    """(url, status, headers, mime) from an archived CFURLResponse, found by shape: positions vary by version."""
    url, status, headers, mime = "", None, {}, ""
    for item in array:
        if isinstance(item, dict) and "_CFURLString" in item:
            url = url or text_or_empty(item["_CFURLString"])
        elif isinstance(item, dict) and all(isinstance(k, str) for k in item) and not headers:
            headers = {k: str(v) for k, v in item.items() if k != "__hhaa__"}
        elif isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599 and status is None:
            status = item
        elif (isinstance(item, str) and not mime and item.count("/") == 1 and " " not in item
              and not item.startswith(("http", "__CFURL"))):
            mime = item
    return url, status, headers, mime


class SafariCacheArtifact(Artifact):
    kind = "safari-cache"
    title = "Safari cache"
    record = SafariCacheEntry
    files = (FileSpec(APP, f"{_CACHE}/Cache.db"), FileSpec("HomeDomain", f"{_CACHE}/Cache.db"))
    absent = ("iPhone backups leave out every app's Library/Caches folder; only a full file-system extraction"
              " holds Safari's cache")
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[SafariCacheEntry]:
        for db in self.databases(ctx, "cfurl_cache_response", "request_key"):
            folder = db.entry.path.rsplit("/", 1)[0]
            yield from self._cache(ctx, db, db.entry.domain, folder)

    def _cache(self, ctx: ScanContext, db: Database, domain: str, folder: str) -> Iterator[SafariCacheEntry]:
        join_blob = db.has("cfurl_cache_blob_data", "response_object")
        join_data = db.has("cfurl_cache_receiver_data", "receiver_data")
        sql = ("SELECT r.entry_ID, r.request_key, r.time_stamp, r.storage_policy, "
               + ("b.response_object, b.request_object, " if join_blob else "NULL AS response_object, "
                  "NULL AS request_object, ")
               + ("d.isDataOnFS, d.receiver_data" if join_data else "NULL AS isDataOnFS, NULL AS receiver_data")
               + " FROM cfurl_cache_response r"
               + (" LEFT JOIN cfurl_cache_blob_data b ON b.entry_ID = r.entry_ID" if join_blob else "")
               + (" LEFT JOIN cfurl_cache_receiver_data d ON d.entry_ID = r.entry_ID" if join_data else "")
               + " ORDER BY r.time_stamp, r.entry_ID")
        for row in db.rows(sql):
            url, status, headers, mime = _response_parts(_archived(row["response_object"]))
            method = next((m for m in _archived(row["request_object"]) if isinstance(m, str) and m in _METHODS), "")
            media, size, stored, cache_file = self._body(ctx, row, domain, folder)
            yield SafariCacheEntry(
                id=f"safari-cache:{row['entry_ID']}",
                date=_cache_time(row["time_stamp"]),
                source=db.source,
                url=row["request_key"] or url,
                status=status,
                method=method,
                mime=mime,
                headers=headers,
                size=size,
                stored_in=stored,
                cache_file=cache_file,
                attachments=[media] if media is not None else [],
            )

    def _body(self, ctx: ScanContext, row: Any, domain: str, folder: str) -> tuple[MediaRef | None, int, str, str]:
        data = row["receiver_data"]
        if row["isDataOnFS"]:
            name = (data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")).strip()
            entry = ctx.get(domain, f"{folder}/fsCachedData/{name}") if name else None
            ref = ctx.media(entry, name=name, role="cache", origin=f"{domain}/{folder}/fsCachedData/{name}")
            return ref, (entry.size if entry is not None else 0), "file system", name
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data:
            return None, 0, "", ""
        name = f"entry-{row['entry_ID']}"
        return ctx.media_bytes(data, name=name, role="cache"), len(data), "database", ""


def _cache_time(value: Any) -> datetime | None:
    """``time_stamp`` is SQLite's CURRENT_TIMESTAMP text (UTC)."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None
