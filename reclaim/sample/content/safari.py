"""Sample Safari databases (iOS 17 schemas): ~60 history visits, ~20 bookmarks in folders plus a
3-item Reading List, and 5 open tabs in SafariTabs.db.

A few history rows are erased with ``secure_delete`` off (for the carver) and one
page removal is recorded in ``history_tombstones``, as Safari does when the user
clears a page from history.
"""

from __future__ import annotations

import plistlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

APP = "AppDomain-com.apple.mobilesafari"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

HISTORY_SCHEMA = """
CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE,
    domain_expansion TEXT NULL, visit_count INTEGER NOT NULL, daily_visit_counts BLOB NOT NULL,
    weekly_visit_counts BLOB NULL, autocomplete_triggers BLOB NULL,
    should_recompute_derived_visit_counts INTEGER NOT NULL, visit_count_score INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,
    history_item INTEGER NOT NULL REFERENCES history_items(id) ON DELETE CASCADE, visit_time REAL NOT NULL,
    title TEXT NULL, load_successful BOOLEAN NOT NULL DEFAULT 1, http_non_get BOOLEAN NOT NULL DEFAULT 0,
    synthesized BOOLEAN NOT NULL DEFAULT 0,
    redirect_source INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,
    redirect_destination INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,
    origin INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0, attributes INTEGER NOT NULL DEFAULT 0,
    score INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL,
    end_time REAL NOT NULL, url TEXT, generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE metadata (key TEXT NOT NULL UNIQUE, value);
CREATE TABLE history_client_versions (client_version INTEGER PRIMARY KEY, last_seen REAL NOT NULL);
CREATE TABLE history_event_listeners (listener_name TEXT PRIMARY KEY NOT NULL UNIQUE, last_seen REAL NOT NULL);
CREATE TABLE history_events (id INTEGER PRIMARY KEY AUTOINCREMENT, event_type TEXT NOT NULL,
    event_time REAL NOT NULL, pending_listeners TEXT NOT NULL, value BLOB);
CREATE INDEX history_items__domain_expansion ON history_items (domain_expansion);
CREATE INDEX history_visits__last_visit ON history_visits (history_item, visit_time DESC, synthesized ASC);
CREATE INDEX history_visits__origin ON history_visits (origin, generation);
"""

BOOKMARKS_SCHEMA = """
CREATE TABLE bookmarks (id INTEGER PRIMARY KEY AUTOINCREMENT, special_id INTEGER DEFAULT 0, parent INTEGER,
    type INTEGER, title TEXT, url TEXT COLLATE NOCASE, num_children INTEGER DEFAULT 0, editable INTEGER DEFAULT 1,
    deletable INTEGER DEFAULT 1, hidden INTEGER DEFAULT 0, hidden_ancestor_count INTEGER DEFAULT 0,
    order_index INTEGER NOT NULL, external_uuid TEXT, read INTEGER DEFAULT NULL, last_modified REAL DEFAULT NULL,
    server_id TEXT, sync_key TEXT, sync_data BLOB, added INTEGER DEFAULT 1, deleted INTEGER DEFAULT 0,
    extra_attributes BLOB DEFAULT NULL, local_attributes BLOB DEFAULT NULL, fetched_icon BOOL DEFAULT 0,
    icon BLOB DEFAULT NULL, dav_generation INTEGER DEFAULT 0, locally_added BOOL DEFAULT 0,
    archive_status INTEGER DEFAULT 0, syncable BOOL DEFAULT 1, web_filter_status INTEGER DEFAULT 0,
    modified_attributes UNSIGNED BIG INT DEFAULT 0{extra});
CREATE TABLE bookmark_title_words (id INTEGER PRIMARY KEY AUTOINCREMENT, bookmark_id INTEGER NOT NULL,
    word TEXT, word_index INTEGER);
CREATE TABLE folder_ancestors (id INTEGER PRIMARY KEY AUTOINCREMENT, folder_id INTEGER NOT NULL,
    ancestor_id INTEGER NOT NULL);
CREATE TABLE generations (generation INTEGER);
CREATE TABLE sync_properties (key TEXT PRIMARY KEY, value TEXT);
CREATE INDEX parent_index ON bookmarks (parent, order_index);
"""
TABS_EXTRA = ", date_closed REAL DEFAULT NULL, last_selected_child INTEGER DEFAULT NULL, subtype INTEGER DEFAULT 0"

#: (url, title, visits) — the pages in the history, most-visited first.
PAGES = [
    ("https://www.bbc.co.uk/news", "Home - BBC News", 9),
    ("https://www.theguardian.com/uk", "News, sport and opinion from the Guardian's UK edition", 6),
    ("https://www.google.com/search?q=banana+bread+recipe", "banana bread recipe - Google Search", 2),
    ("https://www.bbcgoodfood.com/recipes/banana-bread", "Banana bread recipe | BBC Good Food", 3),
    ("https://www.nationalrail.co.uk/", "National Rail Enquiries", 4),
    ("https://www.metoffice.gov.uk/weather/forecast/gcpn7mp10", "Oxford weather - Met Office", 5),
    ("https://www.amazon.co.uk/dp/B0CHX1W1XY", "Amazon.co.uk: Apple AirPods Pro (2nd generation)", 2),
    ("https://en.wikipedia.org/wiki/High_Line", "High Line - Wikipedia", 2),
    ("https://www.nycgo.com/", "New York City Tourism + Conventions", 3),
    ("https://www.britishairways.com/travel/managebooking/public/en_gb", "Manage My Booking | British Airways", 3),
    ("https://www.airbnb.co.uk/rooms/48213371", "Cottage in St Ives · ★4.92 · 2 bedrooms", 2),
    ("https://github.com/", "GitHub", 3),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "Rick Astley - Never Gonna Give You Up - YouTube", 1),
    ("https://www.gov.uk/renew-adult-passport", "Renew or replace your adult passport - GOV.UK", 3),
    ("https://www.monzo.com/", "Monzo – Banking made easy", 2),
    ("https://www.admiral.com/car-insurance", "Car Insurance Quotes | Admiral", 2),
    ("https://www.rightmove.co.uk/properties/144283472", "2 bedroom flat for sale in Jericho, Oxford", 3),
    ("https://www.strava.com/dashboard", "Dashboard | Strava", 2),
]
#: Erased from the database (only the carver finds them); and one page removed via "Clear History".
ERASED = [("https://www.hotels.com/ho123456/", "The Jane Hotel, New York - Hotels.com", 2)]
TOMBSTONE_URL = "https://www.tiffany.co.uk/jewelry/rings/"

BOOKMARKS = {  # folder -> [(title, url)]
    "Favorites": [("BBC News", "https://www.bbc.co.uk/news"), ("Guardian", "https://www.theguardian.com/uk"),
                  ("Met Office", "https://www.metoffice.gov.uk/"), ("GitHub", "https://github.com/")],
    "Favorites/Travel": [("National Rail", "https://www.nationalrail.co.uk/"),
                         ("British Airways", "https://www.britishairways.com/"),
                         ("NYC Go", "https://www.nycgo.com/"), ("Citymapper", "https://citymapper.com/")],
    "Recipes": [("BBC Good Food", "https://www.bbcgoodfood.com/"),
                ("Ottolenghi", "https://ottolenghi.co.uk/recipes"),
                ("Serious Eats", "https://www.seriouseats.com/"), ("Smitten Kitchen", "https://smittenkitchen.com/")],
    "Home": [("Monzo", "https://www.monzo.com/"), ("Octopus Energy", "https://octopus.energy/"),
             ("Council tax", "https://www.oxford.gov.uk/counciltax"), ("Rightmove", "https://www.rightmove.co.uk/"),
             ("Gov.uk passport", "https://www.gov.uk/renew-adult-passport")],
    "": [("Apple", "https://www.apple.com/uk/"), ("Wikipedia", "https://en.wikipedia.org/"),
         ("Strava", "https://www.strava.com/")],
}
READING = [
    ("The secret life of the High Line", "https://www.newyorker.com/magazine/high-line", "How a disused railway"
     " became New York's favourite park.", True),
    ("How to bake the perfect sourdough", "https://www.theguardian.com/food/sourdough", "Everything you need to"
     " know about starters, hydration and shaping.", False),
    ("Why we sleep", "https://www.bbc.com/future/article/why-we-sleep", "Scientists explain what happens to the"
     " brain at night.", False),
]
TABS = [  # group, title, url, minutes ago
    ("Local", "Home - BBC News", "https://www.bbc.co.uk/news", 12),
    ("Local", "Manage My Booking | British Airways", "https://www.britishairways.com/travel/managebooking/public/"
     "en_gb", 95),
    ("Local", "Oxford weather - Met Office", "https://www.metoffice.gov.uk/weather/forecast/gcpn7mp10", 30),
    ("Trip to New York", "High Line - Wikipedia", "https://en.wikipedia.org/wiki/High_Line", 60 * 26),
    ("Private", "Engagement rings | Tiffany & Co.", "https://www.tiffany.co.uk/jewelry/rings/", 60 * 3),
]


def apple(moment: datetime) -> float:
    """Seconds since 2001-01-01 UTC."""
    return (moment - APPLE_EPOCH).total_seconds()


def build_history(ctx: SampleContext, path: str) -> None:
    """History.db with ~60 visits over the last three weeks."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(HISTORY_SCHEMA)
    rng = ctx.rng
    visits: list[tuple[float, int, str]] = []
    pages = PAGES[:10] + ERASED + PAGES[10:]  # the erased page sits among the others, as it would
    for item_id, (url, title, count) in enumerate(pages, start=1):
        domain = url.split("/")[2].removeprefix("www.")
        conn.execute("INSERT INTO history_items VALUES (?, ?, ?, ?, ?, NULL, NULL, 0, ?, 200)",
                     (item_id, url, domain.split(".")[0], count, b"\x00" * 4, count * 100))
        for _ in range(count):
            when = SAMPLE_NOW - timedelta(minutes=rng.randint(5, 21 * 24 * 60))
            visits.append((apple(when), item_id, title))
    visits.sort()
    for visit_id, (when, item_id, title) in enumerate(visits, start=1):
        conn.execute("INSERT INTO history_visits (id, history_item, visit_time, title, load_successful, origin,"
                     " generation) VALUES (?, ?, ?, ?, 1, ?, 1)", (visit_id, item_id, when, title, visit_id % 7 == 0))
    # A redirect: http://bbc.co.uk/news -> https://www.bbc.co.uk/news, one second apart.
    last_bbc = max(i for i, v in enumerate(visits, start=1) if v[1] == 1)
    conn.execute("INSERT INTO history_items VALUES (?, 'http://bbc.co.uk/news', 'bbc', 1, ?, NULL, NULL, 0, 100, 301)",
                 (len(pages) + 1, b"\x00" * 4))
    cur = conn.execute("INSERT INTO history_visits (history_item, visit_time, title, load_successful,"
                       " redirect_destination) VALUES (?, ?, NULL, 1, ?)",
                       (len(pages) + 1, visits[last_bbc - 1][0] - 1, last_bbc))
    conn.execute("UPDATE history_visits SET redirect_source=? WHERE id=?", (cur.lastrowid, last_bbc))
    removed = apple(SAMPLE_NOW - timedelta(days=2))
    conn.execute("INSERT INTO history_tombstones (start_time, end_time, url, generation) VALUES (?, ?, ?, 2)",
                 (removed - 3600, removed, TOMBSTONE_URL))
    conn.execute("INSERT INTO metadata VALUES ('version', 20)")
    conn.commit()
    erased_id = len(PAGES[:10]) + 1
    conn.execute("DELETE FROM history_visits WHERE history_item=?", (erased_id,))
    conn.execute("DELETE FROM history_items WHERE id=?", (erased_id,))
    conn.commit()
    conn.close()


def build_bookmarks(path: str) -> None:
    """Bookmarks.db: root, Favorites (BookmarksBar) with a Travel subfolder, two folders, Reading List."""
    conn = sqlite3.connect(path)
    conn.executescript(BOOKMARKS_SCHEMA.format(extra=""))
    conn.execute("INSERT INTO bookmarks (id, special_id, parent, type, title, order_index, editable, deletable)"
                 " VALUES (0, 0, NULL, 1, '', 0, 0, 0)")
    folders = {"": 0}
    specials = {"Favorites": ("BookmarksBar", 1), "com.apple.ReadingList": ("com.apple.ReadingList", 3)}
    for order, name in enumerate(["Favorites", "com.apple.ReadingList", "Favorites/Travel", "Recipes", "Home"], 1):
        parent_name, _, leaf = name.rpartition("/")
        title, special = specials.get(name, (leaf, 0))
        cur = conn.execute("INSERT INTO bookmarks (special_id, parent, type, title, order_index, external_uuid)"
                           " VALUES (?, ?, 1, ?, ?, ?)",
                           (special, folders[parent_name], title, order,
                            str(uuid.uuid5(uuid.NAMESPACE_URL, name)).upper()))
        folders[name] = cur.lastrowid  # type: ignore[assignment]
    modified = apple(SAMPLE_NOW - timedelta(days=30))
    for name, items in BOOKMARKS.items():
        for index, (title, url) in enumerate(items):
            conn.execute("INSERT INTO bookmarks (parent, type, title, url, order_index, external_uuid, last_modified)"
                         " VALUES (?, 0, ?, ?, ?, ?, ?)",
                         (folders[name], title, url, index, str(uuid.uuid5(uuid.NAMESPACE_URL, url)).upper(),
                          modified + index * 60))
    for index, (title, url, preview, read) in enumerate(READING):
        added = SAMPLE_NOW - timedelta(days=10 - 3 * index, hours=index)
        extra = {"com.apple.ReadingList": {"DateAdded": added.replace(tzinfo=None), "PreviewText": preview,
                                           **({"DateLastViewed": (added + timedelta(hours=5)).replace(tzinfo=None)}
                                              if read else {})}}
        conn.execute("INSERT INTO bookmarks (parent, type, title, url, order_index, read, extra_attributes,"
                     " external_uuid) VALUES (?, 0, ?, ?, ?, ?, ?, ?)",
                     (folders["com.apple.ReadingList"], title, url, index, int(read),
                      plistlib.dumps(extra, fmt=plistlib.FMT_BINARY), str(uuid.uuid5(uuid.NAMESPACE_URL, url)).upper()))
    conn.commit()
    conn.close()


def build_tabs(path: str) -> None:
    """SafariTabs.db (iOS 15+): tab groups as folders, tabs as bookmarks with plist attributes."""
    conn = sqlite3.connect(path)
    conn.executescript(BOOKMARKS_SCHEMA.format(extra=TABS_EXTRA))
    conn.execute("INSERT INTO bookmarks (id, special_id, parent, type, title, order_index) VALUES (0, 0, NULL, 1,"
                 " '', 0)")
    groups: dict[str, int] = {}
    for index, name in enumerate(["Local", "Private", "Trip to New York"]):
        cur = conn.execute("INSERT INTO bookmarks (parent, type, title, order_index, subtype, external_uuid)"
                           " VALUES (0, 1, ?, ?, ?, ?)", (name, index, 0 if name != "Trip to New York" else 1,
                                                         str(uuid.uuid5(uuid.NAMESPACE_URL, "group:" + name)).upper()))
        groups[name] = cur.lastrowid  # type: ignore[assignment]
    for index, (group, title, url, minutes) in enumerate(TABS):
        viewed = (SAMPLE_NOW - timedelta(minutes=minutes)).replace(tzinfo=None)
        local = plistlib.dumps({"LastVisitTime": viewed, "TabIndex": index, "OpenedFromLink": index == 1,
                                "IsMuted": False, "ShowingReader": False}, fmt=plistlib.FMT_BINARY)
        extra = plistlib.dumps({"DateLastViewed": viewed}, fmt=plistlib.FMT_BINARY)
        conn.execute("INSERT INTO bookmarks (parent, type, title, url, order_index, extra_attributes,"
                     " local_attributes, external_uuid) VALUES (?, 0, ?, ?, ?, ?, ?, ?)",
                     (groups[group], title, url, index, extra, local,
                      str(uuid.uuid5(uuid.NAMESPACE_URL, "tab:" + url)).upper()))
    conn.commit()
    conn.close()


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """History.db and SafariTabs.db in Safari's container, Bookmarks.db in the home folder (iOS 17 layout)."""
    history = ctx.scratch_path("safari/History.db")
    build_history(ctx, str(history))
    yield SampleFile(APP, "Library/Safari/History.db", history.read_bytes(), mtime=SAMPLE_NOW - timedelta(minutes=5))
    bookmarks = ctx.scratch_path("safari/Bookmarks.db")
    build_bookmarks(str(bookmarks))
    yield SampleFile("HomeDomain", "Library/Safari/Bookmarks.db", bookmarks.read_bytes(),
                     mtime=SAMPLE_NOW - timedelta(days=1))
    tabs = ctx.scratch_path("safari/SafariTabs.db")
    build_tabs(str(tabs))
    yield SampleFile(APP, "Library/Safari/SafariTabs.db", tabs.read_bytes(), mtime=SAMPLE_NOW - timedelta(minutes=12))
