"""How :class:`~reclaim.case.store.CaseWriter` fills a case database, using both CPUs.

* While the scan extracts records, a :class:`Sink` appends them to ``entries`` in the case file
  (``case.db.part``) in the order they come, so a record's ``rid`` is its place in the scan, and puts
  each one's date and search words (with its Chinese, Japanese or Korean characters picked out) in a
  scratch file beside it (``case.db.staging``). Records come as rows the scan prepared: whole ones, or
  shaped ones (see ``reclaim.case.store.SCHEMA``) with the shapes they use. Once the case is big enough
  the sink runs in a child process (:class:`Stager`), on the second CPU.
* When the case closes, the sink numbers the records in date order (``ranked``: their *rank*) and builds
  the full-text indexes (trigram, CJK characters), keyed by rank, into a second scratch file
  (``case.db.index``), while the scan's process builds the b-tree indexes of ``entries``. The ranks and the
  full-text tables are then copied into the case, which stays one self-contained SQLite file: nothing is
  copied record by record at the end. The CJK index goes to whichever process is free first (the scan's
  once its b-tree indexes are built, the sink's once its trigram index is: :func:`claim_cjk`); the scan's
  process builds it in the case directly.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import marshal
import operator
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, BinaryIO

from reclaim import child

#: The scratch file's table: each record's date and search words, and its CJK characters (what the
#: full-text indexes are built from, at the end, without reading the case file the scan is indexing).
WORDS = "CREATE TABLE IF NOT EXISTS staging.words(rid INTEGER PRIMARY KEY, date TEXT, text TEXT, cjk TEXT)"

COLUMNS = "kind, id, date, deleted, source, chat_id, chat, sender, title, text, data"
#: ``data`` comes as the record's UTF-8 JSON bytes and is stored as text without a decode and re-encode.
_ROW = "(?,?,?,?,?,?,?,?,?,?,CAST(? AS TEXT))"
#: A shaped row as it comes (13 values: kind, date in whole Unix seconds, shape, deleted, chat_id, sender, search
#: words, n, v1 … v5): its date is written by SQLite, quicker than by Python.
SHAPED = "kind, date, shape, deleted, chat_id, sender, text, n, v1, v2, v3, v4, v5"
_SHAPED_ROW = "(?,replace(datetime(?, 'unixepoch'), ' ', 'T') || 'Z',?,?,?,?,?,?,?,?,?,?,?)"
#: A shaped row with its date already in ISO 8601 (finer than seconds) and a sixth value: 14 values.
SHAPED_DATED = f"{SHAPED}, v6"
_SHAPED_DATED_ROW = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#: Every column of ``entries`` but ``rid`` (a merged part's records are numbered after the case's), and what a
#: merge selects from the part for them (its shapes numbered after the case's: ``shape + ?``).
_PART_COLUMNS = f"{COLUMNS}, shape, n, v1, v2, v3, v4, v5, v6"
_PART_VALUES = f"{COLUMNS}, shape + ?, n, v1, v2, v3, v4, v5, v6"
_ROWS_PER_INSERT = 64  # at most 896 parameters, below SQLite's limit of 999 in old versions
#: The columns and row of the statement appending rows, by the length of a row as it comes (with its JSON, if whole).
_INSERTS = {11: (COLUMNS, _ROW), 13: (SHAPED, _SHAPED_ROW), 14: (SHAPED_DATED, _SHAPED_DATED_ROW)}
#: The words of the records appended since ``?``: the CJK characters only of text that is not all ASCII
#: (as many characters as bytes), by :func:`cjk_characters`.
_WORDS_SINCE = ("INSERT INTO staging.words(rid, date, text, cjk) SELECT rid, date, text,"
                " CASE WHEN length(text) < length(CAST(text AS BLOB)) THEN reclaim_cjk(text) END"
                " FROM main.entries WHERE rid > ?")

#: The rank of each record: by date, undated first (SQLite sorts NULL lowest), then as added.
RANK = """
CREATE TABLE ranked(rid INTEGER NOT NULL);
INSERT INTO ranked(rid) SELECT rid FROM words ORDER BY date, rid;
"""
#: The b-tree indexes the readers use.
INDEXES = """
CREATE INDEX records_kind_chat_date ON entries(kind, chat_id, date, rid);
CREATE INDEX records_kind_date ON entries(kind, date, rid);
CREATE INDEX records_recovered ON entries(kind, chat_id, date, rid) WHERE deleted = 1;
CREATE INDEX records_recovered_date ON entries(kind, date, rid) WHERE deleted = 1;
"""
#: Where a rank's record is: the full-text indexes give ranks, newest (highest) first.
RANKS = "CREATE TABLE ranks(rank INTEGER PRIMARY KEY, rid INTEGER NOT NULL)"

#: The full-text tables, keyed by rank: trigram over the search words, and the CJK characters. Both keep
#: no copy of the text (``records.text`` has it). The trigram index keeps no positions (``detail=none``:
#: a third quicker to build): a word is found as the records holding all its trigrams, each one checked.
#: Their definitions are the case's schema; the scratch file uses the same ones.
FTS_TABLE = ("CREATE VIRTUAL TABLE records_fts USING fts5(text, content='', tokenize='trigram', columnsize=0,"
             " detail=none)")
CJK_TABLE = "CREATE VIRTUAL TABLE records_cjk USING fts5(words, content='', tokenize='unicode61')"
_RANKED = "staging.ranked k JOIN staging.words w ON w.rid = k.rid"
FTS_ROWS = f"INSERT INTO records_fts(rowid, text) SELECT k.rowid, w.text FROM {_RANKED} ORDER BY k.rowid"
CJK_ROWS = (f"INSERT INTO records_cjk(rowid, words) SELECT k.rowid, w.cjk FROM {_RANKED} WHERE w.cjk IS NOT NULL"
            " ORDER BY k.rowid")
#: FTS5 flushes a segment each time its in-memory terms reach this size, and merges segments later:
#: 8 MB instead of the default 1 MB halves the CPU time of building the index (memory stays bounded).
_HASH_SIZE = 8 << 20
#: The tables FTS5 keeps an index in (``records_fts_config`` and ``records_cjk_config`` stay as created).
_SHADOWS = ("data", "idx", "docsize")

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]{{2,}}")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")

_FAST = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE")


def connect_scratch(path: Path) -> sqlite3.Connection:
    """A connection for a file written once and thrown away if anything fails: no journal, no syncs."""
    conn = sqlite3.connect(path, cached_statements=256)  # appending statements of every run length
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


@functools.lru_cache(maxsize=256)
def _insert(width: int, rows: int) -> str:
    """The statement appending ``rows`` rows of ``width`` values as they come (see :data:`_INSERTS`)."""
    columns, row = _INSERTS[width]
    return f"INSERT INTO main.entries({columns}) VALUES {row}" + f",{row}" * (rows - 1)


def _cjk_or_none(text: str | None) -> str | None:
    """:func:`cjk_characters` as the scratch file keeps them (NULL: none)."""
    return (cjk_characters(text) or None) if text else None


class Sink:
    """Appends records to the case file and their words to the scratch file; at the end ranks and indexes them.

    It is the only writer of both files until :meth:`close_records`; then it ranks the records
    (:meth:`rank`) and builds the full-text indexes into a file of its own (:meth:`build_fulltext`) while
    the caller builds the case's b-tree indexes.
    """

    def __init__(self, case: Path, staging: Path | None) -> None:
        """``staging``: the scratch file of the search words (``None``: a part of a case written by a second
        scanning process, whose words the case's sink takes when it merges the part)."""
        self.staging = staging
        self.conn = connect_scratch(case)
        if staging is not None:
            self.conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
            for pragma in _FAST[:2]:
                self.conn.execute(f"PRAGMA staging.{pragma}")
            self.conn.execute(WORDS)
            self.conn.create_function("reclaim_cjk", 1, _cjk_or_none, deterministic=True)
        self.last = self.conn.execute("SELECT IFNULL(max(rid), 0) FROM main.entries").fetchone()[0]

    def rows(self, rows: list[Any], data: list[bytes], shapes: list[Any] | None = None) -> None:
        """Append rows in order, many per statement (quicker): whole ones (ten columns, then their record's JSON
        from ``data``) and shaped ones (13 or 14 values, see :data:`SHAPED`), after the new ``shapes`` they use
        (number, id prefix, source, chat, title, JSON format)."""
        if shapes:
            self.conn.executemany("INSERT INTO main.shapes(shape, id, source, chat, title, data) VALUES (?,?,?,?,?,?)",
                                  shapes)
        lines = iter(data)
        chain = itertools.chain.from_iterable
        for size, run in itertools.groupby(rows, len):  # runs of whole rows and of shaped ones
            values = [*run]
            if size == 10:
                values = [(*row, next(lines)) for row in values]
            for start in range(0, len(values), _ROWS_PER_INSERT):
                part = values[start:start + _ROWS_PER_INSERT]
                self.conn.execute(_insert(len(part[0]), len(part)), list(chain(part)))
        self._words(len(rows))

    def _words(self, added: int) -> None:
        if self.staging is not None:
            self.conn.execute(_WORDS_SINCE, (self.last,))
        self.last += added

    def truncate(self, kept: int) -> None:
        """Forget every record after the first ``kept`` (an artifact stopped by a damaged database is extracted
        again from a repaired copy; what it stored the first time goes)."""
        self.conn.execute("DELETE FROM main.entries WHERE rid > ?", (kept,))
        if self.staging is not None:
            self.conn.execute("DELETE FROM staging.words WHERE rid > ?", (kept,))
        self.last = kept

    def merge(self, part: Path, shape_offset: int) -> None:
        """Append the records of a case part (:class:`~reclaim.case.store.PartWriter`'s file) after the ones here,
        in their order, their shapes numbered after ``shape_offset``."""
        self.conn.commit()  # ATTACH is refused inside a transaction
        self.conn.execute("ATTACH DATABASE ? AS part", (str(part),))
        try:
            self.conn.execute("INSERT INTO main.shapes(shape, id, source, chat, title, data)"
                              " SELECT shape + ?, id, source, chat, title, data FROM part.shapes ORDER BY shape",
                              (shape_offset,))
            added = self.conn.execute(f"INSERT INTO main.entries({_PART_COLUMNS}) SELECT {_PART_VALUES}"
                                      " FROM part.entries ORDER BY rid", (shape_offset,)).rowcount
            self._words(added)
            self.conn.commit()
        finally:
            self.conn.execute("DETACH DATABASE part")

    def close_records(self) -> bool:
        """Finish appending (the case file is the caller's again); whether some record has CJK characters."""
        cjk = self.staging is not None and \
            self.conn.execute("SELECT 1 FROM staging.words WHERE cjk IS NOT NULL LIMIT 1").fetchone() is not None
        self.conn.commit()
        self.conn.close()
        return cjk

    def rank(self) -> None:
        """Number the records in date order (``ranked``, in the scratch file)."""
        conn = connect_scratch(self.staging)
        try:
            conn.executescript(RANK)
            conn.commit()
        finally:
            conn.close()

    def build_fulltext(self, index: Path, cjk: bool) -> None:
        """Build the full-text indexes, keyed by rank, into the file ``index``: trigram, then CJK characters when
        some record has them and the case's process has not taken that one (:func:`claim_cjk`; the scratch file
        is only read: the ranks are copied from it meanwhile)."""
        conn = connect_scratch(index)
        try:
            conn.execute("ATTACH DATABASE ? AS staging", (str(self.staging),))
            fill_fulltext(conn, "records_fts", FTS_TABLE, FTS_ROWS)
            if cjk and claim_cjk(index):
                fill_fulltext(conn, "records_cjk", CJK_TABLE, CJK_ROWS)
            conn.commit()
        finally:
            conn.close()


def fill_fulltext(conn: sqlite3.Connection, table: str, create: str, rows: str) -> None:
    """Create a full-text table on ``conn`` and fill it from the scratch file attached as ``staging``."""
    conn.execute(create)
    conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', ?)", (_HASH_SIZE,))
    conn.execute(rows)


def cjk_claim_path(index: Path) -> Path:
    """The file whose creation claims the CJK index (beside the full-text scratch file)."""
    return index.with_name(index.name + ".cjk")


def claim_cjk(index: Path) -> bool:
    """Whether this process builds the CJK index: the first of the two to ask does. At the close the staging
    process asks once its trigram index is built, the case's process once its b-tree indexes are: whichever is
    done first (which depends on the records: many chats, long texts) takes it."""
    try:
        os.close(os.open(cjk_claim_path(index), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


class Stager:
    """Runs the :class:`Sink` in a child process, so that SQLite's work on the records runs on the second CPU
    while the scan extracts records on the first.

    The child is a fresh interpreter running this module (``python -m reclaim.case.build``, started through
    :mod:`reclaim.child`, which says why not :mod:`multiprocessing`). Requests travel through its standard
    input, each one length-prefixed: a batch (``R``: its new shapes, its rows and its whole records' JSON, in
    :mod:`marshal`'s format: the same interpreter reads it, three times quicker than JSON), or the end (``E``).
    The pipe holds less than a batch, so memory stays flat and a slow disk slows the scan down instead of
    filling memory. Answers come back on its standard output, length-prefixed too: "records stored" (with
    whether any has CJK characters) and "indexed" after ``E``, or the error that stopped it. The process
    starts with the first full batch (small cases never start one); where none can be started, the sink
    works here.
    """

    def __init__(self, case: Path, staging: Path, index: Path) -> None:
        self.case = case
        self.staging = staging
        self.index = index
        self.sink: Sink | None = None  # working in this process
        self._child: subprocess.Popen[bytes] | None = None
        self.cjk = False

    def _local(self) -> Sink:
        if self.sink is None:
            self.sink = Sink(self.case, self.staging)
        return self.sink

    def put(self, rows: list[tuple[Any, ...]], data: list[bytes], shapes: list[tuple[Any, ...]], *,
            big: bool = True) -> None:
        """Store a batch: rows (whole or shaped) with the whole ones' JSON and the new shapes they use
        (``big``: worth starting the child for)."""
        if self._child is None and not (big and self._start()):
            self._local().rows(rows, data, shapes)
            return
        self._send(b"R" + marshal.dumps((shapes, rows, data)))

    def _start(self) -> bool:
        """Start the child (it opens the files once this side has closed them)."""
        if not child.can_start():
            return False
        if self.sink is not None:
            self.sink.close_records()
            self.sink = None
        argv, env = child.module_command(__spec__.name, str(self.case), str(self.staging), str(self.index))
        try:
            self._child = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError:
            return False
        return True

    def _send(self, message: bytes) -> None:
        assert self._child is not None and self._child.stdin is not None
        try:
            self._child.stdin.write(len(message).to_bytes(8, "little") + message)
        except BrokenPipeError:  # the child stopped: its answer says why
            self._expect("")
            raise RuntimeError("the case staging process stopped early") from None

    def _expect(self, what: str) -> Any:
        """Read the child's next answer, which should be ``what``; raise its error."""
        assert self._child is not None and self._child.stdout is not None
        if what and not self._child.stdin.closed:  # type: ignore[union-attr]
            self._child.stdin.flush()  # type: ignore[union-attr]
        head = self._child.stdout.read(8)
        if len(head) < 8:
            self._child.wait()
            raise RuntimeError(f"the case staging process stopped (exit status {self._child.returncode})")
        answer, value = pickle.loads(self._child.stdout.read(int.from_bytes(head, "little")))
        if answer == "error":
            self._child.wait()
            raise value
        if answer != what:
            raise RuntimeError(f"the case staging process answered {answer!r} instead of {what!r}")
        return value

    def merge(self, part: Path, shape_offset: int) -> None:
        """Append the records of a case part after the ones stored so far (see :meth:`Sink.merge`)."""
        if self._child is None:
            self._local().merge(part, shape_offset)
            return
        self._send(b"M" + pickle.dumps((str(part), shape_offset)))

    def truncate(self, kept: int) -> None:
        """Forget every record after the first ``kept`` (see :meth:`Sink.truncate`)."""
        if self._child is None:
            self._local().truncate(kept)
            return
        self._send(b"T" + pickle.dumps(kept))

    def close_records(self) -> None:
        """Store the last rows; the case file is then the caller's (the full-text indexes are built meanwhile)."""
        if self._child is None:
            self.cjk = self._local().close_records()
            return
        self._send(b"E")
        assert self._child.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # then the answer says why
            self._child.stdin.close()
        self.cjk = self._expect("stored")

    def ranked(self) -> None:
        """Return once the records are ranked (the scratch file is then only read)."""
        if self._child is None:
            assert self.sink is not None
            self.sink.rank()
            return
        self._expect("ranked")

    def fulltext(self) -> None:
        """Return once the full-text indexes are in their scratch file."""
        if self._child is None:
            assert self.sink is not None
            self.sink.build_fulltext(self.index, self.cjk)
            return
        self._expect("indexed")
        self._child.wait()

    def abort(self) -> None:
        """Stop (the child is killed: the files are thrown away) and close the files."""
        if self._child is not None:
            if self._child.poll() is None:
                self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                with contextlib.suppress(OSError, ValueError):  # closed already, or unflushed bytes
                    pipe.close()  # type: ignore[union-attr]
        if self.sink is not None:
            with contextlib.suppress(Exception):
                self.sink.conn.close()


def _answer(outbox: BinaryIO, answer: str, value: Any) -> None:
    try:
        message = pickle.dumps((answer, value))
    except Exception:  # an error that cannot travel: its text can
        message = pickle.dumps((answer, RuntimeError(f"{type(value).__name__}: {value}")))
    outbox.write(len(message).to_bytes(8, "little") + message)
    outbox.flush()


def _serve(case: str, staging: str, index: str, inbox: BinaryIO, outbox: BinaryIO) -> None:
    """The staging process: store each request, then index; answer as :class:`Stager` expects."""
    sink = None
    try:
        sink = Sink(Path(case), Path(staging))
        while True:
            header = inbox.read(8)
            if len(header) < 8:  # no end mark: the scan is gone (killed), nobody wants the files
                return
            message = inbox.read(int.from_bytes(header, "little"))
            request, body = message[:1], message[1:]
            if request == b"R":
                shapes, rows, data = marshal.loads(body)
                sink.rows(rows, data, shapes)
            elif request == b"M":
                part, offset = pickle.loads(body)
                sink.merge(Path(part), offset)
            elif request == b"T":
                sink.truncate(pickle.loads(body))
            elif request == b"E":
                cjk = sink.close_records()
                _answer(outbox, "stored", cjk)
                sink.rank()
                _answer(outbox, "ranked", None)
                sink.build_fulltext(Path(index), cjk)
                _answer(outbox, "indexed", None)
                return
            else:
                raise RuntimeError(f"unknown request {request!r}")
    except Exception as exc:  # handed to the scan, which stops
        with contextlib.suppress(BrokenPipeError):  # the scan is gone
            _answer(outbox, "error", exc)
    finally:
        if sink is not None:
            sink.conn.close()


def build_case(conn: sqlite3.Connection, stager: Stager) -> None:
    """Build the b-tree indexes of the case open on ``conn`` while the stager ranks the records and builds the
    full-text indexes, then copy the ranks and those into the case."""
    conn.executescript(INDEXES)
    stager.ranked()
    conn.execute("ATTACH DATABASE ? AS staging", (str(stager.staging),))
    conn.execute(RANKS)
    conn.execute("INSERT INTO ranks(rank, rid) SELECT rowid, rid FROM staging.ranked ORDER BY rowid")
    if stager.cjk and claim_cjk(stager.index):  # the staging process is still on its trigram index
        fill_fulltext(conn, "records_cjk", CJK_TABLE, CJK_ROWS)
        conn.execute("DELETE FROM records_cjk_config WHERE k = 'hashsize'")  # as a copied one: the default
    conn.commit()
    conn.execute("DETACH DATABASE staging")
    stager.fulltext()
    conn.execute("ATTACH DATABASE ? AS fulltext", (str(stager.index),))
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


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle: it stops this process
    _serve(sys.argv[1], sys.argv[2], sys.argv[3], sys.stdin.buffer, sys.stdout.buffer)
