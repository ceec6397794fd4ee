"""Voicemail: the real (empty) iOS 15 voicemail.db, and the sample with real AMR-NB audio."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import case_support
import pytest

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.voicemail import VoicemailArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.media.audio import to_wav, wav_seconds
from reclaim.sample.content import voicemail as sample_voicemail
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS


def scan(fs: VirtualFS, folder: Path, deleted: bool = False) -> tuple[KindStatus, list[dict[str, Any]]]:
    writer = CaseWriter(folder)
    status = KindStatus("voicemail", "Voicemail")
    ctx = ScanContext(fs, writer.media, ScanOptions(recover_deleted=deleted), kind="voicemail")
    _run_artifact(VoicemailArtifact(), ctx, writer, status)
    writer.set_status(status, "table", ())
    writer.close()
    with CaseReader(folder) as case:
        return status, list(case.records("voicemail"))


def test_real_empty_voicemail_db_reports_no_records(corpus: Path, tmp_path: Path) -> None:
    fs = open_source(corpus / "ileapp/cases/voicemail/testdata.voicemail.voicemail.josh_ios15_ffs.zip")
    status, records = scan(fs, tmp_path / "case", deleted=True)
    assert records == [] and (status.live, status.deleted) == (0, 0)
    assert status.reason == "its files are here but hold no records"


def address_book(path: Path) -> bytes:
    return case_support.address_book(path, [("Priya", "Shah", "07700 900456")])


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[KindStatus, dict[str, dict[str, Any]], Path]:
    root = tmp_path_factory.mktemp("voicemail")
    files = [*sample_voicemail.files(SampleContext()),
             SampleFile("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb", address_book(root / "ab.db"))]
    status, records = scan(MemoryFS(files), root / "case", deleted=True)
    return status, {r["sender_id"]: r for r in records}, root / "case"


def test_messages_with_caller_names_and_transcripts(sample: tuple[KindStatus, dict[str, Any], Path]) -> None:
    status, messages, _ = sample
    assert (status.live, status.deleted) == (2, 2)
    priya = messages["+447700900456"]
    assert priya["sender"] == "Priya Shah"  # resolved through the address book
    assert priya["date"] == "2024-04-30T06:30:00Z" and priya["duration"] == 4 and priya["heard"] is True
    assert priya["transcript"].startswith("Hi Alex, it's Priya.") and priya["transcript_confidence"] == 0.87
    assert priya["account"] == sample_voicemail.ICCID and priya["receiver"] == "+447700900123"
    dave = messages["+441865555012"]
    assert dave["sender"] == "+441865555012" and dave["heard"] is False and not dave["deleted"]


def test_audio_is_stored_with_a_playable_wav(sample: tuple[KindStatus, dict[str, Any], Path]) -> None:
    _, messages, folder = sample
    (audio,) = messages["+447700900456"]["attachments"]
    original = next(f.data for f in sample_voicemail.files(SampleContext()) if f.path.endswith("/1.amr"))
    assert original[:6] == b"#!AMR\n"
    assert audio["sha256"] == hashlib.sha256(original).hexdigest() and audio["mime"] == "audio/amr"
    assert audio["preview_mime"] == "audio/wav"
    with CaseReader(folder) as case:
        wav = case.media_path(audio["preview"]).read_bytes()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert wav_seconds(wav) == pytest.approx(4.0, abs=0.05)


def test_trashed_and_erased_messages(sample: tuple[KindStatus, dict[str, Any], Path]) -> None:
    _, messages, _ = sample
    tom = messages["+447700900789"]
    assert tom["deleted"] is True and tom["provenance"]["area"] == "app"
    assert tom["trashed_at"] == "2024-04-26T09:30:00Z"
    erased = messages["+447700900321"]
    assert erased["deleted"] is True and erased["provenance"]["area"] in {"freeblock", "unallocated"}
    assert erased["date"] == "2024-04-22T09:30:00Z" and erased["duration"] == 2


def test_wav_conversion_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        to_wav(b"#!AMR\n" + b"\xff" * 3 + b"not audio at all" * 4)


def test_through_the_sample_backup(sample_backup: Path, tmp_path: Path) -> None:
    from reclaim.case.scan import scan as run_scan

    with open_source(sample_backup) as fs:
        result = run_scan(fs, tmp_path / "case", kinds=["voicemail"])
    (status,) = result.kinds
    assert status.live == 2 and status.deleted >= 1
    with CaseReader(tmp_path / "case") as case:
        for message in case.records("voicemail", deleted=False):
            (audio,) = message["attachments"]
            wav = case.media_path(audio["preview"]).read_bytes()
            assert wav_seconds(wav) == pytest.approx(message["duration"], abs=0.05)


@pytest.mark.parametrize("damage", ["cut", "garbage"])
def test_a_damaged_transcript_costs_only_that_transcript(tmp_path: Path, damage: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """An XML transcript cut short made plistlib raise ExpatError, which stopped the whole kind."""
    root = tmp_path / "voicemail"
    root.mkdir()
    files = [*sample_voicemail.files(SampleContext()),
             SampleFile("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb", address_book(root / "ab.db"))]
    transcripts = [f for f in files if f.path.endswith(".transcript")]
    assert transcripts
    first = transcripts[0]
    data = first.data if isinstance(first.data, bytes) else Path(str(first.data)).read_bytes()
    if damage == "cut":
        import plistlib

        data = plistlib.dumps(plistlib.loads(data), fmt=plistlib.FMT_XML)[:90]
    else:
        data = b"bplist00" + bytes(range(40))
    files[files.index(first)] = SampleFile(first.domain, first.path, data)
    status, records = scan(MemoryFS(files), root / "case", deleted=True)
    assert (status.live, status.deleted) == (2, 2) and status.reason == ""
    assert [r.getMessage() for r in caplog.records] == [f"voicemail: HomeDomain/{first.path}: not a readable plist"]
    assert len([r for r in records if r["transcript"]]) == len(transcripts) - 1
