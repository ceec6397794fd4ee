"""The SQLite engine against real files from the public corpus (read in place, never modified)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from reclaim.errors import CorruptFile
from reclaim.sqlite import Database, carve


@pytest.fixture(scope="module")
def sqlite_corpus(corpus: Path) -> Path:
    return corpus / "sqlite-corpus"


def _same(expected: str, got: object) -> bool:
    if isinstance(got, float):
        return abs(got - float(expected)) <= 1e-6 * max(1.0, abs(got))
    return str(got) == expected


def test_corpus_schema_and_live_rows_match_expected(sqlite_corpus: Path) -> None:
    """Odd names, UTF-16le/be, overflow, reserved bytes: byte-level schema and rows equal the answer key."""
    cases = json.loads((sqlite_corpus / "corpus_expected.json").read_text())["cases"]
    assert len(cases) == 10
    for case in cases:
        with Database(sqlite_corpus / "corpus" / case["file"]) as db:
            schema = {t.name: {c.name: c.decl for c in t.columns} for t in db.schema if t.kind != "index"}
            assert schema == case["expected_schema"], case["file"]
            (table,) = case["expected_schema"]
            rows = [list(values.values()) for _rowid, values in db.rows(table)]
        expected = case["expected_rows"]
        assert len(rows) == len(expected), case["file"]
        for got, exp in zip(rows, expected, strict=True):
            assert all(_same(e, g) for e, g in zip(exp, got, strict=True)), (case["file"], got, exp)


def test_corpus_special_layouts_parse(sqlite_corpus: Path) -> None:
    """WITHOUT ROWID, auto-vacuum pointer maps, WAL + journal side files all read without errors."""
    with Database(sqlite_corpus / "corpus" / "03-01.db") as db:
        (users,) = [t for t in db.schema if t.name == "users"]
        assert users.kind == "without-rowid"
        assert len(list(db.rows("users"))) == 10
    with Database(sqlite_corpus / "corpus" / "09-01.db") as db:
        assert db.ptrmaps  # auto_vacuum database
        assert len(list(db.rows("users"))) == 3852
    with Database(sqlite_corpus / "chinook.sqlite") as db:
        assert db.wal is not None and db.journal is not None
        assert len(list(db.rows("Track"))) == 3503
    with Database(sqlite_corpus / "version_history_test.sqlite") as db:
        assert db.wal is not None and len(db.wal.frames) == 2
        names = [v["name"] for _r, v in db.rows("testing")]
        assert len(names) == 7
    # Every corpus database can be carved without raising.
    for path in sorted((sqlite_corpus / "corpus").glob("*.db")):
        list(carve(path))
    list(carve(sqlite_corpus / "chinook.sqlite"))
    list(carve(sqlite_corpus / "version_history_test.sqlite"))


@pytest.mark.parametrize("name", ["invalid_database.sqlite", "inaccessible.sqlite", "missing.sqlite"])
def test_bad_files_raise_corrupt_file(sqlite_corpus: Path, name: str) -> None:
    with pytest.raises(CorruptFile) as err:
        carve(sqlite_corpus / name)
    assert name in str(err.value)


def test_truncated_and_garbage_files_raise_corrupt_file(sqlite_corpus: Path, tmp_path: Path) -> None:
    data = (sqlite_corpus / "corpus" / "01-01.db").read_bytes()
    garbage = [data[:60], data[:100], data[:200], b"\x00" * 4096, b"SQLite format 3\x00" + b"\xff" * 84]
    for i, blob in enumerate(garbage):
        path = tmp_path / f"bad{i}.db"
        path.write_bytes(blob)
        with pytest.raises(CorruptFile):
            list(carve(path))
    # A database cut in the middle of its pages is still carved (readable pages are used).
    half = tmp_path / "half.db"
    half.write_bytes((sqlite_corpus / "corpus" / "0A-02.db").read_bytes()[: 4096 + 2048])
    assert isinstance(list(carve(half)), list)


def test_0a02_all_twenty_deleted_rows_recovered_exactly(sqlite_corpus: Path) -> None:
    """0A-02: 20 rows DELETEd then the table DROPped; the schema itself is carved from sqlite_master."""
    truth = json.loads((sqlite_corpus / "ground_truth_0A-01_0A-02.json").read_text())["0A-02"]
    records = list(carve(sqlite_corpus / "corpus" / "0A-02.db"))
    got = {
        (r.values["id"], r.values["name"], r.values["surname"], r.values["codeA"], round(r.values["codeB"], 5))
        for r in records
        if r.table == "users" and not r.partial
    }
    expected = {
        (int(a), b, c, int(d), round(float(e), 5)) for a, b, c, d, e in truth["deleted_rows"]
    }
    assert len(expected) == 20
    assert expected <= got
    assert (20001, "Hanna", "Haas", -379052688, -4180108615.74677) in got
    assert (20004, "Christina", "Kühn", -1073926705, -798950738.17994) in got
    assert all(r.area == "freelist" and r.page == 2 for r in records)
    assert len(records) == 20  # nothing else claimed


def test_0a01_dropped_table_rows_are_recovered(sqlite_corpus: Path) -> None:
    truth = json.loads((sqlite_corpus / "ground_truth_0A-01_0A-02.json").read_text())["0A-01"]
    records = list(carve(sqlite_corpus / "corpus" / "0A-01.db", tables=["users"]))
    got = {(r.values["id"], r.values["name"], r.values["surname"]) for r in records}
    assert {(int(a), b, c) for a, b, c, _d, _e in truth["rows"]} <= got


def _digests(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.exists()}


def test_carving_never_modifies_inputs(sqlite_corpus: Path, tmp_path: Path) -> None:
    """SHA-256 of every input (db, -wal, -journal, -shm) is unchanged after carving."""
    files = [
        sqlite_corpus / "chinook.sqlite",
        sqlite_corpus / "chinook.sqlite-wal",
        sqlite_corpus / "chinook.sqlite-journal",
        sqlite_corpus / "chinook.sqlite-shm",
        sqlite_corpus / "version_history_test.sqlite",
        sqlite_corpus / "version_history_test.sqlite-wal",
        sqlite_corpus / "corpus" / "0A-02.db",
    ]
    before = _digests(files)
    list(carve(sqlite_corpus / "chinook.sqlite"))
    list(carve(sqlite_corpus / "version_history_test.sqlite"))
    list(carve(sqlite_corpus / "corpus" / "0A-02.db"))
    assert _digests(files) == before
    # Also on a writable copy (read-only permissions on the corpus could hide a write attempt).
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{sqlite_corpus / 'version_history_test.sqlite'}{suffix}", f"{tmp_path / 'v.db'}{suffix}")
    copies = [tmp_path / "v.db", tmp_path / "v.db-wal"]
    before = _digests(copies)
    list(carve(tmp_path / "v.db"))
    assert _digests(copies) == before
    assert (tmp_path / "v.db-wal").exists()
