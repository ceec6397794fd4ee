"""How :class:`~reclaim.case.store.CaseWriter` fills a case database, using both CPUs.

* While the scan extracts records, a :class:`Stager` child process picks out the CJK characters of
  the prepared rows and inserts them into a scratch file beside the case (``case.db.staging``), in
  the order they arrive; at the end it sorts their (date, rid) keys.
* When the case closes, :func:`build_case` copies the staged rows into ``records`` in date order and
  builds the b-tree indexes on the case's own connection, while a thread with a second connection
  (SQLite works without holding Python's GIL) builds the full-text indexes (trigram and CJK characters)
  into another scratch file (``case.db.index``) from the same staged rows, numbered as they will be
  in ``records``. Their tables are then copied into the case: a case stays one self-contained SQLite
  file with the same schema as before.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

import orjson

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

#: The full-text tables: trigram over ``records.text`` (external content), and the CJK characters
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

#: Where the ``reclaim`` package is, for the child process to import this module from.
_ROOT = str(Path(__file__).resolve().parents[2])
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]{{2,}}")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")

_FAST = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE")


def connect_scratch(path: Path) -> sqlite3.Connection:
    """A connection for a file written once and thrown away if anything fails: no journal, no syncs."""
    conn = sqlite3.connect(path)
    for pragma in _FAST:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def cjk_bigrams(text: str | None) -> str:
    """Overlapping two-character words of the Chinese/Japanese/Korean runs in ``text``, space-separated.

    The trigram index cannot find a two-character word such as 红包 ("red packet"),
    the most common length of a Chinese word; indexing these pairs can.
    """
    if not text or text.isascii():
        return ""
    pairs: list[str] = []
    for run in _CJK_RUN.findall(text):
        pairs += map(operator.add, run, run[1:])  # each character with the next
    return " ".join(dict.fromkeys(pairs))


def cjk_characters(text: str) -> str:
    """The Chinese, Japanese and Korean characters of ``text`` in order, space-separated: what the CJK index
    of a case holds (a one- or two-character word, which the trigram index cannot find, is then a phrase of
    its characters; search checks the hit's text, characters in a row not always being that word). Three
    times quicker to compute than overlapping pairs (:func:`cjk_bigrams`, the index of older cases)."""
    return "" if text.isascii() else " ".join(_CJK_CHARACTER.findall(text))


def insert_rows(conn: sqlite3.Connection, rows: list[Any], data: list[bytes]) -> bool:
    """Stage rows (their first ten columns) with their records' JSON and the CJK characters of their
    search text (tenth column), many rows per statement (faster than one by one). Returns whether some
    row had CJK characters."""
    found = False
    staged = []
    for row, json in zip(rows, data, strict=True):
        words = row[9]
        cjk = None if words.isascii() else cjk_characters(words) or None
        found = found or cjk is not None
        staged.append((*row, json, cjk))
    rows = staged
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    chain = itertools.chain.from_iterable
    for start in range(0, whole, _ROWS_PER_INSERT):
        conn.execute(_INSERT_MANY, list(chain(rows[start:start + _ROWS_PER_INSERT])))
    if whole < len(rows):
        conn.executemany(_INSERT_ONE, rows[whole:])
    return found


class Stager:
    """Stages batches of rows in a child process, so that picking out CJK characters and SQLite's inserts run on the
    second CPU while the scan extracts records on the first.

    The child is a fresh interpreter running this module (``python -m reclaim.case.build``: it never
    imports the caller's script, unlike :mod:`multiprocessing`'s spawn, and never inherits its threads'
    locks, unlike fork). A batch travels through its standard input as one message: its length, its rows
    as JSON, then each record's JSON on a line of its own. The pipe holds less than a batch, so memory
    stays flat and a slow disk slows the scan down instead of filling memory. The child answers once, on
    its standard output: whether it saw CJK characters, or its error. The process starts with the first
    batch (small cases never start one); where none can be started, rows are staged in the caller.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = connect_scratch(path)
        self.conn.executescript(STAGING)
        self.cjk = False
        self._child: subprocess.Popen[bytes] | None = None
        self._here = False  # staging in this process (no child could be started)

    def put(self, rows: list[tuple[Any, ...]], data: list[bytes]) -> None:
        """Stage a batch: rows of ten columns and their records' JSON."""
        if self._child is None and not self._here:
            self._here = not self._start()
        if self._here:
            assert self.conn is not None
            self.cjk |= insert_rows(self.conn, rows, data)
            return
        self._send(b"\n".join([orjson.dumps(rows), *data]))

    def _start(self) -> bool:
        """Start the child (it opens the staging file once this side has closed it)."""
        if getattr(sys, "frozen", False):  # a bundled application cannot run ``-m``
            return False
        assert self.conn is not None
        self.conn.close()
        self.conn = None
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))}
        try:
            self._child = subprocess.Popen([sys.executable, "-m", __spec__.name, str(self.path)], env=env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError:
            self.conn = connect_scratch(self.path)
            return False
        return True

    def _send(self, message: bytes) -> None:
        assert self._child is not None and self._child.stdin is not None
        try:
            self._child.stdin.write(len(message).to_bytes(8, "little") + message)
        except BrokenPipeError:  # the child stopped: its answer says why
            self._answer()
            raise RuntimeError("the case staging process stopped early") from None

    def _answer(self) -> None:
        """Read the child's answer; raise its error."""
        assert self._child is not None and self._child.stdout is not None
        answer = self._child.stdout.read()
        self._child.wait()
        if not answer:
            raise RuntimeError(f"the case staging process stopped (exit status {self._child.returncode})")
        cjk, error = pickle.loads(answer)
        if error is not None:
            raise error
        self.cjk |= cjk

    def finish(self, rows: list[tuple[Any, ...]], data: list[bytes]) -> None:
        """Stage the last rows, rank the staged rows by date and close the file."""
        if self._child is None:
            assert self.conn is not None
            self.cjk |= insert_rows(self.conn, rows, data)
            self.conn.executescript(RANK)
            self.conn.commit()
            self.conn.close()
            return
        if rows:
            self.put(rows, data)
        self._send(b"")
        assert self._child.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # then the answer says why
            self._child.stdin.close()
        self._answer()

    def abort(self) -> None:
        """Stop staging (the child is killed: the staging file is thrown away) and close the file."""
        if self._child is not None:
            if self._child.poll() is None:
                self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                with contextlib.suppress(OSError, ValueError):  # closed already, or unflushed bytes
                    pipe.close()  # type: ignore[union-attr]
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()


def _serve(path: str, inbox: BinaryIO, outbox: BinaryIO) -> None:
    """The staging process: insert each batch received, then rank the rows by date; answer (cjk, error)."""
    cjk, error = False, None
    try:
        conn = connect_scratch(Path(path))
        while size := int.from_bytes(header := inbox.read(8), "little"):
            head, *data = inbox.read(size).split(b"\n")
            cjk |= insert_rows(conn, orjson.loads(head), data)
        if len(header) < 8:  # no end mark: the scan is gone (killed), nobody wants the file
            return
        conn.executescript(RANK)
        conn.commit()
        conn.close()
    except Exception as exc:  # handed to the scan, which stops (this side's input closes: the scan sees why)
        error = exc
    try:
        answer = pickle.dumps((cjk, error))
    except Exception:  # an error that cannot travel: its text can
        answer = pickle.dumps((cjk, RuntimeError(f"{type(error).__name__}: {error}")))
    with contextlib.suppress(BrokenPipeError):  # the scan is gone
        outbox.write(answer)
        outbox.flush()


def build_case(conn: sqlite3.Connection, staging: Path, index: Path, *, cjk: bool) -> None:
    """Fill ``records``, its indexes and the full-text indexes (the CJK one if ``cjk``) of the case
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
    """Build the trigram index, and the CJK index when some record has CJK characters, into ``index``."""
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


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle: it stops this process
    _serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
