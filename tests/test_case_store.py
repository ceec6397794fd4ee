"""The case store and scan pipeline, with a small artifact defined in the test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.artifacts.base import Artifact, FileSpec, KindStatus, MediaRef, Record, from_apple_time
from reclaim.case.context import ScanContext
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS


@dataclass(kw_only=True)
class Note(Record):
    KIND = "testnotes"
    title_text: str = ""
    body: str = ""
    chat: str | None = None
    sender: str | None = None
    attachments: list[MediaRef] = field(default_factory=list)

    def record_label(self) -> str:
        return self.title_text


class NoteArtifact(Artifact):
    kind = "testnotes"
    title = "Test notes"
    record = Note
    files = (FileSpec("HomeDomain", "Library/Test/notes.db"),)

    def extract(self, ctx: ScanContext) -> Iterator[Note]:
        for entry in self.inputs(ctx):
            with ctx.database(entry) as db:
                for row in db.rows(f"SELECT id, title, {db.col('notes', 'body', default=chr(39)*2)}, ts FROM notes"):
                    pic = ctx.media(ctx.get("HomeDomain", f"Library/Test/{row['id']}.jpg"),
                                    origin=f"HomeDomain/Library/Test/{row['id']}.jpg")
                    yield Note(id=f"n:{row['id']}", date=from_apple_time(row["ts"]), source=db.source,
                               title_text=row["title"], body=row["body"], chat="Family", sender="Mum",
                               attachments=[pic])


def make_db(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT, body TEXT, ts REAL)")
    conn.execute("INSERT INTO notes VALUES (1, 'Shopping', 'milk and 鸡蛋 eggs', 700000000)")
    conn.execute("INSERT INTO notes VALUES (2, 'Trip', 'Train at 9', 700000100)")
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_scan_writes_records_media_and_fts(tmp_path: Path) -> None:
    db = make_db(tmp_path / "src.db")
    fs = MemoryFS([
        SampleFile("HomeDomain", "Library/Test/notes.db", db),
        SampleFile("HomeDomain", "Library/Test/1.jpg", b"\xff\xd8\xff\xe0fakejpeg"),
    ])
    writer = CaseWriter(tmp_path / "case")
    status = KindStatus("testnotes", "Test notes")
    ctx = ScanContext(fs, writer.media, kind="testnotes")
    _run_artifact(NoteArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ())
    writer.close()
    assert (status.live, status.deleted, status.reason) == (2, 0, "")

    with CaseReader(tmp_path / "case") as case:
        notes = list(case.records("testnotes"))
        assert [n["title_text"] for n in notes] == ["Shopping", "Trip"]
        assert notes[0]["date"] == "2023-03-08T20:26:40Z"  # 700000000 s after 2001-01-01 UTC
        pic = notes[0]["attachments"][0]
        assert pic["mime"] == "image/jpeg" and not pic["missing"]
        assert case.media_path(pic["sha256"]).read_bytes() == b"\xff\xd8\xff\xe0fakejpeg"
        assert notes[1]["attachments"][0]["missing"] is True
        assert [r["id"] for r in case.search("eggs")] == ["n:1"]
        assert [r["id"] for r in case.search("鸡蛋")] == ["n:1"]  # two characters: substring fallback
        assert [r["id"] for r in case.search("Train at")] == ["n:2"]
        assert case.chats("testnotes")[0]["messages"] == 2
        assert case.kind("testnotes")["live"] == 2


def test_missing_files_give_a_reason(tmp_path: Path) -> None:
    writer = CaseWriter(tmp_path / "case")
    status = KindStatus("testnotes", "Test notes")
    _run_artifact(NoteArtifact(), ScanContext(MemoryFS([]), writer.media), writer, status)
    assert status.reason.startswith("not in this source")
    writer.abort()
    assert not (tmp_path / "case" / "case.db").exists()


def test_apple_time_nanoseconds() -> None:
    assert from_apple_time(700000000 * 10**9) == datetime(2023, 3, 8, 20, 26, 40, tzinfo=UTC)
    assert from_apple_time(0) is None


def test_reader_rejects_non_case(tmp_path: Path) -> None:
    from reclaim.errors import ReclaimError

    with pytest.raises(ReclaimError, match="not a reclaim case"):
        CaseReader(tmp_path)


def test_search_finds_two_character_chinese_words_through_the_bigram_index(tmp_path: Path) -> None:
    from reclaim.case.store import cjk_bigrams

    assert cjk_bigrams("抢红包啦 ok 好的") == "抢红 红包 包啦 好的"
    writer = CaseWriter(tmp_path / "case")
    for i, text in enumerate(["快来抢红包", "今天降温了", "红色的包", "ok"]):
        writer.add(Note(id=f"n:{i}", date=datetime(2024, 1, 1 + i, tzinfo=UTC), title_text=f"t{i}", body=text))
    writer.set_status(KindStatus("testnotes", "Test notes", live=4), "table", ())
    writer.close()
    with CaseReader(tmp_path / "case") as case:
        assert case._has_cjk_index()
        assert [r["id"] for r in case.search("红包")] == ["n:0"]
        assert [r["id"] for r in case.search("降温")] == ["n:1"]
        assert [r["id"] for r in case.search("红")] == ["n:2", "n:0"]  # one character: substring scan, newest first
        assert [r["id"] for r in case.search("红包 抢红")] == ["n:0"]
