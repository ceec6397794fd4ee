"""Safari of iOS 3–7: History.plist (WebKit's WebHistory file) and SuspendState.plist (open pages).

The fixtures are written with plistlib in the layout WebKit's HistoryPropertyListWriter and
WebHistoryItem's dictionaryRepresentation give (URL under "", lastVisitedDate as "%.1f" text of
seconds since 2001), and as iPhone backup analyzers read SuspendState.plist (docs/kinds/safari.md).
"""

from __future__ import annotations

import csv
import plistlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export import export_case
from reclaim.sample.content.safari import HISTORY_SCHEMA
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS

HOME, APP = "HomeDomain", "AppDomain-com.apple.mobilesafari"
HISTORY, SUSPEND = "Library/Safari/History.plist", "Library/Safari/SuspendState.plist"
BBC = "https://www.bbc.co.uk/news"
# 400,000,000 s after 2001-01-01T00:00:00Z: 4,629 days (2001–2012 are 4,383 days, then 246 days of 2013 reach
# 4 September) and 54,400 s (15:06:40).
BBC_VISIT = "2013-09-04T15:06:40Z"

PAGES: list[dict[str, Any]] = [
    {"": BBC, "title": "BBC News - Home", "lastVisitedDate": "400000000.0", "visitCount": 9,
     "D": [3, 2, 0, 4], "W": [9]},
    {"": "http://www.twitter.com/", "title": "Twitter", "lastVisitedDate": "399996400.0", "visitCount": 2,
     "lastVisitWasFailure": True, "redirectURLs": ["https://twitter.com/"], "D": [2]},
    {"": "https://www.google.com/search", "displayTitle": "Search results", "lastVisitedDate": "399992800.5",
     "visitCount": 1, "lastVisitWasHTTPNonGet": True, "D": [1]},
]


def history_plist(pages: list[dict[str, Any]], fmt: plistlib.PlistFormat = plistlib.FMT_BINARY,
                  version: Any = 1) -> bytes:
    return plistlib.dumps({"WebHistoryFileVersion": version, "WebHistoryDates": pages}, fmt=fmt)


def suspend_state_plist() -> bytes:
    def document(url: str | None, title: str, viewed: float, back: list[tuple[str, str]]) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "SafariStateDocumentTitle": title, "SafariStateDocumentLastViewedTime": viewed,
            "SafariStateDocumentUUID": f"UUID-{len(back)}-{int(viewed)}",
            "SafariStateDocumentBackForwardList": {
                "capacity": 100, "current": len(back) - 1,
                "entries": [{"": u, "title": t} for u, t in back]}}
        if url is not None:
            doc["SafariStateDocumentURL"] = url
        return doc

    return plistlib.dumps({
        "SafariStateActiveDocumentIndex": 1,
        "SafariStateDocuments": [
            document(BBC, "BBC News - Home", 400003600.0, [("https://www.google.com/", "Google"), (BBC, "BBC")]),
            # no SafariStateDocumentURL: the page shown is the back/forward list's current entry
            document(None, "", 399990000.0, [("https://en.m.wikipedia.org/wiki/Cardiff", "Cardiff - Wikipedia")]),
        ],
        "SafariStatePrivateDocuments": [
            document("https://www.johnlewis.com/rings", "Rings | John Lewis", 400000300.0,
                     [("https://www.johnlewis.com/rings", "Rings | John Lewis")]),
        ],
    }, fmt=plistlib.FMT_BINARY)


def scan_files(folder: Path, files: list[SampleFile], kinds: list[str]) -> CaseReader:
    scan(MemoryFS(files), folder, kinds=kinds, options=ScanOptions(recover_deleted=True))
    return CaseReader(folder)


def status_of(case: CaseReader, kind: str) -> dict[str, Any]:
    (status,) = [k for k in case.kinds() if k["kind"] == kind]
    return status


@pytest.mark.parametrize(("fmt", "domain"), [(plistlib.FMT_BINARY, APP), (plistlib.FMT_XML, HOME)],
                         ids=["binary-in-safari-container", "xml-in-home"])
def test_history_plist_pages(tmp_path: Path, fmt: plistlib.PlistFormat, domain: str) -> None:
    with scan_files(tmp_path / "case", [SampleFile(domain, HISTORY, history_plist(PAGES, fmt))],
                    ["safari-history"]) as case:
        status = status_of(case, "safari-history")
        pages = {r["url"]: r for r in case.records("safari-history")}
    assert (status["live"], status["deleted"], status["reason"], status["warnings"]) == (3, 0, "", [])
    bbc = pages[BBC]
    assert (bbc["title"], bbc["date"], bbc["visit_count"], bbc["loaded"]) == ("BBC News - Home", BBC_VISIT, 9, True)
    assert bbc["source"] == f"{domain}/{HISTORY}" and bbc["deleted"] is False and bbc["provenance"] is None
    assert "last visit only" in bbc["note"] and bbc["origin"] == "" and bbc["redirect_from"] == ""
    twitter = pages["http://www.twitter.com/"]
    assert (twitter["redirect_to"], twitter["loaded"], twitter["date"]) == (
        "https://twitter.com/", False, "2013-09-04T14:06:40Z")
    search = pages["https://www.google.com/search"]
    assert (search["title"], search["date"]) == ("Search results", "2013-09-04T13:06:40.500000Z")


def test_suspend_state_open_pages(tmp_path: Path) -> None:
    with scan_files(tmp_path / "case", [SampleFile(HOME, SUSPEND, suspend_state_plist())], ["safari-tabs"]) as case:
        status = status_of(case, "safari-tabs")
        tabs = {t["url"]: t for t in case.records("safari-tabs")}
    assert (status["live"], status["reason"], status["warnings"]) == (3, "", [])
    bbc = tabs[BBC]
    assert (bbc["title"], bbc["last_viewed"], bbc["date"], bbc["private"], bbc["position"]) == (
        "BBC News - Home", "2013-09-04T16:06:40Z", "2013-09-04T16:06:40Z", False, 0)
    assert bbc["source"] == f"{HOME}/{SUSPEND}" and bbc["opened_from_link"] is None
    wiki = tabs["https://en.m.wikipedia.org/wiki/Cardiff"]
    assert (wiki["title"], wiki["position"]) == ("Cardiff - Wikipedia", 1)
    rings = tabs["https://www.johnlewis.com/rings"]
    assert (rings["title"], rings["private"], rings["last_viewed"]) == (
        "Rings | John Lewis", True, "2013-09-04T15:11:40Z")


@pytest.mark.parametrize("damage", ["truncated-binary", "truncated-xml", "not-a-plist", "a-list"])
def test_a_damaged_plist_is_a_warning_and_the_other_files_still_read(tmp_path: Path, damage: str) -> None:
    good = history_plist(PAGES)
    bad = {"truncated-binary": good[: len(good) // 2], "truncated-xml": history_plist(PAGES, plistlib.FMT_XML)[:300],
           "not-a-plist": b"\x00\x01garbage" * 40, "a-list": plistlib.dumps([PAGES[0]])}[damage]
    files = [SampleFile(HOME, HISTORY, bad), SampleFile(APP, HISTORY, good), SampleFile(APP, SUSPEND, bad),
             SampleFile(HOME, SUSPEND, suspend_state_plist())]
    with scan_files(tmp_path / "case", files, ["safari-history", "safari-tabs"]) as case:
        history, tabs = status_of(case, "safari-history"), status_of(case, "safari-tabs")
        urls = sorted(r["url"] for r in case.records("safari-history"))
    assert (history["live"], history["reason"]) == (3, "")
    assert urls == sorted(p[""] for p in PAGES)
    assert len(history["warnings"]) == 1 and history["warnings"][0].startswith(f"{HOME}/{HISTORY}: ")
    assert (tabs["live"], tabs["reason"]) == (3, "")
    assert len(tabs["warnings"]) == 1 and tabs["warnings"][0].startswith(f"{APP}/{SUSPEND}: ")


def test_odd_items_and_versions(tmp_path: Path) -> None:
    odd = [PAGES[0], "not a page", {"title": "no URL"}, {"": "https://example.org/", "lastVisitedDate": "soon",
                                                         "visitCount": -3, "redirectURLs": "not a list"}]
    files = [SampleFile(HOME, HISTORY, history_plist(odd)), SampleFile(APP, HISTORY, history_plist(PAGES, version=2))]
    with scan_files(tmp_path / "case", files, ["safari-history"]) as case:
        status = status_of(case, "safari-history")
        pages = {r["url"]: r for r in case.records("safari-history")}
    assert sorted(pages) == ["https://example.org/", BBC]
    example = pages["https://example.org/"]
    assert (example["date"], example["visit_count"], example["redirect_to"]) == (None, 1, "")
    assert sorted(status["warnings"]) == [
        f"{APP}/{HISTORY}: WebHistoryFileVersion 2 is not one this reader (nor Safari) knows; skipped",
        f"{HOME}/{HISTORY}: 2 of 4 history items have no URL; skipped"]


def test_an_empty_history_file_is_an_empty_history(tmp_path: Path) -> None:
    """WebKit writes an empty History.plist when the history is empty: no warning, no record."""
    with scan_files(tmp_path / "case", [SampleFile(HOME, HISTORY, b"")], ["safari-history"]) as case:
        status = status_of(case, "safari-history")
    assert (status["live"], status["warnings"]) == (0, [])
    assert status["reason"] == "its files are here but hold no records"


def test_the_reason_names_the_legacy_files(tmp_path: Path) -> None:
    with scan_files(tmp_path / "case", [SampleFile(HOME, "Library/Other/x.plist", b"")],
                    ["safari-history", "safari-tabs"]) as case:
        history, tabs = status_of(case, "safari-history")["reason"], status_of(case, "safari-tabs")["reason"]
    assert f"{HOME}/{HISTORY}" in history and f"{APP}/{HISTORY}" in history
    assert f"{HOME}/{SUSPEND}" in tabs and f"{APP}/{SUSPEND}" in tabs


def history_db(path: Path) -> bytes:
    """An iOS 8 History.db holding two visits to the BBC page, the later one the plist's last visit."""
    conn = sqlite3.connect(path)
    conn.executescript(HISTORY_SCHEMA)
    conn.execute("INSERT INTO history_items VALUES (1, ?, 'bbc.co.uk', 10, x'', NULL, NULL, 0, 10, 200)", (BBC,))
    conn.executemany("INSERT INTO history_visits (id, history_item, visit_time, title) VALUES (?, 1, ?, ?)",
                     [(1, 399900000.0, "BBC News - Home"), (2, 400000000.0, "BBC News - Home")])
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_history_db_and_plist_together_without_duplicates(tmp_path: Path) -> None:
    """A phone updated to iOS 8 may keep its old History.plist beside History.db (and a backup both copies of
    the plist): each visit is reported once."""
    plist = history_plist(PAGES)
    files = [SampleFile(APP, "Library/Safari/History.db", history_db(tmp_path / "History.db")),
             SampleFile(APP, HISTORY, plist), SampleFile(HOME, HISTORY, plist)]
    with scan_files(tmp_path / "case", files, ["safari-history"]) as case:
        status = status_of(case, "safari-history")
        visits = list(case.records("safari-history"))
    assert (status["live"], status["reason"], status["warnings"]) == (4, "", [])
    bbc = sorted((v["date"], v["source"]) for v in visits if v["url"] == BBC)
    assert bbc == [("2013-09-03T11:20:00Z", f"{APP}/Library/Safari/History.db"),
                   (BBC_VISIT, f"{APP}/Library/Safari/History.db")]
    from_plist = sorted(v["url"] for v in visits if v["source"].endswith("History.plist"))
    assert from_plist == ["http://www.twitter.com/", "https://www.google.com/search"]


def test_csv_and_report_show_the_legacy_records(tmp_path: Path) -> None:
    files = [SampleFile(HOME, HISTORY, history_plist(PAGES)), SampleFile(HOME, SUSPEND, suspend_state_plist())]
    with scan_files(tmp_path / "case", files, ["safari-history", "safari-tabs"]) as case:
        export_case(case, tmp_path / "out", formats=["csv", "html"])
    with open(tmp_path / "out" / "csv" / "safari-history.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["url"]: r for r in csv.DictReader(handle)}
    assert (rows[BBC]["title"], rows[BBC]["date"], rows[BBC]["visit_count"]) == ("BBC News - Home", BBC_VISIT, "9")
    assert rows["http://www.twitter.com/"]["redirect_to"] == "https://twitter.com/"
    assert rows[BBC]["note"].startswith("last visit only")
    with open(tmp_path / "out" / "csv" / "safari-tabs.csv", encoding="utf-8-sig", newline="") as handle:
        tabs = {r["url"]: r for r in csv.DictReader(handle)}
    assert tabs["https://www.johnlewis.com/rings"]["private"] == "yes"
    report = (tmp_path / "out" / "report" / "safari-history" / "index.html").read_text("utf-8")
    assert BBC in report and "BBC News - Home" in report
