"""How :class:`~reclaim.case.store.CaseWriter` fills a case database, using both CPUs.

SQLite does its work without holding Python's GIL, so two things run on threads:

* while the scan extracts records, a :class:`Stager` thread inserts the prepared rows into a
  scratch file beside the case (``case.db.staging``), in the order they arrive;
* when the case closes, :func:`build_case` copies the staged rows into ``records`` in date order and
  builds the b-tree indexes on the case's own connection, while a second connection builds the
  full-text indexes (trigram and CJK bigram) into another scratch file (``case.db.index``) from the
  same staged rows, numbered as they will be in ``records``. Their tables are then copied into the
  case: a case stays one self-contained SQLite file with the same schema as before.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any

#: Records as the scan hands them over, in a scratch file beside the case: at the end they are copied
#: into ``records`` in date order, so that ``rid`` order is date order (what search reads newest first).
STAGING = """
CREATE TABLE incoming(
    rid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, id TEXT NOT NULL, date TEXT, deleted INTEGER NOT NULL,
    source TEXT NOT NULL, chat_id TEXT, chat TEXT, sender TEXT, title TEXT, text TEXT,
    data TEXT NOT NULL, cjk TEXT);
"""

COLUMNS = "kind, id, date, deleted, source, chat_id, chat, sender, title, text, data"
#: ``data`` comes as the record's UTF-8 JSON bytes and is stored as text without a decode and re-encode.
_ROW = "(?,?,?,?,?,?,?,?,?,?,CAST(? AS TEXT),?)"
_INSERT_ONE = f"INSERT INTO incoming({COLUMNS}, cjk) VALUES {_ROW}"
_ROWS_PER_INSERT = 64  # 768 parameters, below SQLite's limit of 999 in old versions
_INSERT_MANY = _INSERT_ONE + f",{_ROW}" * (_ROWS_PER_INSERT - 1)

#: The order of ``records``: by date, undated first (SQLite sorts NULL lowest), then as staged. Only
#: the (date, rid) keys are sorted; ``ranked``'s rowid is then each staged record's rid in ``records``.
RANK = """
CREATE TABLE ranked(staged INTEGER NOT NULL);
INSERT INTO ranked(staged) SELECT rid FROM incoming ORDER BY date, rid;
"""
#: The staged records in that order, with their future rid.
_RANKED = "staging.ranked r JOIN staging.incoming i ON i.rid = r.staged"

#: Copy the staged records in date order: the new rids count up in that order. Then the b-tree
#: indexes the readers use.
RECORDS = f"""
INSERT INTO records(rid, {COLUMNS}) SELECT r.rowid, {", ".join("i." + c for c in COLUMNS.split(", "))} FROM {_RANKED}
    ORDER BY r.rowid;
CREATE INDEX records_kind_chat_date ON records(kind, chat_id, date, rid);
CREATE INDEX records_kind_date ON records(kind, date, rid);
CREATE INDEX records_recovered ON records(kind, chat_id, date, rid) WHERE deleted = 1;
CREATE INDEX records_recovered_date ON records(kind, date, rid) WHERE deleted = 1;
"""

#: The full-text tables: trigram over ``records.text`` (external content), and the CJK bigram words
#: (contentless). Their definitions are the case's schema; the scratch file uses the same ones.
FTS_TABLE = ("CREATE VIRTUAL TABLE records_fts USING fts5(text, content='records', content_rowid='rid',"
             " tokenize='trigram', columnsize=0)")
CJK_TABLE = "CREATE VIRTUAL TABLE records_cjk USING fts5(words, content='', tokenize='unicode61')"
#: Each staged record's words under its future rid.
FTS_ROWS = f"INSERT INTO records_fts(rowid, text) SELECT r.rowid, i.text FROM {_RANKED} ORDER BY r.rowid"
CJK_ROWS = (f"INSERT INTO records_cjk(rowid, words) SELECT r.rowid, i.cjk FROM {_RANKED} WHERE i.cjk IS NOT NULL"
            " ORDER BY r.rowid")
#: FTS5 flushes a segment each time its in-memory terms reach this size, and merges segments later:
#: 8 MB instead of the default 1 MB halves the CPU time of building the index (memory stays bounded).
_HASH_SIZE = 8 << 20
#: The tables FTS5 keeps an index in (``records_fts_config`` and ``records_cjk_config`` stay as created).
_SHADOWS = ("data", "idx", "docsize")

_FAST = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE")


def connect_scratch(path: Path, *, threads: bool = False) -> sqlite3.Connection:
    """A connection for a file written once and thrown away if anything fails: no journal, no syncs."""
    conn = sqlite3.connect(path, check_same_thread=not threads)
    for pragma in _FAST:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def insert_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Stage rows, many per statement (binding them is faster than one by one)."""
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    chain = itertools.chain.from_iterable
    for start in range(0, whole, _ROWS_PER_INSERT):
        conn.execute(_INSERT_MANY, list(chain(rows[start:start + _ROWS_PER_INSERT])))
    if whole < len(rows):
        conn.executemany(_INSERT_ONE, rows[whole:])


class Stager:
    """Inserts batches of rows into the staging file on a thread of its own, so that SQLite's share of the
    work overlaps the extraction. The queue holds two batches at most: memory stays flat, and a slow disk
    slows the scan down instead of filling memory. The thread starts with the first batch (small cases
    never start it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect_scratch(path, threads=True)
        self.conn.executescript(STAGING)
        self._queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stop = False

    def put(self, rows: list[tuple[Any, ...]]) -> None:
        """Hand over a batch (the caller makes a new list: this one now belongs to the thread)."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="reclaim-case-stager", daemon=True)
            self._thread.start()
        self._queue.put(rows)

    def _run(self) -> None:
        try:
            while (rows := self._queue.get()) is not None:
                if self._error is None and not self._stop:
                    insert_rows(self.conn, rows)
        except BaseException as exc:  # handed to the scanning thread at its next batch or at the end
            self._error = exc
            while self._queue.get() is not None:  # keep the producer from blocking until it stops
                pass

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self, rows: list[tuple[Any, ...]]) -> None:
        """Stage the last rows, wait for the thread, rank the staged rows by date and close the file."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._raise()
        insert_rows(self.conn, rows)
        self.conn.executescript(RANK)
        self.conn.commit()
        self.conn.close()

    def abort(self) -> None:
        """Stop the thread (what is queued is dropped) and close the file."""
        self._stop = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        with contextlib.suppress(Exception):
            self.conn.close()


def build_case(conn: sqlite3.Connection, staging: Path, index: Path, *, cjk: bool) -> None:
    """Fill ``records``, its indexes and the full-text indexes (the bigram one if ``cjk``) of the case
    open on ``conn`` from the staged rows (their writer closed), using ``index`` as a scratch file."""
    outcome: dict[str, Any] = {}
    side = threading.Thread(target=_build_fulltext, args=(index, staging, cjk, outcome),
                            name="reclaim-case-fulltext", daemon=True)
    conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
    side.start()
    try:
        conn.executescript(RECORDS)
    finally:
        side.join()
    conn.execute("DETACH DATABASE staging")
    if "error" in outcome:
        raise outcome["error"]
    conn.execute("ATTACH DATABASE ? AS fulltext", (str(index),))
    for table, create in (("records_fts", FTS_TABLE), ("records_cjk", CJK_TABLE)):
        if table not in outcome["tables"]:
            continue
        conn.execute(create)
        for suffix in _SHADOWS:
            shadow = f"{table}_{suffix}"
            if shadow in outcome["shadows"]:
                conn.execute(f"DELETE FROM main.{shadow}")
                conn.execute(f"INSERT INTO main.{shadow} SELECT * FROM fulltext.{shadow}")
    conn.commit()
    conn.execute("DETACH DATABASE fulltext")


def _build_fulltext(index: Path, staging: Path, cjk: bool, outcome: dict[str, Any]) -> None:
    """Build the trigram index, and the bigram index when some record has CJK words, into ``index``."""
    try:
        conn = connect_scratch(index)
        try:
            conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
            tables = ["records_fts"]
            conn.execute(FTS_TABLE)
            conn.execute("INSERT INTO records_fts(records_fts, rank) VALUES ('hashsize', ?)", (_HASH_SIZE,))
            conn.execute(FTS_ROWS)
            if cjk:
                tables.append("records_cjk")
                conn.execute(CJK_TABLE)
                conn.execute("INSERT INTO records_cjk(records_cjk, rank) VALUES ('hashsize', ?)", (_HASH_SIZE,))
                conn.execute(CJK_ROWS)
            conn.commit()
            outcome["tables"] = tables
            outcome["shadows"] = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except BaseException as exc:  # raised again by build_case, in the caller's thread
        outcome["error"] = exc
