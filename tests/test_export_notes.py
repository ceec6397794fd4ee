"""Notes exported as HTML, Markdown and text files, with their attachments beside them."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.notes import NotesArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.export import notes_files
from reclaim.sample.content import notes as sample_notes
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("notes-export")
    writer = CaseWriter(root / "case")
    status = KindStatus("notes", "Notes")
    ctx = ScanContext(MemoryFS(sample_notes.files(SampleContext())), writer.media,
                      ScanOptions(recover_deleted=True), kind="notes")
    _run_artifact(NotesArtifact(), ctx, writer, status)
    writer.set_status(status, "cards", ("notes",))
    writer.close()
    with CaseReader(root / "case") as case:
        files = notes_files.export(case, "notes", root / "out" / "notes")
    return root / "out" / "notes", files


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.srcs.append(values["src"] or "")
        if tag == "a":
            self.hrefs.append(values["href"] or "")


def test_three_files_per_note_grouped_by_folder(out: tuple[Path, list[Path]]) -> None:
    root, files = out
    assert len(files) == 18 * 3  # 16 live notes (2 locked), 1 in Recently Deleted, 1 carved
    assert (root / "Work" / "Invoice for Harper & Co.txt").read_text(encoding="utf-8").startswith(
        "Invoice for Harper & Co\nInvoice INV-2024-031 sent on 28 April: £1,250")
    assert (root / "Recently Deleted" / "Gift ideas.md").is_file()
    assert (root / "Recovered (deleted)" / "Resignation draft.html").is_file()
    assert sorted(p.name for p in (root / "Recipes").iterdir()) == ["Banana bread.html", "Banana bread.md",
                                                                    "Banana bread.txt"]


def test_image_is_copied_and_linked(out: tuple[Path, list[Path]]) -> None:
    root, _ = out
    page = (root / "Notes" / "Holiday photos.html").read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    assert parser.srcs == ["Holiday%20photos%20files/IMG_0420.jpeg"]
    copy = root / "Notes" / "Holiday photos files" / "IMG_0420.jpeg"
    expected = next(f.data for f in sample_notes.files(SampleContext()) if f.path.endswith("IMG_0420.jpeg"))
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == hashlib.sha256(expected).hexdigest()
    markdown = (root / "Notes" / "Holiday photos.md").read_text(encoding="utf-8")
    assert "[image: IMG_0420.jpeg](<Holiday photos files/IMG_0420.jpeg>)" in markdown


def test_checklist_in_text_and_table_in_html(out: tuple[Path, list[Path]]) -> None:
    root, _ = out
    text = (root / "Notes" / "Shopping list.txt").read_text(encoding="utf-8")
    assert "[x] Milk\n[ ] Eggs\n[x] Sourdough bread\n[ ] Coffee beans" in text
    page = (root / "Notes" / "Budget 2024.html").read_text(encoding="utf-8")
    assert "<tr><td>Food</td><td>400</td><td>362.50</td></tr>" in page
    parser = _Links()
    parser.feed((root / "Notes" / "Trip to New York.html").read_text(encoding="utf-8"))
    assert parser.hrefs == ["https://www.nycgo.com/"]


def test_locked_note_without_password_says_so(out: tuple[Path, list[Path]]) -> None:
    root, _ = out
    text = (root / "Notes" / "Wi-Fi and door codes.txt").read_text(encoding="utf-8")
    assert "password-protected" in text and "usual one + notes" in text
    assert "correct-horse-battery" not in text
    ios17 = (root / "Notes" / "Passport and PINs.txt").read_text(encoding="utf-8")  # iOS 17+ encryption object
    assert "password-protected" in ios17 and "same as the old notes one" in ios17
    assert "6021" not in ios17
