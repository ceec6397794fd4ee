"""Voice Memos: the iOS 17 sample (app group), and an older Media/Recordings layout with a stray file."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.voice_memos import VoiceMemosArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import voice_memos as sample_memos
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS


def scan(files: list[SampleFile], folder: Path) -> tuple[KindStatus, dict[str, dict[str, Any]]]:
    writer = CaseWriter(folder)
    status = KindStatus("voice-memos", "Voice memos")
    ctx = ScanContext(MemoryFS(files), writer.media, ScanOptions(recover_deleted=True), kind="voice-memos")
    _run_artifact(VoiceMemosArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ())
    writer.close()
    with CaseReader(folder) as case:
        return status, {r["title"]: r for r in case.records("voice-memos")}


@pytest.fixture(scope="module")
def sample_files() -> list[SampleFile]:
    return list(sample_memos.files(SampleContext()))


def test_recordings_with_titles_audio_and_deleted(sample_files: list[SampleFile], tmp_path: Path) -> None:
    status, memos = scan(sample_files, tmp_path / "case")
    assert (status.live, status.deleted) == (2, 2)
    kitchen = memos["Kitchen ideas"]
    assert kitchen["date"] == "2024-04-19T08:30:00Z" and kitchen["duration"] == 3.0
    assert kitchen["folder"] == "Home" and kitchen["orphan"] is False
    (audio,) = kitchen["attachments"]
    original = next(f.data for f in sample_files if f.path.endswith(kitchen["file"]))
    assert audio["sha256"] == hashlib.sha256(original).hexdigest() and audio["mime"] == "audio/mp4"
    lecture = memos["Lecture: week 6"]  # in Recently Deleted
    assert lecture["deleted"] is True and lecture["provenance"]["area"] == "app"
    erased = memos["Note to self"]  # row erased, file still there: carved row + its audio
    assert erased["deleted"] is True and erased["provenance"]["area"] in {"freeblock", "unallocated"}
    assert erased["attachments"][0]["missing"] is False and erased["date"] == "2024-04-29T05:30:00Z"


def test_sample_audio_is_reproducible(sample_files: list[SampleFile]) -> None:
    again = {f.path: f.data for f in sample_memos.files(SampleContext())}
    assert {f.path: f.data for f in sample_files if f.path.endswith(".m4a")} == {
        p: d for p, d in again.items() if p.endswith(".m4a")}


def test_old_layout_and_stray_recording(sample_files: list[SampleFile], tmp_path: Path) -> None:
    db = tmp_path / "Recordings.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE ZRECORDING (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZDATE TIMESTAMP,"
                 " ZDURATION FLOAT, ZCUSTOMLABEL VARCHAR, ZPATH VARCHAR)")
    conn.execute("INSERT INTO ZRECORDING VALUES (1, 1, 500000000, 12.5, 'Lecture 1',"
                 " '/var/mobile/Media/Recordings/20161105 005320.m4a')")
    conn.commit()
    conn.close()
    audio = next(f.data for f in sample_files if f.path.endswith(".m4a"))
    mtime = datetime(2017, 2, 3, 4, 5, 6, tzinfo=UTC)
    files = [SampleFile("MediaDomain", "Media/Recordings/Recordings.db", db.read_bytes()),
             SampleFile("MediaDomain", "Media/Recordings/20161105 005320.m4a", audio),
             SampleFile("MediaDomain", "Media/Recordings/20170203 040506.m4a", audio, mtime=mtime)]
    status, memos = scan(files, tmp_path / "case")
    assert status.live == 2
    lecture = memos["Lecture 1"]
    assert lecture["date"] == "2016-11-05T00:53:20Z" and lecture["duration"] == 12.5
    assert lecture["attachments"][0]["missing"] is False
    stray = memos["20170203 040506"]
    assert stray["orphan"] is True and stray["date"] == "2017-02-03T04:05:06Z"


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan
    from reclaim.sources import open_source

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["voice-memos"])
    (status,) = result.kinds
    assert (status.live, status.deleted) == (2, 2)
