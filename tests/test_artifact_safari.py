"""Safari history, bookmarks, tabs (sample, iOS 17 schemas) and the HTTP cache (real iOS 17 Cache.db vs iLEAPP)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import Artifact, KindStatus
from reclaim.artifacts.safari import (
    SafariBookmarksArtifact,
    SafariCacheArtifact,
    SafariHistoryArtifact,
    SafariTabsArtifact,
)
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import safari as sample_safari
from reclaim.sample.model import SampleContext
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS

CACHE_ZIP = "ileapp/cases/safariCache/testdata.safariCache.safariCache.josh_ios17_ffs.zip"


def scan(fs: VirtualFS, folder: Path, artifacts: list[Artifact], deleted: bool = False) -> dict[str, KindStatus]:
    writer = CaseWriter(folder)
    statuses = {}
    for artifact in artifacts:
        status = KindStatus(artifact.kind, artifact.title)
        ctx = ScanContext(fs, writer.media, ScanOptions(recover_deleted=deleted), kind=artifact.kind)
        _run_artifact(artifact, ctx, writer, status)
        status.warnings += ctx.warnings
        writer.set_status(status, artifact.view, artifact.formats)
        statuses[artifact.kind] = status
    writer.close()
    return statuses


@pytest.fixture(scope="module")
def sample_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, KindStatus], Path]:
    folder = tmp_path_factory.mktemp("safari") / "case"
    artifacts = [SafariHistoryArtifact(), SafariBookmarksArtifact(), SafariTabsArtifact(), SafariCacheArtifact()]
    return scan(MemoryFS(sample_safari.files(SampleContext())), folder, artifacts, deleted=True), folder


def records(folder: Path, kind: str, **filters: Any) -> list[dict[str, Any]]:
    with CaseReader(folder) as case:
        return list(case.records(kind, **filters))


def test_history_visits_titles_and_redirect(sample_case: tuple[dict[str, KindStatus], Path]) -> None:
    statuses, folder = sample_case
    live = records(folder, "safari-history", deleted=False)
    expected_visits = sum(count for _, _, count in sample_safari.PAGES) + 1  # + the http:// redirect
    assert statuses["safari-history"].live == len(live) == expected_visits
    bbc = [v for v in live if v["url"] == "https://www.bbc.co.uk/news"]
    assert len(bbc) == 9 and all(v["title"] == "Home - BBC News" and v["visit_count"] == 9 for v in bbc)
    redirected = [v for v in bbc if v["redirect_from"]]
    assert [v["redirect_from"] for v in redirected] == ["http://bbc.co.uk/news"]
    assert all(v["date"].endswith("Z") for v in live)
    assert {v["origin"] for v in live} == {"this device", "another device"}


def test_history_removed_and_erased_pages(sample_case: tuple[dict[str, KindStatus], Path]) -> None:
    _, folder = sample_case
    deleted = records(folder, "safari-history", deleted=True)
    tombstone = [v for v in deleted if v["provenance"]["area"] == "app"]
    assert [(v["url"], v["date"]) for v in tombstone] == [(sample_safari.TOMBSTONE_URL, "2024-04-29T09:30:00Z")]
    carved = [v for v in deleted if v["provenance"]["area"] != "app"]
    hotel_url, hotel_title, hotel_visits = sample_safari.ERASED[0]
    assert len(carved) == hotel_visits
    assert {(v["url"], v["title"]) for v in carved} == {(hotel_url, hotel_title)}


def test_bookmarks_in_folders_and_reading_list(sample_case: tuple[dict[str, KindStatus], Path]) -> None:
    statuses, folder = sample_case
    marks = {b["title"]: b for b in records(folder, "safari-bookmarks")}
    assert statuses["safari-bookmarks"].live == 23
    assert marks["National Rail"]["folder"] == "Favorites/Travel"
    assert marks["National Rail"]["url"] == "https://www.nationalrail.co.uk/"
    assert marks["BBC News"]["folder"] == "Favorites" and marks["Apple"]["folder"] == ""
    reading = [b for b in marks.values() if b["reading_list"]]
    assert sorted(b["title"] for b in reading) == sorted(t for t, *_ in sample_safari.READING)
    high_line = marks["The secret life of the High Line"]
    assert high_line["folder"] == "Reading List" and high_line["read"] is True
    assert high_line["added"] == "2024-04-21T09:30:00Z" and high_line["last_viewed"] == "2024-04-21T14:30:00Z"
    assert high_line["preview"].startswith("How a disused railway")
    assert marks["Why we sleep"]["read"] is False


def test_open_tabs_with_groups_and_private(sample_case: tuple[dict[str, KindStatus], Path]) -> None:
    _, folder = sample_case
    tabs = {t["title"]: t for t in records(folder, "safari-tabs")}
    assert len(tabs) == 5
    ring = tabs["Engagement rings | Tiffany & Co."]
    assert ring["private"] is True and ring["group"] == "Private"
    assert ring["last_viewed"] == "2024-05-01T06:30:00Z"
    assert tabs["High Line - Wikipedia"]["group"] == "Trip to New York"
    assert tabs["Manage My Booking | British Airways"]["opened_from_link"] is True


def test_sample_has_no_cache_and_says_why(sample_case: tuple[dict[str, KindStatus], Path]) -> None:
    statuses, _ = sample_case
    reason = statuses["safari-cache"].reason
    assert reason.startswith("not in this source: iPhone backups leave out every app's Library/Caches folder")
    assert reason.endswith("Library/Caches/com.apple.mobilesafari/Cache.db)")  # the paths looked for follow


# -- real data: Safari's Cache.db from Josh Hickman's iOS 17 image -----------------------------------


@pytest.fixture(scope="module")
def cache(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[KindStatus, Path]:
    folder = tmp_path_factory.mktemp("cache") / "case"
    statuses = scan(open_source(corpus / CACHE_ZIP), folder, [SafariCacheArtifact()])
    return statuses["safari-cache"], folder


def test_cache_matches_ileapp(corpus: Path, cache: tuple[KindStatus, Path]) -> None:
    status, folder = cache
    (result,) = (corpus / "ileapp/results/safariCache").glob("*.json")
    expected = json.loads(result.read_text())
    h = {name: i for i, name in enumerate(expected["headers"])}
    theirs = [
        (r[h["Timestamp"]], r[h["Request URL"]], r[h["HTTP Status"]], r[h["Request Method"]], r[h["MIME Type"]],
         r[h["Payload Location"]].lower(), r[h["Cache File Name"]], r[h["Payload Size"]],
         r[h["Content Type"]], r[h["Content Length"]], r[h["Date"]], r[h["Server"]])
        for r in expected["data"]
    ]
    ours = [
        (int(_ts(e["date"])), e["url"], e["status"], e["method"], e["mime"], e["stored_in"], e["cache_file"],
         e["size"], e["headers"].get("Content-Type", ""), e["headers"].get("Content-Length", ""),
         e["headers"].get("Date", ""), e["headers"].get("Server", ""))
        for e in records(folder, "safari-cache", order="rid")
    ]
    assert status.live == 6 and ours == theirs


def test_cache_bodies_are_stored(corpus: Path, cache: tuple[KindStatus, Path]) -> None:
    _, folder = cache
    entries = {e["cache_file"] or e["id"]: e for e in records(folder, "safari-cache")}
    name = "33A68DE5-BF77-4EA2-A5FD-93B92F7C247E"
    with zipfile.ZipFile(corpus / CACHE_ZIP) as archive:
        member = next(n for n in archive.namelist() if n.endswith(f"fsCachedData/{name}"))
        original = archive.read(member)
    (body,) = entries[name]["attachments"]
    assert body["sha256"] == hashlib.sha256(original).hexdigest() and body["mime"] == "image/jpeg"
    png = entries["safari-cache:2"]["attachments"][0]
    assert png["size"] == 3433 and png["mime"] == "image/png"
    with CaseReader(folder) as case:
        assert case.media_path(png["sha256"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["safari-history", "safari-bookmarks", "safari-tabs"])
    counts = {s.kind: s.live for s in result.kinds}
    assert counts == {"safari-history": sum(c for *_, c in sample_safari.PAGES) + 1, "safari-bookmarks": 23,
                      "safari-tabs": 5}


def test_history_without_its_pages_table_still_lists_the_visits(tmp_path: Path) -> None:
    """A damaged schema that lost ``history_items`` (found by scripts/damage_sweep.py on an encrypted backup)
    stopped the kind; the visits, their titles and dates, are still there without their addresses."""
    import dataclasses
    import sqlite3

    files = []
    for item in sample_safari.files(SampleContext()):
        if item.path.endswith("Safari/History.db") and isinstance(item.data, bytes | Path):
            db = tmp_path / "History.db"
            db.write_bytes(item.data if isinstance(item.data, bytes) else item.data.read_bytes())
            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA legacy_alter_table = ON")
                conn.execute("ALTER TABLE history_items RENAME TO lost_items")
            conn.close()
            item = dataclasses.replace(item, data=db.read_bytes())
        files.append(item)
    statuses = scan(MemoryFS(files), tmp_path / "case", [SafariHistoryArtifact()])
    status = statuses["safari-history"]
    healthy = sum(c for *_, c in sample_safari.PAGES)
    assert status.reason == "" and status.live >= healthy
    assert any(w.endswith("History.db: no history_items table: visits are listed without their addresses")
               for w in status.warnings)
    visits = records(tmp_path / "case", "safari-history")
    live = [v for v in visits if not v["deleted"]]
    assert len(live) == status.live and any(v.get("title") for v in live) and not any(v.get("url") for v in live)
