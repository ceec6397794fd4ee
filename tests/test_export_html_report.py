"""The HTML report of the sample backup, as a person opens it: every link and media file it points
to exists, deleted messages can be found from the conversation list, and labels are plain words."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reclaim.case.scan import scan
from reclaim.export import export_case
from reclaim.sources import open_source


class _Refs(HTMLParser):
    """Collects every href/src of a page and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src", "poster") and value:
                self.refs.append(value)
            elif key == "id" and value:
                self.ids.add(value)


def parse(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text(encoding="utf-8"))
    return refs


@pytest.fixture(scope="module")
def report(sample_backup: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of the plain sample backup, deleted records included."""
    base = tmp_path_factory.mktemp("report")
    with open_source(sample_backup) as fs:
        scan(fs, base / "case")
    export_case(base / "case", base / "out", formats=["html"])
    return base / "out"


def test_every_link_and_media_file_exists(report: Path) -> None:
    pages = sorted(report.rglob("*.html"))
    assert len(pages) > 40
    parsed = {page.resolve(): parse(page) for page in pages}
    checked, broken = 0, []
    for page, refs in parsed.items():
        for ref in refs.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue  # web links are the person's data, never opened
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_relative_to(report.resolve()) or not target.is_file():
                broken.append(f"{page.relative_to(report.resolve())}: {ref}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parsed[target].ids:
                broken.append(f"{page.relative_to(report.resolve())}: {ref} (no such anchor)")
    assert checked > 250
    assert broken == []
