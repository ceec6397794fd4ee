"""How the case writer fills a case: records stored by a child process in the order they come, ranked by
date at the end, b-tree and full-text indexes built in parallel and the latter copied in."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reclaim.artifacts.base import KindStatus, Record
from reclaim.case import store
from reclaim.case.store import CaseReader, CaseWriter, remove_case

START = datetime(2023, 6, 1, tzinfo=UTC)
WORDS = ("dinner tonight", "红包来了", "train ticket", "今天降温了", "see you", "周末回家吃饭吧")


@dataclass(kw_only=True)
class Msg(Record):
    KIND = "msgs"
    chat: str = ""
    sender: str = ""
    text: str = ""


def _message(n: int) -> Msg:
    """Message ``n``: dated in a scrambled order (every 7th undated), so rids must be renumbered."""
    date = None if n % 7 == 0 else START + timedelta(minutes=(n * 7919) % 1000)
    return Msg(id=f"m:{n}", date=date, chat=f"chat {n % 3}", sender="Ann" if n % 2 else "李雷",
               text=f"{WORDS[n % len(WORDS)]} #{n}")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 50 records, so that a few hundred go through the staging thread."""
    monkeypatch.setattr(store, "BATCH", 50)


def _write(folder: Path, count: int, *, child: bool = True) -> None:
    writer = CaseWriter(folder)
    for n in range(count):
        writer.add(_message(n))
    assert (writer._stager._child is not None) is child
    writer.set_status(KindStatus("msgs", "Messages", live=count), "chat", ())
    writer.close()


@pytest.mark.parametrize("child", [True, False], ids=["staging process", "staged in the scan"])
def test_staging_keeps_every_record_in_date_order(tmp_path: Path, small_batches: None, child: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if not child:  # where no process can be started (inside a daemonic process), rows are staged in the caller
        monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: (_ for _ in ()).throw(OSError("no")))
    _write(tmp_path / "case", 500, child=child)
    expected = sorted((_message(n) for n in range(500)),
                      key=lambda m: (m.date is not None, m.date or START, int(m.id[2:])))
    with CaseReader(tmp_path / "case") as case:
        rows = case.conn.execute("SELECT rid, id, date, typeof(data), text FROM records ORDER BY rid").fetchall()
        assert [r["id"] for r in rows] == [f"m:{n}" for n in range(500)]  # rids: the order they came in
        assert [r["rid"] for r in rows] == list(range(1, 501))
        assert {r["typeof(data)"] for r in rows} == {"text"}
        ranked = case.conn.execute("SELECT k.rank, r.id FROM ranks k JOIN records r ON r.rid = k.rid"
                                   " ORDER BY k.rank").fetchall()
        assert [r[1] for r in ranked] == [m.id for m in expected]  # undated first, then by date, ties as added
        assert [r[0] for r in ranked] == list(range(1, 501))
        assert case.record(rows[7]["rid"])["text"] == _message(7).text
        assert [r["id"] for r in case.records("msgs")] == [m.id for m in expected if m.date] + \
            [m.id for m in expected if not m.date]
        newest = [m for m in reversed(expected) if "红包" in m.text]
        assert [r["id"] for r in case.search("红包", limit=1000)] == [m.id for m in newest]
        assert [r["id"] for r in case.search("李雷 降温", limit=1000)] == \
            [m.id for m in reversed(expected) if "降温" in m.text and m.sender == "李雷"]
        assert [r["id"] for r in case.search("ticket", limit=5)] == \
            [m.id for m in reversed(expected) if "ticket" in m.text][:5]
    assert sorted(p.name for p in (tmp_path / "case").iterdir()) == ["case.db"]


def test_full_text_indexes_copied_into_the_case_are_consistent(tmp_path: Path, small_batches: None) -> None:
    _write(tmp_path / "case", 300)
    conn = sqlite3.connect(tmp_path / "case" / "case.db")
    try:
        # rank 1: the trigram index is checked against the text of every row of ``records``
        conn.execute("INSERT INTO records_fts(records_fts, rank) VALUES ('integrity-check', 1)")
        conn.execute("INSERT INTO records_cjk(records_cjk) VALUES ('integrity-check')")
        config = conn.execute("SELECT k, v FROM records_fts_config").fetchall()
        assert config == [("version", 4)]  # the build's own settings stay in the scratch file
        hits = conn.execute("SELECT rowid FROM records_cjk WHERE records_cjk MATCH '\"吃 饭\"' ORDER BY rowid")
        assert [r[0] for r in hits] == [r[0] for r in conn.execute(  # keyed by rank
            "SELECT k.rank FROM ranks k JOIN records r ON r.rid = k.rid WHERE r.text LIKE '%吃饭%' ORDER BY k.rank")]
        hits = conn.execute("SELECT rowid FROM records_fts WHERE records_fts MATCH"  # no positions: its trigrams
                            " '\"tic\" AND \"ick\" AND \"cke\" AND \"ket\" AND \"et \" AND \"t #\" AND \" #1\"'"
                            " ORDER BY rowid")
        assert [r[0] for r in hits] == [r[0] for r in conn.execute(
            "SELECT k.rank FROM ranks k JOIN records r ON r.rid = k.rid WHERE r.text LIKE '%ticket #1%'"
            " ORDER BY k.rank")]
    finally:
        conn.close()


def test_the_cjk_index_is_the_same_whichever_process_builds_it(tmp_path: Path, small_batches: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The case's process takes the CJK index when it is done with its b-tree indexes before the staging process is
    done with its trigram index (it asks first when the records are staged in the scan), else the staging process
    builds it beside the trigram one and it is copied: the case is the same either way."""
    from reclaim.case import build

    monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: (_ for _ in ()).throw(OSError("no")))
    _write(tmp_path / "here", 300, child=False)
    asked: list[bool] = []
    claim = build.claim_cjk

    def second_to_ask(index: Path) -> bool:
        asked.append(bool(asked) and claim(index))  # the case's process asks first, and is refused
        return asked[-1]

    monkeypatch.setattr(build, "claim_cjk", second_to_ask)
    _write(tmp_path / "staged", 300, child=False)
    assert asked == [False, True]
    tables = ("records_cjk_data", "records_cjk_idx", "records_cjk_docsize", "records_cjk_config")
    cases = {}
    for name in ("here", "staged"):
        with CaseReader(tmp_path / name) as case:
            cases[name] = {t: [tuple(r) for r in case.conn.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in tables}
            cases[name]["search"] = [[r["id"] for r in case.search(q, limit=1000)] for q in ("红包", "雷 ticket")]
    assert cases["here"] == cases["staged"]
    assert [len(hits) for hits in cases["here"]["search"]] == [50, 50]  # n % 6 == 1, and n % 6 == 2 (by 李雷)
    assert cases["here"]["records_cjk_config"] == [("version", 4)]
    assert sorted(p.name for p in (tmp_path / "staged").iterdir()) == ["case.db"]


def test_a_case_without_chinese_text_has_no_cjk_index(tmp_path: Path) -> None:
    writer = CaseWriter(tmp_path / "case")
    writer.add(Msg(id="m:1", date=START, text="plain English"))
    writer.close()
    assert writer._stager._child is None  # small cases start no process
    with CaseReader(tmp_path / "case") as case:
        assert not case._has_cjk_index()
        assert [r["id"] for r in case.search("English")] == ["m:1"]


@pytest.mark.parametrize("child", [True, False], ids=["staging process", "staged in the scan"])
def test_records_rolled_back_are_gone_from_the_case_and_its_searches(tmp_path: Path, small_batches: None,
                                                                      child: bool,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """What an artifact stored before a damaged database stopped it is taken back (it is then extracted again):
    the case holds the records before and after, numbered without a gap, and its searches know only those."""
    if not child:
        monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: (_ for _ in ()).throw(OSError("no")))
    writer = CaseWriter(tmp_path / "case")
    for n in range(120):
        writer.add(_message(n))
    mark = writer.mark()
    for n in range(120, 260):  # (through the staging process's batches too)
        writer.add(Msg(id=f"gone:{n}", date=START, chat="chat 0", sender="Ann", text=f"rolled back zebra {n}"))
    writer.rollback(mark)
    for n in range(120, 140):
        writer.add(_message(n))
    assert (writer._stager._child is not None) is child
    writer.set_status(KindStatus("msgs", "Messages", live=140), "chat", ())
    writer.close()
    with CaseReader(tmp_path / "case") as case:
        rows = case.conn.execute("SELECT rid, id FROM records ORDER BY rid").fetchall()
        assert [r["id"] for r in rows] == [f"m:{n}" for n in range(140)]
        assert [r["rid"] for r in rows] == list(range(1, 141))
        assert case.conn.execute("SELECT count(*) FROM ranks").fetchone()[0] == 140
        assert list(case.search("zebra", limit=10)) == []
        assert [r["id"] for r in case.search("#131", limit=10)] == ["m:131"]


def test_a_failing_insert_in_the_staging_process_reaches_the_scan(tmp_path: Path, small_batches: None) -> None:
    writer = CaseWriter(tmp_path / "case")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        for n in range(400):
            writer.add(_message(n) if n != 120 else Msg(id="m:bad", source=None, text="x"))  # type: ignore[arg-type]
        writer.close()
    writer.abort()
    assert not (tmp_path / "case").exists()  # made by the writer: removed
    assert writer._stager._child.poll() is not None


def test_abort_while_staging_stops_the_thread_and_removes_scratch_files(tmp_path: Path, small_batches: None) -> None:
    writer = CaseWriter(tmp_path / "case")
    for n in range(220):
        writer.add(_message(n))
    writer.abort()
    assert not (tmp_path / "case").exists()  # made by the writer: removed
    assert writer._stager._child.poll() is not None


def test_abort_keeps_what_the_folder_held_before(tmp_path: Path, small_batches: None) -> None:
    folder = tmp_path / "case"
    (folder / "media" / "ab").mkdir(parents=True)
    (folder / "media" / "ab" / "abcd").write_bytes(b"an earlier scan's picture")
    (folder / "notes.txt").write_text("mine")
    writer = CaseWriter(folder)
    writer.media.add_bytes(b"a new picture", "new.jpg", "image/jpeg")
    for n in range(220):
        writer.add(_message(n))
    writer.abort()
    kept = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    new = hashlib.sha256(b"a new picture").hexdigest()
    assert kept == sorted(["media/ab/abcd", f"media/{new[:2]}/{new}", "notes.txt"])  # the media folder was there


def test_abort_removes_a_media_folder_it_made_in_a_folder_that_was_there(tmp_path: Path) -> None:
    writer = CaseWriter(tmp_path)
    writer.media.add_bytes(b"a new picture", "new.jpg", "image/jpeg")
    writer.abort()
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []


def test_remove_case_removes_scratch_files_of_a_killed_scan(tmp_path: Path) -> None:
    _write(tmp_path, 3, child=False)
    for name in ("case.db.staging", "case.db.index"):
        (tmp_path / name).write_bytes(b"left over")
    remove_case(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_abort_after_a_failure_while_closing_removes_everything(tmp_path: Path, small_batches: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    writer = CaseWriter(tmp_path / "case")
    for n in range(120):
        writer.add(_message(n))
    monkeypatch.setattr(store, "build_case", no_space)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        writer.close()
    writer.abort()  # what the scan does when close fails: the staging process has finished already
    assert not (tmp_path / "case").exists()  # made by the writer: removed


def test_staging_process_protocol_and_a_scan_that_went_away(tmp_path: Path) -> None:
    import io
    import marshal
    import pickle

    from reclaim.case.build import _serve

    rows = [("msgs", "m:1", "2024-01-02T00:00:00Z", 0, "src", None, None, None, "", "今天降温了"),
            ("msgs", "m:2", "2024-01-01T00:00:00Z", 0, "src", None, None, None, "", "see you")]

    def framed(request: bytes) -> bytes:
        return len(request).to_bytes(8, "little") + request

    batch = framed(b"R" + marshal.dumps(([], rows, [b'{"id":"m:1"}', b'{"id":"m:2"}'])))
    for name, end, answered in (("done", framed(b"E"), True), ("gone", b"", False)):
        case, staging, index = tmp_path / f"{name}.db", tmp_path / f"{name}.staging", tmp_path / f"{name}.index"
        conn = sqlite3.connect(case)
        conn.executescript(store.SCHEMA)
        conn.close()
        out = io.BytesIO()
        _serve(str(case), str(staging), str(index), io.BytesIO(batch + end), out)
        conn = sqlite3.connect(case)
        stored = conn.execute("SELECT rid, id, typeof(data) FROM records ORDER BY rid").fetchall()
        conn.close()
        conn = sqlite3.connect(staging)
        words = conn.execute("SELECT rid, cjk FROM words ORDER BY rid").fetchall()
        ranked = conn.execute("SELECT name FROM sqlite_master WHERE name = 'ranked'").fetchone()
        answers, reply = [], out.getvalue()
        while reply:
            size = int.from_bytes(reply[:8], "little")
            answers.append(pickle.loads(reply[8:8 + size]))
            reply = reply[8 + size:]
        if answered:  # stored (with CJK characters), then ranked (m:2 is older) and indexed
            assert stored == [(1, "m:1", "text"), (2, "m:2", "text")]
            assert words == [(1, "今 天 降 温 了"), (2, None)]
            assert answers == [("stored", True), ("ranked", None), ("indexed", None)]
            assert index.exists()
            assert [r[0] for r in conn.execute("SELECT rid FROM ranked ORDER BY rowid")] == [2, 1]
        else:  # the input ended without the end mark: nothing is ranked or answered
            assert (ranked, answers) == (None, [])
        conn.close()


def test_a_word_is_found_only_where_it_is_whole_whatever_its_letter_case(tmp_path: Path) -> None:
    """The trigram index keeps no positions: a record holding every trigram of a word apart is not a hit."""
    writer = CaseWriter(tmp_path / "case")
    texts = {"m:1": "abcxbcd", "m:2": "say ABCD now", "m:3": "L'ÉCOLE est fermée", "m:4": "bcd abc", "m:5": "abcd"}
    for n, (rid, text) in enumerate(texts.items()):
        writer.add(Msg(id=rid, date=START + timedelta(days=n), text=text))
    writer.close()
    with CaseReader(tmp_path / "case") as case:
        assert case.meta("fts_detail") == "none"
        assert [r["id"] for r in case.search("abcd")] == ["m:5", "m:2"]  # newest first
        assert [r["id"] for r in case.search("aBcD")] == ["m:5", "m:2"]
        assert [r["id"] for r in case.search("école")] == ["m:3"]
        assert [r["id"] for r in case.search("abc bcd")] == ["m:5", "m:4", "m:2", "m:1"]
        assert [r["id"] for r in case.search("xbc")] == ["m:1"]
