"""How :class:`~reclaim.case.store.CaseWriter` fills a case database, using both CPUs.

* The records go straight into the case file, in the order the scan finds them (``rid`` counts up),
  written by a child process while the scan extracts the next ones. Each record also gets a ``rank``:
  its date in seconds in the high bits and its ``rid`` in the low ones, so that rank order is date
  order (undated records first, ties in the order found).
* A second child process builds the full-text indexes (trigram, and the CJK characters) into a
  scratch file (``case.db.index``) at the same time, keyed by rank: search reads them newest first
  and stops at the last hit it needs.
* At the end the first child builds the b-tree indexes while the second finishes, and the full-text
  tables are copied into the case: a case stays one self-contained SQLite file.

Nothing is copied or sorted record by record after the scan: that used to cost a third of a scan.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import operator
import os
import pickle
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

COLUMNS = "kind, id, date, deleted, source, chat_id, chat, sender, title, text, data"

#: The records table (the case's own schema) and the indexes built once every record is in.
RECORDS = """
CREATE TABLE records(
    rid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, id TEXT NOT NULL, date TEXT, deleted INTEGER NOT NULL,
    source TEXT NOT NULL, chat_id TEXT, chat TEXT, sender TEXT, title TEXT, text TEXT,
    data TEXT NOT NULL, rank INTEGER NOT NULL);
"""
INDEXES = """
CREATE UNIQUE INDEX records_rank ON records(rank);
CREATE INDEX records_kind_chat_date ON records(kind, chat_id, date, rid);
CREATE INDEX records_kind_date ON records(kind, date, rid);
CREATE INDEX records_recovered ON records(kind, chat_id, date, rid) WHERE deleted = 1;
CREATE INDEX records_recovered_date ON records(kind, date, rid) WHERE deleted = 1;
"""

#: A rank is ``seconds << RID_BITS | rid``: ``seconds`` counts from 1800-01-01 (1 = that moment; 0 =
#: undated) and is clamped to 34 bits (up to the year 2344). Unique while rids stay below 2**29.
RID_BITS = 29
MAX_RID = (1 << RID_BITS) - 1
_SINCE_1800 = 5_364_662_401  # added to Unix seconds: 1800-01-01T00:00:00Z becomes 1
_MAX_SECONDS = (1 << 34) - 1


def rank_of(unix_seconds: int | None, rid: int) -> int:
    """The rank of record ``rid`` dated ``unix_seconds`` (``None``: undated)."""
    if unix_seconds is None:
        return rid
    return min(_MAX_SECONDS, max(1, unix_seconds + _SINCE_1800)) << RID_BITS | rid


def rank_bound(moment: str) -> int:
    """The lowest rank a record dated at ``moment`` (ISO 8601, UTC) can have (0 when it is not a date)."""
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return rank_of(math.floor(when.timestamp()), 0)


#: The full-text tables, keyed by rank: trigram over the search text, and the Chinese, Japanese and Korean
#: characters one by one (a two-character word is then a phrase of two). Contentless: the text is in
#: ``records``.
FTS_TABLE = "CREATE VIRTUAL TABLE records_fts USING fts5(text, content='', tokenize='trigram', columnsize=0)"
CJK_TABLE = "CREATE VIRTUAL TABLE records_cjk USING fts5(words, content='', tokenize='unicode61')"
#: FTS5 flushes a segment each time its in-memory terms reach this size, and merges segments later:
#: 8 MB instead of the default 1 MB halves the CPU time of building the index (memory stays bounded).
_HASH_SIZE = 8 << 20
#: The tables FTS5 keeps an index in (``records_fts_config`` and ``records_cjk_config`` stay as created).
_SHADOWS = ("data", "idx", "docsize")
#: FTS5 also writes its in-memory terms out whenever a rowid is not above the last one, so words wait
#: here and go in rank order, this many records at a time.
_PENDING_ROWS = 50_000

_BATCHES_IN_FLIGHT = 3  # per child, queued in the scanning process (a batch is a few MB)
_ROWS_PER_INSERT = 64  # 64 rows of 13 values: 832 parameters, below SQLite's old limit of 999


def _values(width: int, rows: int) -> str:
    return ",".join([f"({','.join('?' * width)})"] * rows)


def _insert_records(rows: int) -> str:
    """Rows of (rid, the ten columns, data, rank); the record's JSON arrives as UTF-8 bytes, stored as text."""
    row = "(?,?,?,?,?,?,?,?,?,?,?,CAST(? AS TEXT),?)"
    return f"INSERT INTO records(rid, {COLUMNS}, rank) VALUES {','.join([row] * rows)}"


#: Where the ``reclaim`` package is, for the child process to import this module from.
_ROOT = str(Path(__file__).resolve().parents[2])
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]{{2,}}")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")

_FAST = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE")


def connect_scratch(path: Path) -> sqlite3.Connection:
    """A connection for a file written once and thrown away if anything fails: no journal, no syncs."""
    conn = sqlite3.connect(path, check_same_thread=False)
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
    """The Chinese, Japanese and Korean characters of ``text`` in order, space-separated: what the CJK
    index holds (a word is found as a phrase of its characters; search checks the hit's text)."""
    return "" if text.isascii() else " ".join(_CJK_CHARACTER.findall(text))


def _insert_many(conn: sqlite3.Connection, make: Any, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows with statements of many rows each (far fewer statement runs than one per row)."""
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    chain = itertools.chain.from_iterable
    if whole:
        sql = make(_ROWS_PER_INSERT)
        for start in range(0, whole, _ROWS_PER_INSERT):
            conn.execute(sql, list(chain(rows[start:start + _ROWS_PER_INSERT])))
    if whole < len(rows):
        conn.execute(make(len(rows) - whole), list(chain(rows[whole:])))


class RecordsWriter:
    """Writes records into the new case file in the order they come (``rid`` counting up from 1), each
    with its rank; :meth:`finish` builds the b-tree indexes."""

    def __init__(self, path: Path) -> None:
        self.conn = connect_scratch(path)
        self.conn.executescript(RECORDS)
        self.next_rid = 1

    def add(self, rows: list[Any], data: list[bytes]) -> None:
        """Rows of the ten columns (``kind`` … ``text``) and the date in Unix seconds (``None``: undated),
        with each record's JSON as UTF-8 bytes."""
        first = self.next_rid
        if first + len(rows) > MAX_RID:
            raise OverflowError(f"a case holds at most {MAX_RID:,} records")
        self.next_rid = first + len(rows)
        low, high, since = 1, _MAX_SECONDS, _SINCE_1800  # rank_of, inlined: once per record
        staged = [(rid, *row[:10], json, rid if (s := row[10]) is None else
                   (min(high, max(low, s + since)) << RID_BITS | rid))
                  for rid, row, json in zip(range(first, self.next_rid), rows, data, strict=True)]
        _insert_many(self.conn, _insert_records, staged)

    def finish(self) -> bool:
        self.conn.commit()
        self.conn.executescript(INDEXES)
        self.conn.commit()
        self.conn.close()
        return False

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class WordsWriter:
    """Builds the full-text indexes (in a scratch file) from the same rows, keyed by rank.

    FTS5 writes its in-memory terms out as a segment whenever a rowid is not above the last one, so rows
    wait here and go in rank order, :data:`_PENDING_ROWS` at a time.
    """

    def __init__(self, path: Path) -> None:
        self.conn = connect_scratch(path)
        self.conn.execute(FTS_TABLE)
        self.conn.execute("INSERT INTO records_fts(records_fts, rank) VALUES ('hashsize', ?)", (_HASH_SIZE,))
        self.cjk = False
        self.next_rid = 1
        self.pending: list[tuple[int, str]] = []

    def add(self, rows: list[Any]) -> None:
        """Rows of (date in Unix seconds, search text), in the order the records were added."""
        first = self.next_rid
        self.next_rid = first + len(rows)
        self.pending += [(rank_of(seconds, rid), words) for rid, (seconds, words) in zip(range(first, self.next_rid),
                                                                                          rows, strict=True)]
        if len(self.pending) >= _PENDING_ROWS:
            self._write()

    def _write(self) -> None:
        rows, self.pending = self.pending, []
        rows.sort()
        conn = self.conn
        # executemany: for a virtual table, many-row VALUES statements are twice as slow
        conn.executemany("INSERT INTO records_fts(rowid, text) VALUES (?, ?)", rows)
        characters = [(rank, chars) for rank, words in rows if not words.isascii() and (chars := cjk_characters(words))]
        if characters:
            if not self.cjk:
                self.cjk = True
                conn.execute(CJK_TABLE)
                conn.execute("INSERT INTO records_cjk(records_cjk, rank) VALUES ('hashsize', ?)", (_HASH_SIZE,))
            conn.executemany("INSERT INTO records_cjk(rowid, words) VALUES (?, ?)", characters)

    def finish(self) -> bool:
        """Index what is left; returns whether some record has CJK characters."""
        self._write()
        self.conn.commit()
        self.conn.close()
        return self.cjk

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def attach_fulltext(conn: sqlite3.Connection, index: Path) -> None:
    """Copy the full-text tables built in ``index`` into the case open on ``conn`` (its shadow tables as
    they are: the index is not built twice), then delete ``index``."""
    conn.execute("ATTACH DATABASE ? AS fulltext", (str(index),))
    tables = {r[0] for r in conn.execute("SELECT name FROM fulltext.sqlite_master WHERE type='table'")}
    for table, create in (("records_fts", FTS_TABLE), ("records_cjk", CJK_TABLE)):
        if table not in tables:
            continue
        conn.execute(create)
        for suffix in _SHADOWS:
            shadow = f"{table}_{suffix}"
            if shadow in tables:
                conn.execute(f"DELETE FROM main.{shadow}")
                conn.execute(f"INSERT INTO main.{shadow} SELECT * FROM fulltext.{shadow}")
    conn.commit()
    conn.execute("DETACH DATABASE fulltext")
    index.unlink()


class _Child:
    """One writer running in a child process: a fresh interpreter running this module (``python -m
    reclaim.case.build``: it never imports the caller's script, unlike :mod:`multiprocessing`'s spawn, and
    never inherits its threads' locks, unlike fork). A batch travels through its standard input as one
    message (its length, then its bytes); the pipe holds less than a batch, so memory stays flat and a slow
    disk slows the scan down instead of filling memory. The child answers once, on its standard output:
    its writer's result, or its error."""

    def __init__(self, role: str, path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))}
        self.process = subprocess.Popen([sys.executable, "-m", __spec__.name, role, str(path)], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.role = role
        self.cpu = 0.0  # CPU seconds the child spent, once it has answered
        # A thread writes the batches, a few queued: the scan goes on while a child is busy with the last one.
        self._outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=_BATCHES_IN_FLIGHT)
        self._broken = False
        self._writer = threading.Thread(target=self._write, name=f"reclaim-case-{role}", daemon=True)
        self._writer.start()

    def _write(self) -> None:
        assert self.process.stdin is not None
        while (message := self._outbox.get()) is not None:
            if self._broken:
                continue
            try:
                self.process.stdin.write(len(message).to_bytes(8, "little") + message)
            except (BrokenPipeError, ValueError):  # the child stopped (its answer says why), or was killed
                self._broken = True
        with contextlib.suppress(BrokenPipeError, ValueError):  # then the answer says why
            self.process.stdin.close()

    def send(self, message: bytes) -> None:
        if self._broken:  # the child stopped: its answer says why
            self.answer()
            raise RuntimeError("the case writing process stopped early")
        self._outbox.put(message)

    def end(self) -> None:
        """Send the end mark and close the pipe (the child then finishes its file and answers)."""
        self.send(b"")
        self._outbox.put(None)
        self._writer.join()

    def answer(self) -> Any:
        """The child's result; raises its error."""
        assert self.process.stdout is not None
        answer = self.process.stdout.read()
        self.process.wait()
        if not answer:
            raise RuntimeError(f"the case writing process stopped (exit status {self.process.returncode})")
        result, error, self.cpu = pickle.loads(answer)
        if error is not None:
            raise error
        return result

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._broken = True
        with contextlib.suppress(queue.Full):
            while True:  # let the writing thread see the end
                with contextlib.suppress(queue.Empty):
                    self._outbox.get_nowait()
                self._outbox.put_nowait(None)
                break
        self._writer.join()
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):  # closed already, or unflushed bytes
                pipe.close()  # type: ignore[union-attr]


class Stager:
    """Writes the records and their full-text indexes in two child processes, one each, so that SQLite's
    work runs beside the scan on every CPU there is (three processes, none waiting for Python's GIL).

    The records' child gets each batch's rows as JSON followed by each record's JSON on a line of its own;
    the words' child gets (date, search text) pairs. Both number the records in the order they come, so
    they agree on every rid and rank. The processes start with the first batch (small cases never start
    them); where none can be started, both writers run in the caller.
    """

    def __init__(self, path: Path, index: Path) -> None:
        self.path = path
        self.index = index
        self.cjk = False
        self._here: tuple[RecordsWriter, WordsWriter] | None = None  # writing in this process
        self.cpu: dict[str, float] = {}  # CPU seconds of each child process (for benchmarks)
        self._children: tuple[_Child, _Child] | None = None

    def put(self, rows: list[tuple[Any, ...]], data: list[bytes]) -> None:
        """Write a batch: rows of ten columns and the date in Unix seconds, and their records' JSON."""
        if self._children is None and self._here is None and not self._start():
            self._here = (RecordsWriter(self.path), WordsWriter(self.index))
        if self._here is not None:
            self._here[0].add(rows, data)
            self._here[1].add([(row[10], row[9]) for row in rows])
            return
        assert self._children is not None
        records, words = self._children
        words.send(orjson.dumps([(row[10], row[9]) for row in rows]))
        records.send(b"\n".join([orjson.dumps(rows), *data]))

    def _start(self) -> bool:
        if getattr(sys, "frozen", False):  # a bundled application cannot run ``-m``
            return False
        started: list[_Child] = []
        try:
            for role, path in (("records", self.path), ("words", self.index)):
                started.append(_Child(role, path))
        except OSError:
            for child in started:
                child.kill()
            return False
        self._children = (started[0], started[1])
        return True

    def finish(self, rows: list[tuple[Any, ...]], data: list[bytes]) -> None:
        """Write the last rows, then build the indexes (both files closed when this returns)."""
        if rows or (self._children is None and self._here is None):
            if self._children is None and self._here is None:  # small cases: no process for so little
                self._here = (RecordsWriter(self.path), WordsWriter(self.index))
            self.put(rows, data)
        if self._here is not None:
            self._here[0].finish()
            self.cjk = self._here[1].finish()
            return
        assert self._children is not None
        for child in self._children:
            child.end()
        records, words = self._children
        try:
            records.answer()
        finally:
            self.cjk = words.answer()
        self.cpu = {child.role: round(child.cpu, 3) for child in self._children}

    def abort(self) -> None:
        """Stop writing (the children are killed: the files are thrown away)."""
        for child in self._children or ():
            child.kill()
        for writer in self._here or ():
            writer.abort()


def _serve(role: str, path: str, inbox: BinaryIO, outbox: BinaryIO) -> None:
    """A writing process: hand each batch received to its writer, then finish; answer (result, error)."""
    result, error = None, None
    writer: RecordsWriter | WordsWriter | None = None
    try:
        writer = RecordsWriter(Path(path)) if role == "records" else WordsWriter(Path(path))
        while size := int.from_bytes(header := inbox.read(8), "little"):
            message = inbox.read(size)
            if isinstance(writer, RecordsWriter):
                head, *data = message.split(b"\n")
                writer.add(orjson.loads(head), data)
            else:
                writer.add(orjson.loads(message))
        if len(header) < 8:  # no end mark: the scan is gone (killed), nobody wants the file
            writer.abort()
            return
        result = writer.finish()
    except Exception as exc:  # handed to the scan, which stops (this side's input closes: the scan sees why)
        error = exc
        if writer is not None:
            writer.abort()
    cpu = time.process_time()
    try:
        answer = pickle.dumps((result, error, cpu))
    except Exception:  # an error that cannot travel: its text can
        answer = pickle.dumps((result, RuntimeError(f"{type(error).__name__}: {error}"), cpu))
    with contextlib.suppress(BrokenPipeError):  # the scan is gone
        outbox.write(answer)
        outbox.flush()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle: it stops this process
    _serve(sys.argv[1], sys.argv[2], sys.stdin.buffer, sys.stdout.buffer)
