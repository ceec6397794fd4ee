"""Safari bookmarks exported as a Netscape bookmark file, re-parsed as a browser's importer would."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.safari import SafariBookmarksArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.export import bookmarks
from reclaim.sample.content import safari as sample_safari
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


class Importer(HTMLParser):
    """Reads a Netscape bookmark file into {url: (folder path, title)} like browsers do."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []
        self.pending: str | None = None
        self.in_h3 = False
        self.in_a: str | None = None
        self.found: dict[str, tuple[str, str]] = {}
        self.add_dates: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "h3":
            self.in_h3, self.pending = True, ""
        elif tag == "dl" and self.pending is not None:
            self.path.append(self.pending)
            self.pending = None
        elif tag == "a":
            self.in_a = values.get("href") or ""
            self.add_dates[self.in_a] = values.get("add_date") or ""
            self.found[self.in_a] = ("/".join(self.path), "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self.in_h3 = False
        elif tag == "dl" and self.path:
            self.path.pop()
        elif tag == "a":
            self.in_a = None

    def handle_data(self, data: str) -> None:
        if self.in_h3 and self.pending is not None:
            self.pending += data
        elif self.in_a is not None:
            folder, title = self.found[self.in_a]
            self.found[self.in_a] = (folder, title + data)


def test_bookmarks_file_reimports_with_folders(tmp_path: Path) -> None:
    writer = CaseWriter(tmp_path / "case")
    status = KindStatus("safari-bookmarks", "Safari bookmarks")
    ctx = ScanContext(MemoryFS(sample_safari.files(SampleContext())), writer.media,
                      ScanOptions(recover_deleted=False), kind="safari-bookmarks")
    _run_artifact(SafariBookmarksArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ("html-bookmarks",))
    writer.close()
    with CaseReader(tmp_path / "case") as case:
        (path,) = bookmarks.export(case, "safari-bookmarks", tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    importer = Importer()
    importer.feed(text)
    found = importer.found
    assert len(found) == 23
    assert found["https://www.nationalrail.co.uk/"] == ("Favorites/Travel", "National Rail")
    assert found["https://www.bbc.co.uk/news"] == ("Favorites", "BBC News")
    assert found["https://ottolenghi.co.uk/recipes"] == ("Recipes", "Ottolenghi")
    assert found["https://www.apple.com/uk/"] == ("", "Apple")
    assert found["https://www.newyorker.com/magazine/high-line"] == ("Reading List",
                                                                     "The secret life of the High Line")
    assert importer.add_dates["https://www.newyorker.com/magazine/high-line"] == "1713691800"  # 2024-04-21 09:30 UTC
