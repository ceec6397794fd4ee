"""The case store's date order: ranks follow dates, search reads newest first, records stream without sorting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reclaim.artifacts.base import KindStatus, Record
from reclaim.case.store import CaseReader, CaseWriter


@dataclass(kw_only=True)
class Line(Record):
    KIND = "lines"
    chat: str = ""
    sender: str = ""
    text: str = ""


START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve dated lines written out of date order, two undated ones, in two chats."""
    folder = tmp_path_factory.mktemp("case")
    writer = CaseWriter(folder)
    order = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4, 7]
    for n in order:
        text = f"invoice number {n} 红包" if n % 3 == 0 else f"hello {n}"
        writer.add(Line(id=f"l:{n}", date=START + timedelta(days=n), chat="Family" if n % 2 else "Work",
                        sender="Mum" if n % 2 else "Boss", text=text))
    writer.add(Line(id="l:undated-a", chat="Work", sender="Boss", text="invoice without a date"))
    writer.add(Line(id="l:undated-b", chat="Work", sender="Boss", text="another line"))
    writer.set_status(KindStatus("lines", "Lines", live=14), "chat", ())
    writer.close()
    assert not (folder / "case.db.staging").exists()
    return folder


def test_rids_are_the_scan_order_and_ranks_follow_dates_undated_first(case: Path) -> None:
    with CaseReader(case) as reader:
        rows = reader.conn.execute("SELECT rid, id FROM records ORDER BY rid").fetchall()
        ranked = reader.conn.execute("SELECT k.rank, r.id FROM ranks k JOIN records r ON r.rid = k.rid"
                                     " ORDER BY k.rank").fetchall()
        assert reader.meta("rid_order") == "rank"
    order = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4, 7]
    assert [r[1] for r in rows] == [*(f"l:{n}" for n in order), "l:undated-a", "l:undated-b"]
    assert [r[0] for r in rows] == list(range(1, 15))
    assert [r[1] for r in ranked] == ["l:undated-a", "l:undated-b", *(f"l:{n}" for n in range(12))]
    assert [r[0] for r in ranked] == list(range(1, 15))


def test_records_in_date_order_with_undated_last_and_offsets(case: Path) -> None:
    with CaseReader(case) as reader:
        every = [r["id"] for r in reader.records("lines")]
        assert every == [*(f"l:{n}" for n in range(12)), "l:undated-a", "l:undated-b"]
        assert [r["id"] for r in reader.records()] == every
        assert [r["id"] for r in reader.records("lines", limit=3, offset=10)] == ["l:10", "l:11", "l:undated-a"]
        assert [r["id"] for r in reader.records("lines", offset=13)] == ["l:undated-b"]
        assert [r["id"] for r in reader.records("lines", chat="Family", limit=2)] == ["l:1", "l:3"]
        assert [r["id"] for r in reader.records("lines", since="2024-03-11")] == ["l:10", "l:11"]


def test_search_newest_first_with_filters(case: Path) -> None:
    with CaseReader(case) as reader:
        def ids(query: str, **kw: object) -> list[str]:
            return [r["id"] for r in reader.search(query, **kw)]

        assert ids("invoice") == ["l:9", "l:6", "l:3", "l:0", "l:undated-a"]
        assert ids("invoice", limit=2, offset=1) == ["l:6", "l:3"]
        assert ids("invoice", since="2024-03-04", until="2024-03-10") == ["l:6", "l:3"]
        assert ids("invoice", chat="Family") == ["l:9", "l:3"]
        assert ids("红包") == ["l:9", "l:6", "l:3", "l:0"]  # two characters: the bigram index
        assert ids("invoice 红包", until="2024-03-05") == ["l:3", "l:0"]
        assert ids("Mum hello") == ["l:11", "l:7", "l:5", "l:1"]  # sender and text of one record
        assert ids("lo 1") == ["l:11", "l:10", "l:1"]  # short words: substring scan, newest first
        assert ids("nothing-like-this") == []


def test_one_or_two_cjk_characters_are_found_through_the_characters_index(case: Path) -> None:
    with CaseReader(case) as reader:
        def ids(query: str, **kw: object) -> list[str]:
            return [r["id"] for r in reader.search(query, **kw)]

        assert reader.conn.execute("SELECT value FROM meta WHERE key = 'cjk_index'").fetchone()[0] == '"characters"'
        assert ids("红") == ["l:9", "l:6", "l:3", "l:0"]
        assert ids("包 Work") == ["l:6", "l:0"]
        assert ids("包红") == []  # both characters are there, not in this order: the text is checked


def test_a_case_written_before_ranks_and_shapes_is_read_as_before(tmp_path: Path) -> None:
    """The layout of cases written until 29 Nov 2026: a ``records`` table whose rid order is date order,
    a trigram index with positions over it and a CJK index keyed by rid."""
    import json
    import sqlite3

    from reclaim.case.build import cjk_characters

    lines = [(f"o:{n}", f"2024-03-{n + 1:02d}T10:00:00Z", f"{'train ticket' if n % 2 else '抢红包'} {n}")
             for n in range(6)]
    conn = sqlite3.connect(tmp_path / "case.db")
    conn.executescript("""
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE kinds(kind TEXT PRIMARY KEY, title TEXT NOT NULL, seq INTEGER NOT NULL, live INTEGER NOT NULL,
            deleted INTEGER NOT NULL, reason TEXT NOT NULL, warnings TEXT NOT NULL, view TEXT NOT NULL,
            formats TEXT NOT NULL);
        CREATE TABLE records(rid INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, date TEXT,
            deleted INTEGER NOT NULL, source TEXT NOT NULL, chat_id TEXT, chat TEXT, sender TEXT, title TEXT,
            text TEXT, data TEXT NOT NULL);
        CREATE TABLE media(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT NOT NULL, name TEXT NOT NULL);
        CREATE INDEX records_kind_chat_date ON records(kind, chat_id, date, rid);
        CREATE INDEX records_kind_date ON records(kind, date, rid);
        CREATE VIRTUAL TABLE records_fts USING fts5(text, content='records', content_rowid='rid',
            tokenize='trigram', columnsize=0);
        CREATE VIRTUAL TABLE records_cjk USING fts5(words, content='', tokenize='unicode61');""")
    for rid, (key, date, text) in enumerate(lines, 1):
        data = json.dumps({"kind": "lines", "id": key, "date": date, "deleted": False, "source": "s", "text": text})
        conn.execute("INSERT INTO records VALUES (?,?,?,?,0,'s','c','Chat','Ann','Chat',?,?)",
                     (rid, "lines", key, date, text, data))
        if cjk_characters(text):
            conn.execute("INSERT INTO records_cjk(rowid, words) VALUES (?,?)", (rid, cjk_characters(text)))
    conn.execute("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")
    conn.executemany("INSERT INTO meta VALUES (?,?)", [("schema_version", "1"), ("rid_order", '"date"'),
                                                       ("cjk_index", '"characters"')])
    conn.commit()
    conn.close()
    with CaseReader(tmp_path) as reader:
        assert [r["id"] for r in reader.records("lines")] == [f"o:{n}" for n in range(6)]
        assert [r["id"] for r in reader.search("ticket")] == ["o:5", "o:3", "o:1"]  # a phrase, newest first
        assert [r["id"] for r in reader.search("红包")] == ["o:4", "o:2", "o:0"]
        assert [r["id"] for r in reader.search("ticket", since="2024-03-03")] == ["o:5", "o:3"]
        assert [r["id"] for r in reader.records(order="rid")][:2] == ["o:0", "o:1"]
