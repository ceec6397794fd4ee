"""Carving generated databases: one fixture per area where deleted rows survive.

Every fixture sets ``PRAGMA secure_delete`` explicitly (this machine's SQLite defaults to
ON). Files are copied while the writer is still open, so closing cannot checkpoint a WAL
or delete a journal. Each test asserts exact recovered values and that live rows are not
reported.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from reclaim.sqlite import CarvedRecord, carve
from reclaim.sqlite.format import decode_value, encode_varint, read_varint

APPLE_NS = 978_307_200 * 10**9

SCHEMA = """
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  date INTEGER, is_from_me INTEGER, score REAL, body BLOB);
"""


def row(i: int, long: bool = False) -> tuple[object, ...]:
    text = f"msg {i:04d} " + ("lang " * 1500 if long else "hello Grüße 你好")
    return (i, f"GUID-{i:04d}-AB", text, APPLE_NS + 700_000_000_123_456_789 + i, i % 2, i / 8, bytes([i % 256]) * 5)


def make(
    tmp: Path,
    *,
    page_size: int = 4096,
    secure: int = 0,
    journal: str = "delete",
    vacuum: int = 0,
    n: int = 60,
    long: set[int] | None = None,
    delete: list[int] | None = None,
    after: str = "",
) -> tuple[Path, dict[int, tuple[object, ...]], dict[int, tuple[object, ...]]]:
    """Build a database, delete rows, copy the evidence files; return (db, deleted, live)."""
    src = tmp / "src.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute(f"PRAGMA page_size={page_size}")
    con.execute(f"PRAGMA auto_vacuum={vacuum}")
    con.execute(f"PRAGMA secure_delete={secure}")
    con.execute(f"PRAGMA journal_mode={journal}")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.executescript(SCHEMA)
    rows = {i: row(i, i in (long or set())) for i in range(1, n + 1)}
    con.execute("BEGIN")
    con.executemany("INSERT INTO message VALUES (?,?,?,?,?,?,?)", rows.values())
    con.execute("COMMIT")
    if after == "wal-deletes-only":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("BEGIN")
    for i in delete or []:
        con.execute("DELETE FROM message WHERE ROWID=?", (i,))
    con.execute("COMMIT")
    if after == "checkpoint":
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
    if after == "restart":
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        con.execute("INSERT INTO message VALUES (?,?,?,?,?,?,?)", row(999))
        rows[999] = row(999)
    db = tmp / "evidence.db"
    for suffix in ("", "-wal", "-journal"):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{db}{suffix}")
    con.close()
    deleted = {i: rows[i] for i in delete or []}
    live = {i: r for i, r in rows.items() if i not in deleted}
    return db, deleted, live


COLS = ("ROWID", "guid", "text", "date", "is_from_me", "score", "body")


def as_tuple(r: CarvedRecord) -> tuple[object, ...]:
    return tuple(r.values[c] for c in COLS)


def check(records: list[CarvedRecord], deleted: dict[int, tuple[object, ...]], live: dict, areas: set[str]) -> None:
    by_guid = {r.values["guid"]: r for r in records}
    for i, exp in deleted.items():
        rec = by_guid.get(exp[1])
        assert rec is not None, f"row {i} not recovered"
        got = as_tuple(rec)
        assert got[1:] == exp[1:], (got, exp)  # every value exact (8-byte Apple dates, REAL, BLOB, UTF-8)
        assert rec.rowid in (None, i)
        if rec.rowid is not None:
            assert got[0] == i  # INTEGER PRIMARY KEY filled from the rowid
        assert rec.area in areas, rec.area
        assert (rec.table == "message" and not rec.partial) or rec.rowid is None
    live_guids = {r[1] for r in live.values()}
    assert not [r for r in records if r.values.get("guid") in live_guids], "live rows reported as deleted"
    assert len(records) == len(deleted) or len(records) == len({r.values.get("guid") for r in records})


def test_freeblock(tmp_path: Path) -> None:
    db, deleted, live = make(tmp_path, n=30, delete=[5, 12, 20, 21, 27])
    records = list(carve(db))
    check(records, deleted, live, {"freeblock"})
    assert all(r.confidence >= 0.5 for r in records)


def test_unallocated(tmp_path: Path) -> None:
    # The last rows inserted sit at the start of the cell-content area: freeing them just
    # moves the content start, leaving whole cells in the unallocated gap.
    db, deleted, live = make(tmp_path, n=30, delete=[30, 29])
    records = list(carve(db))
    check(records, deleted, live, {"unallocated"})
    # Their 4-byte freeblock headers were written before the content area moved past them,
    # so the rowid is gone: the ROWID column is unknown and the record marked partial.
    assert all(r.values["ROWID"] in (None, r.rowid) for r in records)


def test_freelist(tmp_path: Path) -> None:
    db, deleted, live = make(tmp_path, page_size=1024, n=200, delete=list(range(60, 140)))
    records = list(carve(db))
    found = {r.values["guid"] for r in records}
    blob = db.read_bytes()
    present = {i for i, r in deleted.items() if f"msg {i:04d} ".encode() in blob}  # the rest was overwritten
    assert len(present) >= 50
    recovered = {i: r for i, r in deleted.items() if r[1] in found}
    assert set(recovered) == present
    check([r for r in records if r.values["guid"] in found], recovered, live, {"freelist", "freeblock", "unallocated"})
    assert sum(r.area == "freelist" for r in records) >= 40


def test_overflow(tmp_path: Path) -> None:
    db, deleted, live = make(tmp_path, n=20, long={7, 8, 12, 15}, delete=[7, 12, 15])
    records = list(carve(db))
    # The first freed page becomes the freelist trunk: its first bytes are overwritten by the
    # list of leaf pages, so the text that ran through it is unknown (None, partial).
    damaged = [r for r in records if r.values["text"] is None]
    assert len(damaged) <= 1 and all(r.partial and r.area == "overflow" for r in damaged)
    intact = [r for r in records if r.values["text"] is not None]
    check(intact, {i: d for i, d in deleted.items() if any(r.values["guid"] == d[1] for r in intact)}, live,
          {"overflow"})
    assert len(intact) >= 2 and all(len(r.values["text"]) > 7000 for r in intact)
    assert {r.values["guid"] for r in records} == {d[1] for d in deleted.values()}


def test_wal_uncheckpointed(tmp_path: Path) -> None:
    db, deleted, live = make(tmp_path, journal="wal", secure=0, delete=[3, 4, 50], after="wal-deletes-only")
    assert Path(f"{db}-wal").stat().st_size > 0
    records = list(carve(db))
    check(records, deleted, live, {"wal"})
    # Ignoring the WAL, the rows are still live in the main file: nothing is deleted there.
    assert list(carve(db, wal=False)) == []


def test_stale_wal_frames_after_checkpoint_and_restart(tmp_path: Path) -> None:
    # secure_delete=1 zeroes the main file; the rows survive only in frames from before the restart.
    db, deleted, live = make(tmp_path, journal="wal", secure=1, delete=[2, 9, 10, 44], after="restart")
    records = list(carve(db))
    check(records, deleted, live, {"wal-stale"})
    assert all(r.frame is not None and r.frame > 1 for r in records)


def test_overflow_rows_in_checkpointed_wal(tmp_path: Path) -> None:
    # secure_delete=1 zeroed the rows in the main file at the checkpoint; they survive in the
    # WAL frames of their INSERT, where each row's overflow pages come in frames *after* its
    # leaf page's frame (same commit), and past the end of the file auto-vacuum truncated.
    db, deleted, live = make(tmp_path, page_size=1024, journal="wal", secure=1, vacuum=1, n=40,
                             long={5, 12, 20, 33}, delete=[5, 12, 20, 33, 7], after="checkpoint")
    records = list(carve(db))
    check(records, deleted, live, {"wal"})
    long_texts = [len(r.values["text"]) for r in records if r.values["guid"] != "GUID-0007-AB"]
    assert long_texts == [len(row(5, True)[2])] * 4


def test_persist_journal(tmp_path: Path) -> None:
    db, deleted, live = make(tmp_path, journal="persist", secure=1, delete=[6, 7, 8, 30])
    assert Path(f"{db}-journal").stat().st_size > 0
    records = list(carve(db))
    check(records, deleted, live, {"journal"})
    assert list(carve(db, journal=False)) == []  # secure_delete wiped the main file


def test_tables_filter_and_auto_vacuum(tmp_path: Path) -> None:
    db, _deleted, _live = make(tmp_path, vacuum=2, delete=[10, 11])
    assert len(list(carve(db, tables=["message"]))) == 2
    assert list(carve(db, tables=["other"])) == []


def test_varints_and_serial_types() -> None:
    for v in (0, 127, 128, 16383, 16384, 2**56 - 1, 2**56, 2**64 - 1):
        enc = encode_varint(v)
        assert read_varint(enc, 0, len(enc)) == (v, len(enc))
    assert decode_value(5, (-2).to_bytes(6, "big", signed=True), 0, "utf-8") == -2
    big = 6_000_000_000_000_001_234
    assert decode_value(6, big.to_bytes(8, "big", signed=True), 0, "utf-8") == big
    assert decode_value(3, (-8_000_000).to_bytes(3, "big", signed=True), 0, "utf-8") == -8_000_000
    assert decode_value(8, b"", 0, "utf-8") == 0 and decode_value(9, b"", 0, "utf-8") == 1
    assert decode_value(13 + 2 * 4, "hé".encode("utf-16-le"), 0, "utf-16-le") == "hé"


def test_tables_of_one_layout_pool_their_samples(tmp_path: Path) -> None:
    """Hundreds of tables of one layout (WeChat's Chat_<md5>) share a pool of sampled records once it holds
    SAMPLES, each later table sampling SAMPLES_OWN of its own: deleted rows of a late table still come back
    whole and in their table, and a table sampled whole keeps a profile of its own records."""
    from reclaim.sqlite.carver import SAMPLES, SAMPLES_OWN, Database, Engine

    src = tmp_path / "src.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA secure_delete=0")
    sizes = [60] * 11 + [20]  # 7 tables fill the pool of 400, the last one holds fewer rows than SAMPLES_OWN
    for t, size in enumerate(sizes):
        con.execute(f"CREATE TABLE Chat_{t} (TableVer INTEGER DEFAULT 1, MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " MesSvrID INTEGER, CreateTime INTEGER, Message TEXT, Status INTEGER, Type INTEGER, Des INTEGER)")
        con.executemany(f"INSERT INTO Chat_{t} VALUES (1, ?, ?, ?, ?, 2, 1, ?)",
                        [(i, 10**15 + t * 1000 + i, 1_700_000_000 + i, f"chat {t} line {i} 你好", i % 2)
                         for i in range(1, size + 1)])
    gone = {i: (1, i, 10**15 + 10 * 1000 + i, 1_700_000_000 + i, f"chat 10 line {i} 你好", 2, 1, i % 2)
            for i in (5, 17, 40)}
    con.execute(f"DELETE FROM Chat_10 WHERE MesLocalID IN ({','.join(map(str, gone))})")
    con.close()
    records = list(carve(src))
    assert {r.table for r in records} == {"Chat_10"}  # no live row, nothing misplaced
    found = {r.values["MesSvrID"]: r for r in records}
    assert set(found) == {values[2] for values in gone.values()}
    for values in gone.values():  # each whole but its rowid, which the freeblock's header overwrote
        record = found[values[2]]
        assert (record.area, record.rowid) == ("freeblock", None)
        assert tuple(record.values.values()) == (values[0], None, *values[2:])

    database = Database(src)
    try:
        engine = Engine(database)
        engine.scan_live()
    finally:
        database.close()
    own = [len(engine.samples[f"Chat_{t}"]) for t in range(len(sizes))]
    assert own[:7] == [60] * 7  # the pool filled by the first ones, whose profiles are their own
    assert own[7:11] == [SAMPLES_OWN + SAMPLES] * 4 and own[11] == 20  # sampled whole: its own rows only


def test_the_same_records_where_files_have_no_positional_read(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no ``os.pread``: pages are then read by a seek and a read, with the same records found."""
    from reclaim.sqlite import pages

    db, deleted, _ = make(tmp_path, n=40, long={7, 9}, delete=[3, 7, 9, 21], journal="wal")
    with_pread = sorted((r.area, r.table, r.rowid, repr(r.values)) for r in carve(db))
    monkeypatch.setattr(pages, "_PREAD", None)
    without = sorted((r.area, r.table, r.rowid, repr(r.values)) for r in carve(db))
    assert without == with_pread and len(with_pread) >= len(deleted)
    reader = pages.FileReader(db)
    assert reader.read(100, 16) == db.read_bytes()[100:116] and reader.read(reader.size - 3, 10) == db.read_bytes()[-3:]
    reader.close()


def test_a_wal_of_random_bytes_gives_no_records(sample_backup: Path, tmp_path: Path) -> None:
    """The sample's sms.db with its WAL damaged into random bytes (or decrypted with a wrong key): its frames were
    probed byte by byte (about 0.25 s a page) and gave 159 made-up records; a page as incompressible as random data
    is passed over."""
    import random

    from reclaim.sources.manifest_db import file_id

    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    db = tmp_path / "sms.db"
    shutil.copyfile(sample_backup / fid[:2] / fid, db)
    wal = sample_backup / file_id("HomeDomain", "Library/SMS/sms.db-wal")[:2] / file_id("HomeDomain",
                                                                                        "Library/SMS/sms.db-wal")
    (tmp_path / "sms.db-wal").write_bytes(random.Random(2).randbytes(wal.stat().st_size))
    found = list(carve(db))
    assert found and {r.area for r in found} <= {"freeblock", "unallocated", "freelist"}
