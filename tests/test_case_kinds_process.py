"""Kinds extracted by a second process: the same case as one process writes, the source untouched, secrets
never on a command line, a failing child replaced by the scan itself, a cancelled scan leaving nothing."""

from __future__ import annotations

import functools
import hashlib
import logging
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts import select
from reclaim.case import kinds_process
from reclaim.case.context import ScanCancelled
from reclaim.case.scan import _by_record_kind, scan
from reclaim.case.store import CaseReader
from reclaim.sample import SAMPLE_PASSWORD
from reclaim.sources.detect import open_source


def _whole(folder: Path) -> dict[str, Any]:
    """Everything a reader can see of a case: records, kinds, media, a search."""
    with CaseReader(folder) as case:
        conn = case.conn
        return {
            "records": conn.execute("SELECT kind, id, date, deleted, source, chat_id, chat, sender, title, text, data"
                                    " FROM records ORDER BY kind, id").fetchall(),
            "order": conn.execute("SELECT kind, id FROM records ORDER BY rid").fetchall(),
            "kinds": conn.execute("SELECT * FROM kinds ORDER BY seq").fetchall(),
            "media": conn.execute("SELECT * FROM media ORDER BY sha256").fetchall(),
            "search": [(r["kind"], r["id"]) for r in case.search("dinner", limit=500)],
            "chinese": [(r["kind"], r["id"]) for r in case.search("吃饭", limit=500)],
        }


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def second_process(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every scan splits its kinds (whatever their size); gives the second scanning processes started."""
    monkeypatch.setattr(kinds_process, "MIN_BYTES", 0)
    monkeypatch.setattr(kinds_process, "_cpus", lambda: 2)  # whatever machine runs the tests
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def popen(argv: list[str], *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real(argv, *args, **kwargs)
        if "reclaim.case.kinds_process" in argv:
            started.append(process)
        return process

    monkeypatch.setattr(kinds_process.subprocess, "Popen", popen)
    return started


def test_the_split_keeps_the_biggest_share_here_and_a_module_s_kinds_together(sample_backup: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    groups = _by_record_kind(select(None))
    monkeypatch.setattr(kinds_process, "_cpus", lambda: 2)  # whatever machine runs the tests
    with open_source(sample_backup) as fs:
        assert kinds_process.split_work(fs, groups) == (groups, [])  # the sample is far below MIN_BYTES
        monkeypatch.setattr(kinds_process, "MIN_BYTES", 0)
        here, there = kinds_process.split_work(fs, groups)
    assert here and there
    assert sorted(here + there, key=groups.index) == groups
    assert here == [g for g in groups if g in here]  # each share keeps the kinds' order
    there_kinds = {kind for kind, _ in there}
    wechat = {kind for kind, _ in groups if kind.startswith("wechat")}
    assert wechat <= there_kinds or not wechat & there_kinds  # WeChat's kinds share databases: one side
    whatsapp = {kind for kind, _ in groups if kind.startswith("whatsapp")}
    assert whatsapp <= there_kinds or not whatsapp & there_kinds
    with open_source(sample_backup) as fs:  # WeChat's files are found by patterns: a backup lists them from its index
        wechat_groups = [g for g in groups if g[0].startswith("wechat")]
        each = [kinds_process._cost(fs, [g]) for g in wechat_groups]
        together = kinds_process._cost(fs, wechat_groups)
    assert 0 < together < sum(each)  # the files its kinds share count once
    monkeypatch.setattr(kinds_process, "_cpus", lambda: 1)  # one CPU: nothing to gain from a second process
    with open_source(sample_backup) as fs:
        assert kinds_process.split_work(fs, groups) == (groups, [])


def test_a_case_written_by_two_processes_is_the_case_one_writes(sample_backup: Path, tmp_path: Path,
                                                                 second_process: list[subprocess.Popen[bytes]],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    before = _tree(sample_backup)
    with caplog.at_level(logging.WARNING, logger="reclaim"), open_source(sample_backup) as fs:
        two = scan(fs, tmp_path / "two")
    assert len(second_process) == 1
    assert "second scanning process failed" not in caplog.text
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kinds_process, "MIN_BYTES", 1 << 62)
        with open_source(sample_backup) as fs:
            one = scan(fs, tmp_path / "one")
    assert len(second_process) == 1  # the second scan used one process
    assert [(k.kind, k.live, k.deleted, k.reason) for k in two.kinds] == \
        [(k.kind, k.live, k.deleted, k.reason) for k in one.kinds]
    a, b = _whole(tmp_path / "two"), _whole(tmp_path / "one")
    assert a["records"] == b["records"] and len(a["records"]) == one.records > 3000
    assert a["kinds"] == b["kinds"]
    assert a["media"] == b["media"] and len(a["media"]) > 50
    assert a["search"] == b["search"] and a["search"]
    assert a["chinese"] == b["chinese"] and a["chinese"]
    # Each process's kinds stay together, the second one's after the first one's.
    with open_source(sample_backup) as fs:
        there = kinds_process.split_work(fs, _by_record_kind(select(None)))[1]
    seen = list(dict.fromkeys(kind for kind, _ in a["order"]))
    there_kinds = {kind for kind, _ in there}
    assert seen == [k for k in seen if k not in there_kinds] + [k for k in seen if k in there_kinds]
    assert _tree(tmp_path / "two" / "media") == _tree(tmp_path / "one" / "media")
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["case.db", "media"]  # no part left
    assert _tree(sample_backup) == before


def test_a_second_process_done_before_the_first_is_merged_all_the_same(
        sample_backup: Path, tmp_path: Path, second_process: list[subprocess.Popen[bytes]],
        caplog: pytest.LogCaptureFixture) -> None:
    """Its outcome comes while this process still extracts (and passes on its progress): it is kept."""
    groups = _by_record_kind(select(None))
    seen: list[tuple[str, str]] = []
    with open_source(sample_backup) as fs:
        here = [kind for kind, _ in kinds_process.split_work(fs, groups)[0]]

        def progress(kind: str, count: int, phase: str) -> None:
            seen.append((kind, phase))
            if (kind, phase) == (here[-1], "start"):
                second_process[0].wait()  # it has sent everything it found, and gone

        with caplog.at_level(logging.WARNING, logger="reclaim"):
            result = scan(fs, tmp_path / "case", progress=progress)
    assert "second scanning process failed" not in caplog.text
    assert {kind for kind, phase in seen if phase == "done"} == {kind for kind, _ in groups}
    with CaseReader(tmp_path / "case") as case:
        assert case.count() == result.records > 3000
        assert {k["kind"]: k["live"] for k in case.kinds()} == {k.kind: k.live for k in result.kinds}


def test_an_encrypted_backup_s_key_and_the_note_passwords_travel_by_pipe(
        sample_backup_encrypted: Path, tmp_path: Path, second_process: list[subprocess.Popen[bytes]]) -> None:
    from reclaim.case.context import ScanOptions

    options = ScanOptions(note_passwords=["a secret note password"])
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        key = fs.derived_key
        result = scan(fs, tmp_path / "case", options=options)
    assert len(second_process) == 1
    argv = list(second_process[0].args)  # type: ignore[arg-type]
    assert argv[1:3] == ["-m", "reclaim.case.kinds_process"] and len(argv) == 4 and argv[3].isdigit()  # a pipe's fd
    assert key is not None and key.hex() not in " ".join(argv)
    counts = {k.kind: k.live for k in result.kinds}
    assert counts["messages"] > 200 and counts["wechat"] > 2000 and counts["contacts"] > 30
    with CaseReader(tmp_path / "case") as case:
        assert b"a secret note password" not in (tmp_path / "case" / "case.db").read_bytes()
        assert case.count("notes") == counts["notes"] + {k.kind: k.deleted for k in result.kinds}["notes"]


def test_a_failing_second_process_leaves_its_kinds_to_the_scan(sample_backup: Path, tmp_path: Path,
                                                               second_process: list[subprocess.Popen[bytes]],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    gone = tmp_path / "moved-away"  # the source is gone when the child opens it again
    with caplog.at_level(logging.WARNING, logger="reclaim"), open_source(sample_backup) as fs:
        fs.reopener = lambda: functools.partial(open_source, gone)  # type: ignore[method-assign]
        result = scan(fs, tmp_path / "case")
    assert len(second_process) == 1
    assert "second scanning process failed (" in caplog.text and "moved-away" in caplog.text
    counts = {k.kind: k.live for k in result.kinds}
    assert counts["messages"] > 200 and counts["wechat"] > 2000 and counts["photos"] > 20
    assert sorted(p.name for p in (tmp_path / "case").iterdir()) == ["case.db", "media"]


def test_a_cancelled_scan_stops_the_second_process_and_leaves_no_case(
        sample_backup: Path, tmp_path: Path, second_process: list[subprocess.Popen[bytes]]) -> None:
    cancel = threading.Event()
    calls: list[str] = []

    def progress(kind: str, count: int, phase: str) -> None:
        calls.append(kind)
        if phase == "done" and len({*calls}) >= 3:
            cancel.set()
            raise ScanCancelled()

    with open_source(sample_backup) as fs, pytest.raises(ScanCancelled):
        scan(fs, tmp_path / "case", progress=progress, cancel=cancel)
    assert len(second_process) == 1
    assert not (tmp_path / "case").exists()  # made by the scan: removed with what both processes wrote


def test_a_second_process_stopped_midway_leaves_no_decrypted_copy(sample_backup_encrypted: Path, tmp_path: Path,
                                                                  second_process: list[subprocess.Popen[bytes]],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the child's temporary folder, and ours:
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    groups = _by_record_kind(select(None))
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        theirs = {kind for kind, _ in kinds_process.split_work(fs, groups)[1]}
        cancel = threading.Event()

        def progress(kind: str, count: int, phase: str) -> None:
            if kind in theirs and phase == "progress":  # the child is extracting, its copies made
                cancel.set()
                raise ScanCancelled()

        with pytest.raises(ScanCancelled):
            scan(fs, tmp_path / "case", progress=progress, cancel=cancel)
        assert len(second_process) == 1
        mine = {p.name for p in scratch.iterdir()}  # this process's own copies, removed when the source closes
    assert not any(scratch.iterdir()), mine
    assert not (tmp_path / "case" / "case.db").exists()


def test_a_file_system_extraction_folder_is_opened_again_by_the_second_process(
        corpus: Path, tmp_path: Path, second_process: list[subprocess.Popen[bytes]]) -> None:
    """Real data: the iOS 17 notes and the iOS 15 address book of two public extractions, in one folder."""
    import zipfile

    folder = tmp_path / "extraction"
    with zipfile.ZipFile(corpus / "ileapp/cases/notes/testdata.notes.notes.josh_ios17_ffs.zip") as notes:
        notes.extractall(folder)
    book = folder / "filesystem1/private/var/mobile/Library/AddressBook"
    book.mkdir(parents=True)
    with zipfile.ZipFile(corpus / "ileapp/cases/addressBook/testdata.addressBook.addressBook.josh_ios15_ffs.zip") as zf:
        for name in zf.namelist():
            if "/Library/AddressBook/AddressBook.sqlitedb" in name:
                (book / name.rsplit("/", 1)[1]).write_bytes(zf.read(name))
    before = _tree(folder)
    cases = {}
    for name, limit in (("two", 0), ("one", 1 << 62)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kinds_process, "MIN_BYTES", limit)
            with open_source(folder) as fs:
                result = scan(fs, tmp_path / name, kinds=["contacts", "notes"])
        cases[name] = {k.kind: (k.live, k.deleted) for k in result.kinds}
    assert len(second_process) == 1
    assert cases["two"] == cases["one"]
    assert cases["two"] == {"contacts": (9, 0), "notes": (12, 2)}  # the 9 cards iLEAPP finds; 12 notes + 2 recovered
    assert _whole(tmp_path / "two")["records"] == _whole(tmp_path / "one")["records"]
    with CaseReader(tmp_path / "two") as case:
        assert "Josh Hickman" in {r["name"] for r in case.records("contacts")}
    assert _tree(folder) == before


def test_an_answer_cut_short_ends_the_wait(tmp_path: Path) -> None:
    """A child killed while it wrote an answer leaves half a message: the scan stops waiting and extracts its kinds
    itself (rather than waiting for ever)."""
    import os

    class Gone:
        returncode = -9

        def wait(self, timeout: float | None = None) -> int:
            return self.returncode

        def poll(self) -> int:
            return self.returncode

    read, write = os.pipe()
    os.write(write, (100).to_bytes(8, "little") + b"\x80\x04\x95 only part of it")
    os.close(write)
    waiting = kinds_process.KindsProcess(Gone(), os.fdopen(read, "rb"), tmp_path / "case.db.kinds")  # type: ignore[arg-type]
    outcome: list[object] = []
    waiter = threading.Thread(target=lambda: outcome.append(waiting.wait(None, None)), daemon=True)
    waiter.start()
    waiter.join(timeout=20)
    assert outcome == [None]
