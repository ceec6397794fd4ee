"""The export runner, HTML report, JSON Lines, CSV and manifest, on a case built in the test."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reclaim.artifacts.base import KindStatus, MediaRef, Provenance, Record
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.errors import ReclaimError
from reclaim.export import Selection, export_case
from reclaim.vfs import SourceInfo

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"pretend-jpeg" * 10


@dataclass(kw_only=True)
class ChatMessage(Record):
    KIND = "chatty"
    chat_id: str
    chat: str
    sender: str
    direction: str
    text: str
    attachments: list[MediaRef] = field(default_factory=list)


@dataclass(kw_only=True)
class Person(Record):
    KIND = "people"
    name: str
    phones: list[dict[str, str]] = field(default_factory=list)


def build_case(folder: Path, messages: int = 2500) -> None:
    writer = CaseWriter(folder)
    writer.set_source(SourceInfo(kind="itunes-backup", device_name="Alex's iPhone", product_version="17.4.1",
                                 product_type="iPhone14,5", extra={"product_name": "iPhone 13"}), "demo", None)
    sha, size = writer.media.add_bytes(JPEG, "IMG_0001.JPG", "image/jpeg")
    picture = MediaRef(name="IMG_0001.JPG", sha256=sha, size=size, mime="image/jpeg")
    for i in range(messages):
        chat = "g1" if i % 2 else "c2"
        writer.add(ChatMessage(
            id=f"chatty:{i}", date=T0 + timedelta(minutes=i), source="HomeDomain/Library/x.db", chat_id=chat,
            chat="Family" if chat == "g1" else "Sam", sender="Me" if i % 3 == 0 else ("Mum" if i % 5 else "Dad"),
            direction="outgoing" if i % 3 == 0 else "incoming", text=f"message number {i} <b>not bold</b>",
            attachments=[picture] if i == 7 else [], deleted=i == 11,
            provenance=Provenance(area="freeblock", page=3, offset=100) if i == 11 else None))
    writer.add(Person(id="people:1", name="Zoë Martin", phones=[{"label": "mobile", "value": "+44 7700 900001"}]))
    writer.set_status(KindStatus("chatty", "Chatty", live=messages - 1, deleted=1), "chat", ())
    writer.set_status(KindStatus("people", "People", live=1), "cards", ())
    writer.set_status(KindStatus("empty", "Empty kind", reason="not in this source"), "table", ())
    writer.close()


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("case")
    build_case(folder)
    return folder


def test_full_export(case_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = export_case(case_dir, out, formats=["html", "json", "csv"])
    index = (out / "index.html").read_text()
    assert "Alex&#39;s iPhone" in index and "17.4.1" in index and "iPhone 13 (iPhone14,5)" in index
    assert "1 recovered" in index and "not in this source" in index

    lines = (out / "json" / "chatty.jsonl").read_text().splitlines()
    assert len(lines) == 2500
    first = json.loads(lines[0])
    assert first["text"] == "message number 0 <b>not bold</b>" and first["date"] == "2024-03-01T12:00:00Z"
    assert json.loads(lines[11])["deleted"] is True and json.loads(lines[11])["provenance"]["area"] == "freeblock"

    with open(out / "csv" / "people.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["name"] == "Zoë Martin" and rows[0]["phones"] == "mobile: +44 7700 900001"

    # Chats are split into pages of 1000 messages; text is escaped, the picture is copied once.
    family = sorted((out / "report" / "chatty").glob("*Family*"))[0]
    assert sorted(p.name for p in family.iterdir()) == ["page-1.html", "page-2.html"]
    page = (family / "page-1.html").read_text()
    assert "message number 7 &lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    assert "recovered from freeblock" in page and ">Mum</div>" in page
    copied = list((out / "media").rglob("*.jpg"))
    assert len(copied) == 1 and copied[0].read_bytes() == JPEG

    # Every file is in the manifest with its real SHA-256.
    manifest = dict(reversed(line.split("  ", 1)) for line in (out / "manifest.sha256").read_text().splitlines())
    assert len(manifest) == len([p for p in out.rglob("*") if p.is_file()]) - 1
    for rel, digest in manifest.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert result.index == out / "index.html"


def test_selection_exports_only_chosen_records(case_dir: Path, tmp_path: Path) -> None:
    with CaseReader(case_dir) as case:
        rid = next(r["_rid"] for r in case.records("people"))
        export_case(case, tmp_path, formats=["json"],
                    selection=Selection(rids={"people": {rid}}, chats={"chatty": {"c2"}}))
    chatty = [json.loads(x) for x in (tmp_path / "json" / "chatty.jsonl").read_text().splitlines()]
    assert len(chatty) == 1250 and {m["chat"] for m in chatty} == {"Sam"}
    assert [json.loads(x)["name"] for x in (tmp_path / "json" / "people.jsonl").read_text().splitlines()] == [
        "Zoë Martin"]


def test_unknown_format_and_kind(case_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ReclaimError, match="unknown format"):
        export_case(case_dir, tmp_path, formats=["pdf"])
    with pytest.raises(ReclaimError, match="not in this case"):
        export_case(case_dir, tmp_path, kinds=["calendar"])


def test_titles_become_one_visible_file_name() -> None:
    """A contact, chat or note title is one file name: slashes stay inside it, dots never hide it."""
    from reclaim.output import title_component

    assert title_component("AC/DC", "contact") == "AC-DC"
    assert title_component("..", "contact") == "contact"
    assert title_component(".Anna", "contact") == "Anna"
    assert title_component("../../etc/passwd", "x") == "-..-etc-passwd"
    assert title_component("Mum ❤️", "x") == "Mum ❤️"
    assert title_component("   ", "Untitled") == "Untitled"


def test_a_case_given_by_its_folder_is_closed_after_its_export(case_dir: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """export_case opens a case given by its folder, and closes it when done (or when it fails), not at some later
    garbage collection."""
    closed: list[Path] = []
    close = CaseReader.close

    def closing(self: CaseReader) -> None:
        closed.append(self.folder)
        close(self)

    monkeypatch.setattr(CaseReader, "close", closing)
    export_case(case_dir, tmp_path / "out", formats=["json"])
    assert closed == [case_dir]
    with pytest.raises(ReclaimError):
        export_case(case_dir, tmp_path / "out2", formats=["no-such-format"])
    assert closed == [case_dir, case_dir]


def test_media_gone_from_the_case_folder_is_said_and_marked_missing(tmp_path: Path) -> None:
    """A picture deleted from the case's media folder after the scan: the export says how many are gone, the
    chat marks it missing, and nothing is copied in its place."""
    from reclaim.case.store import media_relpath

    folder = tmp_path / "case"
    build_case(folder, messages=20)
    sha = hashlib.sha256(JPEG).hexdigest()
    assert export_case(folder, tmp_path / "before", formats=["html"]).warnings == []
    (folder / media_relpath(sha)).unlink()
    result = export_case(folder, tmp_path / "out", formats=["html", "json"])
    assert result.warnings == [f"1 of the case's 1 media files are gone from {folder / 'media'} (moved or deleted "
                               "since the scan?): the report marks them missing and they are not copied"]
    family = sorted((tmp_path / "out" / "report" / "chatty").glob("*Family*"))[0]
    page = (family / "page-1.html").read_text()
    assert '<div class="missing">📎 IMG_0001.JPG (gone from the case folder)</div>' in page
    assert not (tmp_path / "out" / "media").exists()
    assert export_case(folder, tmp_path / "json-only", formats=["json"]).warnings == []
