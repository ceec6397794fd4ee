"""``reclaim carve``: the --json line format (a public interface) and the readable table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reclaim.cli import main


def test_carve_json_lines(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = corpus / "sqlite-corpus" / "corpus" / "0A-02.db"
    assert main(["carve", str(db), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20
    for line in lines:
        obj = json.loads(line)
        assert set(obj) == {"table", "rowid", "values", "area", "page", "offset", "frame", "confidence", "partial"}
        assert obj["table"] == "users"
        assert obj["area"] in {"freeblock", "unallocated", "freelist", "overflow", "wal", "wal-stale", "journal"}
        assert isinstance(obj["page"], int) and isinstance(obj["offset"], int)
        assert 0.0 <= obj["confidence"] <= 1.0 and isinstance(obj["partial"], bool)
        assert set(obj["values"]) == {"id", "name", "surname", "codeA", "codeB"}
    hanna = [json.loads(x) for x in lines if '"Hanna"' in x]
    assert hanna[0]["values"] == {
        "id": 20001, "name": "Hanna", "surname": "Haas", "codeA": -379052688, "codeB": -4180108615.74677,
    }


def test_carve_json_blobs_and_table_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import sqlite3

    src = tmp_path / "src.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA secure_delete=0")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, extra TEXT)")
    con.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(1, 11):
        con.execute("INSERT INTO t VALUES (?,?,?,?)", (i, f"name {i}", bytes([0, 1, 2, i]), None))
        con.execute("INSERT INTO u VALUES (?,?)", (i, f"u {i}"))
    con.execute("DELETE FROM t WHERE id=4")
    con.execute("DELETE FROM u WHERE id=5")
    shutil.copyfile(src, tmp_path / "e.db")
    con.close()
    assert main(["carve", str(tmp_path / "e.db"), "--json", "--table", "t"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    obj = json.loads(line)
    assert obj["table"] == "t"
    assert obj["values"]["name"] == "name 4"
    assert obj["values"]["data"] == {"base64": "AAECBA=="}
    assert obj["values"]["extra"] is None
    assert main(["carve", str(tmp_path / "e.db")]) == 0
    out = capsys.readouterr().out
    assert "name 4" in out and "u 5" in out


def test_carve_bad_file_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 10)
    assert main(["carve", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reclaim: error:") and "Traceback" not in err


def test_carve_superseded_shows_an_edited_rows_earlier_text(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from test_sqlite_superseded import make

    db = make(tmp_path, "wal")
    assert main(["carve", str(db), "--json", "--table", "message"]) == 0
    plain = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["values"]["guid"] for r in plain] == ["GUID-0020"]  # the deleted row only, by default
    assert main(["carve", str(db), "--json", "--table", "message", "--superseded"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    older = {r["values"]["text"] for r in lines if r.get("superseded")}
    assert "message 7 original text" in older and all(r["live_rowid"] == 7 for r in lines if r.get("superseded"))
    assert main(["carve", str(db), "--table", "message", "--superseded"]) == 0
    title = capsys.readouterr().out.splitlines()[0].strip()
    assert title == f"message: 1 deleted record(s), {len(older)} older version(s) of live rows"
