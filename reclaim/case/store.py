"""The case store: one SQLite file per scan, plus content-addressed media.

A case folder holds ``case.db`` (records, per-kind status, source info, FTS5
index over all text) and ``media/<sha[:2]>/<sha256>`` (every media file once).
It is written once per scan by :class:`CaseWriter` (under a temporary name, then
renamed) and read by everything else through :class:`CaseReader`, so exporters,
the CLI and the web page never touch the original source.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from reclaim.artifacts.base import KindStatus, Record, ShapedRows, iso
from reclaim.case.build import (
    Sink,
    Stager,
    build_case,
    cjk_bigrams,
    cjk_characters,
    cjk_claim_path,
    connect_scratch,
)
from reclaim.case.people import PICTURES_SQL, Pictures
from reclaim.errors import ReclaimError
from reclaim.vfs import SourceInfo

CASE_DB = "case.db"
MEDIA_DIR = "media"
SCHEMA_VERSION = 1
BATCH = 5000
#: ``meta`` key telling how a case orders its records by date. ``"rank"``: ``ranks`` numbers the records
#: in ``(date, rid)`` order (undated first) and the full-text indexes are keyed by that rank; ``"date"``
#: (cases written before ``ranks``): ``rid`` order is that order and the indexes are keyed by rid. Either
#: way search reads its index newest first. Older cases have neither (their search sorts its hits).
DATE_ORDER = "rid_order"
#: ``meta`` key set on cases whose CJK index (``records_cjk``) holds each Chinese, Japanese or Korean
#: character (``"characters"``); cases without it hold overlapping two-character words.
CJK_INDEX = "cjk_index"
#: ``meta`` key set on cases whose trigram index keeps no positions (``"none"``): a word is searched as all its
#: trigrams, each hit's text checked; cases without it keep positions and search a word as a phrase.
FTS_DETAIL = "fts_detail"

#: ``records`` is what every reader queries: one row per record, its ``data`` the record's JSON. It is a view
#: of ``entries``, which keeps most records whole, and *shaped* ones (rows counted in millions, such as plain
#: WeChat text, whose records differ only in a few values) as those values and a ``shape`` they share: the
#: shape's id prefix, source, chat and title, and its JSON as a ``printf`` format that takes, in order, ``n``,
#: the date, the sender as JSON, ``v1`` as JSON, ``v2``, ``v3`` as JSON, ``v4``, ``v5``, ``v6`` (a shape's record
#: id is its prefix followed by ``n``; a format skips a value it has no use for with ``%.0s``). A case is then a
#: fifth of the size and much quicker to write. (Cases written before ``v6`` have a view without it.)
#: (Cases written before shapes have a ``records`` table with the same columns.)
SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kinds(
    kind TEXT PRIMARY KEY, title TEXT NOT NULL, seq INTEGER NOT NULL,
    live INTEGER NOT NULL, deleted INTEGER NOT NULL, reason TEXT NOT NULL,
    warnings TEXT NOT NULL, view TEXT NOT NULL, formats TEXT NOT NULL);
CREATE TABLE entries(
    rid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, id TEXT, date TEXT, deleted INTEGER NOT NULL,
    source TEXT, chat_id TEXT, chat TEXT, sender TEXT, title TEXT, text TEXT,
    data TEXT,
    shape INTEGER, n INTEGER, v1 TEXT, v2 TEXT, v3 TEXT, v4 TEXT, v5 TEXT, v6 TEXT,
    CHECK (shape IS NOT NULL OR (id IS NOT NULL AND source IS NOT NULL AND data IS NOT NULL)));
CREATE TABLE shapes(
    shape INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL, chat TEXT, title TEXT, data TEXT NOT NULL);
CREATE VIEW records AS SELECT
    e.rid AS rid, e.kind AS kind, IFNULL(e.id, s.id || e.n) AS id, e.date AS date, e.deleted AS deleted,
    IFNULL(e.source, s.source) AS source, e.chat_id AS chat_id, IFNULL(e.chat, s.chat) AS chat,
    e.sender AS sender, IFNULL(e.title, s.title) AS title, e.text AS text,
    IFNULL(e.data, printf(s.data, e.n, e.date, json_quote(e.sender), json_quote(e.v1), e.v2, json_quote(e.v3),
                          e.v4, e.v5, e.v6)) AS data
    FROM entries e LEFT JOIN shapes s ON s.shape = e.shape;
CREATE TABLE media(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT NOT NULL, name TEXT NOT NULL);
"""

def _match(terms: list[str]) -> str:
    """An FTS5 query matching every term as a phrase (quoted: no FTS5 syntax from the user)."""
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _trigrams(terms: list[str]) -> list[str]:
    """Every three-character piece of the terms (what a trigram index without positions is asked for)."""
    return list(dict.fromkeys(t[i:i + 3] for t in terms for i in range(len(t) - 2)))


def _contains(text: str | None, term: str) -> bool:
    """Whether ``text`` holds ``term``, letter case aside (as the trigram index folds it)."""
    return text is not None and term.lower() in text.lower()


def media_relpath(sha256: str) -> str:
    """Where a media file lives inside a case folder."""
    return f"{MEDIA_DIR}/{sha256[:2]}/{sha256}"


class MediaStore:
    """Content-addressed media files of a case being written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, tuple[int, str, str]] = {}
        self._folders: set[str] = set()
        self._names = itertools.count()

    def _target(self, sha: str) -> Path:
        """Where a file with this digest goes (its folder made once)."""
        target = self.root / media_relpath(sha)
        if sha[:2] not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(sha[:2])
        return target

    def _scratch(self) -> Path:
        folder = self.root / MEDIA_DIR
        if "" not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add("")
        return folder / f".{os.getpid()}-{next(self._names)}.part"

    def add_stream(self, stream: BinaryIO, name: str, mime: str) -> tuple[str, int]:
        """Copy a stream into the store; returns (sha256, size). Identical content is kept once."""
        digest = hashlib.sha256()
        size = 0
        tmp = self._scratch()
        try:
            with open(tmp, "xb") as out:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            sha = digest.hexdigest()
            target = self._target(sha)
            if sha in self.known or target.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.known.setdefault(sha, (size, mime, name))
        return sha, size

    def add_bytes(self, data: bytes, name: str, mime: str) -> tuple[str, int]:
        """Store bytes (small files: thumbnails, converted previews)."""
        sha = hashlib.sha256(data).hexdigest()
        if sha not in self.known:
            target = self._target(sha)
            if not target.exists():
                tmp = self._scratch()
                try:
                    tmp.write_bytes(data)
                    os.replace(tmp, target)
                except BaseException:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
                    raise
            self.known[sha] = (len(data), mime, name)
        return sha, len(data)


def stored_form(record: Record) -> tuple[tuple[Any, ...], bytes]:
    """A record's row in the case store (``kind, id, date as ISO 8601, deleted as 0/1, source, chat key, chat, sender,
    label, search text``) and its JSON line."""
    label = record.record_label()
    words = record.search_text()
    chat = getattr(record, "chat", None)
    sender = getattr(record, "sender", None)
    if chat is not None and not isinstance(chat, str):
        chat = None
    if sender is not None and not isinstance(sender, str):
        sender = None
    # One full-text column: the search text plus the label, chat and sender when it lacks them.
    for extra in (label, chat, sender):
        if extra and extra not in words:
            words = f"{words}\n{extra}" if words else extra
    date = record.date
    row = (record.KIND, record.id, iso(date) if date is not None else None, 1 if record.deleted else 0,
           record.source, record.chat_key(), chat, sender, label, words)
    return row, record.to_json_bytes()


class RecordQueue:
    """Records queued as rows and handed over in batches (to :meth:`_store`), and the shapes they use."""

    def __init__(self, media: MediaStore) -> None:
        self.media = media
        self._batch: list[tuple[Any, ...]] = []
        self._data: list[bytes] = []
        self._shapes: list[tuple[Any, ...]] = []  # registered, not handed over yet
        self._shape_count = 0
        self._rows = 0  # queued so far (each becomes the rid it is numbered by)

    def add(self, record: Record | ShapedRows) -> None:
        """Queue one record (or a run of shaped rows) for storing."""
        if type(record) is ShapedRows:
            self._batch += record.rows
            self._rows += len(record.rows)
        else:
            row, json = stored_form(record)  # type: ignore[arg-type]
            self._batch.append(row)
            self._data.append(json)
            self._rows += 1
        if len(self._batch) >= BATCH:
            self.flush()

    def mark(self) -> int:
        """Where the records are now, to :meth:`rollback` to."""
        return self._rows

    def rollback(self, mark: int) -> None:
        """Forget the records added since :meth:`mark` gave ``mark`` (the shapes and media they used stay)."""
        self.flush(big=False)
        self._truncate(mark)
        self._rows = mark

    def _truncate(self, kept: int) -> None:
        raise NotImplementedError

    def add_many(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def flush(self, *, big: bool = True) -> None:
        """Hand the queued records over to be stored."""
        if self._batch or self._shapes:
            self._store(self._batch, self._data, self._shapes, big=big and len(self._batch) >= BATCH)
            self._batch, self._data, self._shapes = [], [], []

    def _store(self, rows: list[tuple[Any, ...]], data: list[bytes], shapes: list[tuple[Any, ...]], *,
               big: bool) -> None:
        raise NotImplementedError

    @property
    def shape_count(self) -> int:
        """How many shapes were registered (numbered from 1)."""
        return self._shape_count

    def add_shape(self, shape: tuple[str, str, str, str, str]) -> int:
        """Register what many records will share (id prefix, source, chat, title, JSON format: see ``SCHEMA``);
        returns the number their shaped rows give (:class:`~reclaim.artifacts.base.ShapedRows`)."""
        self._shape_count += 1
        self._shapes.append((self._shape_count, *shape))
        return self._shape_count


class PartWriter(RecordQueue):
    """Writes the records of some kinds, scanned by a second process, into a file of the case's layout that the
    case's writer then appends whole (:meth:`CaseWriter.merge`); their media go straight into the case's folder
    (content-addressed: both processes may store the same file)."""

    def __init__(self, part: Path, media_root: Path) -> None:
        super().__init__(MediaStore(media_root))
        self.part = part
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        conn = connect_scratch(part)
        conn.executescript(SCHEMA)
        conn.close()
        self._sink = Sink(part, None)

    def _store(self, rows: list[tuple[Any, ...]], data: list[bytes], shapes: list[tuple[Any, ...]], *,
               big: bool) -> None:
        self._sink.rows(rows, data, shapes)

    def _truncate(self, kept: int) -> None:
        self._sink.truncate(kept)

    def finish(self) -> None:
        """Store the last records and close the file."""
        self.flush(big=False)
        self._sink.close_records()

    def abort(self) -> None:
        """Close and remove the file."""
        with contextlib.suppress(Exception):
            self._sink.conn.close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()


class CaseWriter(RecordQueue):
    """Writes a new case: records are stored as they come, indexes and full-text indexes built once at the end.

    The database is written as ``case.db.part`` and renamed on :meth:`close`; an
    interrupted scan never leaves a case that looks complete. Records are appended to it
    as they come (by a second process once the case is big enough: see :mod:`reclaim.case.build`),
    so a record's ``rid`` is its place in the scan; ``ranks`` gives their date order on :meth:`close`.
    What the scan says about the source and each kind is kept here until then.
    """

    def __init__(self, folder: Path) -> None:
        # What a failed scan removes: the folder if it made it, else the media folder if it made that.
        self._made: Path | None = None
        if not folder.exists():
            self._made = folder
        elif not (folder / MEDIA_DIR).exists():
            self._made = folder / MEDIA_DIR
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(MediaStore(folder))
        self.folder = folder
        self.final = folder / CASE_DB
        self.part = folder / (CASE_DB + ".part")
        self.staging = folder / (CASE_DB + ".staging")
        self.index = folder / (CASE_DB + ".index")
        self.cjk_claim = cjk_claim_path(self.index)
        for old in (self.part, self.staging, self.index, self.cjk_claim):
            if old.exists():
                old.unlink()
        conn = connect_scratch(self.part)
        conn.executescript(SCHEMA)
        conn.close()
        self._stager = Stager(self.part, self.staging, self.index)
        self._meta: dict[str, str] = {}
        self._kinds: list[tuple[Any, ...]] = []  # each kind's row of ``kinds``, without its place
        self.conn: sqlite3.Connection | None = None  # the case's, once the records are stored
        self._merged: list[Path] = []  # parts merged, removed once the records are stored
        self.set_meta("schema_version", SCHEMA_VERSION)

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under a key (source info, scan options, timings)."""
        self._meta[key] = json.dumps(value, default=str)

    def set_source(self, info: SourceInfo, name: str, location: str | None) -> None:
        """Remember what was scanned (shown on the report's first page)."""
        self.set_meta("source", {"name": name, "location": location, **asdict(info)})

    def _store(self, rows: list[tuple[Any, ...]], data: list[bytes], shapes: list[tuple[Any, ...]], *,
               big: bool) -> None:
        self._stager.put(rows, data, shapes, big=big)

    def _truncate(self, kept: int) -> None:
        self._stager.truncate(kept)

    def merge(self, part: Path, shapes: int, media: dict[str, tuple[int, str, str]]) -> None:
        """Append the records a :class:`PartWriter` wrote (after every record added so far; its ``shapes``
        numbered after the ones registered here) and its media. The part file is removed on :meth:`close`."""
        self.flush(big=False)
        self._stager.merge(part, self._shape_count)
        self._shape_count += shapes
        self._merged.append(part)
        for sha, info in media.items():
            self.media.known.setdefault(sha, info)

    def set_status(self, status: KindStatus, view: str, formats: tuple[str, ...]) -> None:
        """Record what a kind found (or why it found nothing)."""
        self._kinds = [k for k in self._kinds if k[0] != status.kind]
        self._kinds.append((status.kind, status.title, status.live, status.deleted, status.reason,
                            json.dumps(status.warnings, ensure_ascii=False), view, json.dumps(list(formats))))

    def close(self) -> Path:
        """Build the indexes and the full-text indexes, then move the database into place."""
        self.flush(big=False)
        self._stager.close_records()
        for part in self._merged:
            part.unlink()
        conn = self.conn = connect_scratch(self.part)
        self.set_meta(DATE_ORDER, "rank")
        self.set_meta(CJK_INDEX, "characters")
        self.set_meta(FTS_DETAIL, "none")
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", self._meta.items())
        conn.executemany("INSERT OR REPLACE INTO kinds VALUES (?,?,?,?,?,?,?,?,?)",
                         [(*k[:2], seq, *k[2:]) for seq, k in enumerate(self._kinds, 1)])
        conn.executemany(
            "INSERT OR IGNORE INTO media VALUES (?,?,?,?)",
            [(sha, size, mime, name) for sha, (size, mime, name) in self.media.known.items()],
        )
        build_case(conn, self._stager)
        conn.close()
        self.staging.unlink()
        self.index.unlink()
        self.cjk_claim.unlink(missing_ok=True)
        os.replace(self.part, self.final)
        return self.final

    def abort(self) -> None:
        """Drop a half-written case: its database, and its media unless they were there before."""
        self._stager.abort()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        for path in (self.part, self.staging, self.index, self.cjk_claim, *self._merged):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if self._made is not None:  # no half-written case: the media it copied go too
            shutil.rmtree(self._made, ignore_errors=True)


class CaseReader:
    """Read access to a finished case; every query streams its rows."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        db = self.folder / CASE_DB
        if self.folder.is_file() and self.folder.name == CASE_DB:
            db, self.folder = self.folder, self.folder.parent
        if not self.folder.exists():
            raise ReclaimError("no such case folder", self.folder)
        if not db.is_file():
            raise ReclaimError("not a reclaim case (no case.db; run 'reclaim scan' first)", self.folder)
        try:
            self.conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.create_function("reclaim_contains", 2, _contains, deterministic=True)
            self.conn.execute("SELECT 1 FROM records LIMIT 1")
        except sqlite3.DatabaseError as exc:
            raise ReclaimError(f"damaged case database ({exc})", db) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def source(self) -> dict[str, Any]:
        """What was scanned: device name, model, iOS version, backup date, ..."""
        return self.meta("source", {}) or {}

    def kinds(self) -> list[dict[str, Any]]:
        """Per-kind counts and reasons, in scan order."""
        rows = self.conn.execute("SELECT * FROM kinds ORDER BY seq").fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["warnings"] = json.loads(item["warnings"])
            item["formats"] = json.loads(item["formats"])
            out.append(item)
        return out

    def pictures(self) -> Pictures:
        """The profile pictures of the people in the case (WeChat avatars, contact photos), to put beside their
        messages."""
        return Pictures.of(self.conn.execute(PICTURES_SQL))

    def kind(self, kind: str) -> dict[str, Any] | None:
        for item in self.kinds():
            if item["kind"] == kind:
                return item
        return None

    def _where(
        self,
        kind: str | None,
        chat_id: str | None = None,
        chat: str | None = None,
        since: str | None = None,
        until: str | None = None,
        deleted: bool | None = None,
        sender: str | None = None,
        *,
        table: str = "",
    ) -> tuple[str, list[Any]]:
        clauses, args = [], []
        t = f"{table}." if table else ""
        if kind:
            clauses.append(f"{t}kind = ?")
            args.append(kind)
        if chat_id is not None:
            clauses.append(f"{t}chat_id = ?")
            args.append(chat_id)
        if chat:
            clauses.append(f"({t}chat = ? COLLATE NOCASE OR {t}chat_id = ?)")
            args.extend([chat, chat])
        if since:
            clauses.append(f"{t}date >= ?")
            args.append(since)
        if until:
            clauses.append(f"{t}date < ?")
            args.append(until)
        if deleted is not None:
            clauses.append(f"{t}deleted = ?")
            args.append(int(deleted))
        if sender:
            clauses.append(f"{t}sender LIKE ?")
            args.append(f"%{sender}%")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def records(
        self,
        kind: str | None = None,
        *,
        chat_id: str | None = None,
        chat: str | None = None,
        since: str | None = None,
        until: str | None = None,
        deleted: bool | None = None,
        sender: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "date",
    ) -> Iterator[dict[str, Any]]:
        """Records as dicts (their JSON form), streamed in date order, undated last (or ``order='rid'``)."""
        loads = orjson.loads
        for data, rid in self.records_json(kind, chat_id=chat_id, chat=chat, since=since, until=until,
                                           deleted=deleted, sender=sender, limit=limit, offset=offset, order=order):
            item = loads(data)
            item["_rid"] = rid
            yield item

    def records_json(
        self,
        kind: str | None = None,
        *,
        chat_id: str | None = None,
        chat: str | None = None,
        since: str | None = None,
        until: str | None = None,
        deleted: bool | None = None,
        sender: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "date",
    ) -> Iterator[tuple[str, int]]:
        """Like :meth:`records`, but each record's stored JSON text with its ``rid`` (for exporters that copy it).

        Date order is read through the ``(kind, …, date, rid)`` indexes in two passes (dated
        records, then undated ones) rather than sorted, so memory stays flat on a million records.
        """
        where, args = self._where(kind, chat_id, chat, since, until, deleted, sender)
        if order != "date":
            queries = [(f"SELECT data, rid FROM records{where} ORDER BY rid", args)]
        elif not where and self._ranked():  # every record: in rank order (undated ones rank first)
            every = "SELECT r.data, r.rid FROM ranks k JOIN records r ON r.rid = k.rid WHERE r.date IS"
            queries = [(f"{every} NOT NULL ORDER BY k.rank", []), (f"{every} NULL ORDER BY k.rank", [])]
        else:
            glue = " AND " if where else " WHERE "
            # Every record of a date-ordered case: rid order is date order (no index on date alone to sort by).
            dated = "rid" if not where and self._date_ordered() else "date, rid"
            queries = [(f"SELECT data, rid FROM records{where}{glue}date IS NOT NULL ORDER BY {dated}", args)]
            if not since and not until:
                queries.append((f"SELECT data, rid FROM records{where}{glue}date IS NULL ORDER BY rid", args))
        skip, left = offset, limit
        for sql, params in queries:
            if left is not None and left <= 0:
                return
            cursor = self.conn.execute(f"{sql} LIMIT ? OFFSET ?", [*params, -1 if left is None else left, skip])
            seen = 0
            while rows := cursor.fetchmany(1000):
                seen += len(rows)
                yield from rows
            if left is not None:
                left -= seen
            if skip:  # what is left of the offset carries over to the undated records
                skip = 0 if seen else max(0, skip - self.conn.execute(f"SELECT count(*) FROM ({sql})", params)
                                          .fetchone()[0])

    def count(self, kind: str | None = None, **filters: Any) -> int:
        where, args = self._where(kind, **filters)
        return int(self.conn.execute(f"SELECT count(*) FROM records{where}", args).fetchone()[0])

    def record(self, rid: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT data, rid FROM records WHERE rid=?", (rid,)).fetchone()
        if row is None:
            return None
        item = orjson.loads(row[0])
        item["_rid"] = row[1]
        return item

    def chat_dates(self, kind: str, chat_id: str) -> Iterator[str | None]:
        """The dates of a conversation's records, without reading the records (a transcript's header)."""
        cursor = self.conn.execute("SELECT date FROM records WHERE kind=? AND chat_id=?", (kind, chat_id))
        while rows := cursor.fetchmany(1000):
            for row in rows:
                yield row[0]

    def chats(self, kind: str) -> list[dict[str, Any]]:
        """Conversations of a chat-like kind: id, name, message counts and first/last dates."""
        rows = self.conn.execute(
            "SELECT chat_id, max(chat) AS chat, count(*) AS messages, sum(deleted) AS deleted,"
            " min(date) AS first, max(date) AS last FROM records WHERE kind=? GROUP BY chat_id"
            " ORDER BY last DESC",
            (kind,),
        ).fetchall()
        return [dict(r) for r in rows]

    def missing_files_by_chat(self, kind: str) -> dict[str | None, int]:
        """How many of the files each conversation's records name the source no longer held (the phone may have
        cleared them), by chat id; conversations missing none are left out. Only whole records are read: shaped
        ones (plain text) name no file."""
        whole = "entries" if self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'entries' AND type = 'table'").fetchone() else "records"
        rows = self.conn.execute(
            f"SELECT e.chat_id, count(*) FROM {whole} e, json_each(e.data, '$.attachments') a"
            " WHERE e.kind = ? AND e.data IS NOT NULL AND json_extract(a.value, '$.missing') = 1 GROUP BY e.chat_id",
            (kind,))
        return {chat_id: count for chat_id, count in rows}

    def search(
        self,
        query: str,
        *,
        kinds: list[str] | None = None,
        limit: int = 100,
        offset: int = 0,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Full-text search across every kind (substring match, any language), newest first.

        Words of three characters or more use the trigram FTS5 index, one- or two-character
        Chinese, Japanese or Korean words the index of those characters (two-character words
        in older cases); anything shorter falls back to a substring scan.
        """
        terms = [t for t in query.split() if t]
        if not terms:
            return
        if self._date_ordered():
            rows = self._search_newest_first(terms, kinds, limit, offset, filters)
        else:
            rows = self._search_sorted(terms, kinds, limit, offset, filters)
        for data, rid in rows:
            item = orjson.loads(data)
            item["_rid"] = rid
            yield item

    def _search_newest_first(self, terms: list[str], kinds: list[str] | None, limit: int, offset: int,
                             filters: dict[str, Any]) -> Iterable[tuple[str, int]]:
        """Search a case whose full-text indexes are keyed in date order (by rank, or by rid in cases written
        before ranks): the driving index is read from its newest key down and SQLite stops at the page's
        last hit, however many records match."""
        trigram = [t for t in terms if len(t) >= 3]
        characters = self._cjk_characters()
        if characters:  # a one- or two-character CJK word is a phrase of its characters
            cjk = [t for t in terms if len(t) < 3 and cjk_characters(t) == " ".join(t) and self._has_cjk_index()]
            phrases = [" ".join(t) for t in cjk]
        else:  # overlapping two-character words
            cjk = [t for t in terms if len(t) == 2 and cjk_bigrams(t) == t and self._has_cjk_index()]
            phrases = cjk
        short = [t for t in terms if t not in trigram and t not in cjk]
        ranked = self._ranked()
        key = "k.rank" if ranked else "r.rid"  # what the full-text indexes are keyed by
        where, args = self._where(None, **filters, table="r")
        clauses = [where[len(" WHERE "):]] if where else []
        if kinds:
            clauses.append(f"r.kind IN ({','.join('?' * len(kinds))})")
            args.extend(kinds)
        low, high = self._key_range(filters.get("since"), filters.get("until"))
        clauses.append(f"{key} BETWEEN ? AND ?")
        args.extend([low, high])
        for term in short + cjk if characters else short:  # characters in a row are not always the word
            clauses.append("r.text LIKE ?")
            args.append(f"%{term}%")
        positions = self._positions()
        if not positions:  # the index gave the records holding every trigram of the word: check the word
            for term in trigram:
                clauses.append("reclaim_contains(r.text, ?)")
                args.append(term)
        if trigram and cjk:
            clauses.append(f"{key} IN (SELECT rowid FROM records_cjk WHERE records_cjk MATCH ?)")
            args.append(_match(phrases))
        if trigram or cjk:
            index = "records_fts" if trigram else "records_cjk"
            join = "JOIN ranks k ON k.rank = f.rowid JOIN records r ON r.rid = k.rid" if ranked else \
                "JOIN records r ON r.rid = f.rowid"
            sql = (f"SELECT r.data, r.rid FROM {index} f {join}"
                   f" WHERE {index} MATCH ? AND f.rowid BETWEEN ? AND ? AND {' AND '.join(clauses)}"
                   " ORDER BY f.rowid DESC LIMIT ? OFFSET ?")
            match = _match(trigram if positions else _trigrams(trigram)) if trigram else _match(phrases)
            params = [match, low, high, *args, limit, offset]
        else:
            source = "ranks k JOIN records r ON r.rid = k.rid" if ranked else "records r"
            sql = (f"SELECT r.data, r.rid FROM {source} WHERE {' AND '.join(clauses)}"
                   f" ORDER BY {key} DESC LIMIT ? OFFSET ?")
            params = [*args, limit, offset]
        return self.conn.execute(sql, params).fetchall()

    def _key_range(self, since: str | None, until: str | None) -> tuple[int, int]:
        """The keys (ranks, or rids) of records dated in [since, until): a binary search, keys being in date
        order."""
        table = "ranks" if self._ranked() else "records"
        top = self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
        low = self._first_key_dated(since, top) if since else 1
        high = self._first_key_dated(until, top) - 1 if until else top
        return low, high

    def _first_key_dated(self, moment: str, top: int) -> int:
        """The first key dated at or after ``moment`` (``top + 1`` when none is)."""
        sql = ("SELECT k.rank, r.date FROM ranks k JOIN records r ON r.rid = k.rid WHERE k.rank >= ?"
               " ORDER BY k.rank LIMIT 1") if self._ranked() else \
            "SELECT rid, date FROM records WHERE rid >= ? ORDER BY rid LIMIT 1"
        lo, hi = 1, top + 1
        while lo < hi:
            mid = (lo + hi) // 2
            row = self.conn.execute(sql, (mid,)).fetchone()
            if row is None or (row[1] is not None and row[1] >= moment):
                hi = mid
            else:
                lo = row[0] + 1
        return lo

    def _search_sorted(self, terms: list[str], kinds: list[str] | None, limit: int, offset: int,
                       filters: dict[str, Any]) -> Iterable[tuple[str, int]]:
        """Search a case written before rids were in date order (four-column full-text index)."""
        where, args = self._where(None, **filters)
        where = where.replace(" WHERE ", " AND ", 1) if where else ""
        if kinds:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        conditions, params = [], []
        for term in terms:
            if len(term) >= 3:
                conditions.append("rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
                params.append(_match([term]))
            elif len(term) == 2 and cjk_bigrams(term) == term and self._has_cjk_index():
                conditions.append("rid IN (SELECT rowid FROM records_cjk WHERE records_cjk MATCH ?)")
                params.append(_match([term]))
            else:
                conditions.append("(text LIKE ? OR title LIKE ? OR chat LIKE ? OR sender LIKE ?)")
                params.extend([f"%{term}%"] * 4)
        # Pick the page of matching ids by date first, then read only those records' data.
        chosen = (
            f"SELECT rid FROM records WHERE {' AND '.join(conditions)}{where}"
            " ORDER BY date DESC, rid DESC LIMIT ? OFFSET ?"
        )
        sql = f"SELECT data, rid FROM records WHERE rid IN ({chosen}) ORDER BY date DESC, rid DESC"
        return self.conn.execute(sql, [*params, *args, limit, offset])

    @functools.cached_property
    def _layout(self) -> dict[str, Any]:
        """How this case was written (``meta`` keys :data:`DATE_ORDER`, :data:`CJK_INDEX`, :data:`FTS_DETAIL`,
        and whether it has a CJK index): read once, every search depends on it."""
        has_cjk = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='records_cjk'").fetchone() is not None
        return {key: self.meta(key) for key in (DATE_ORDER, CJK_INDEX, FTS_DETAIL)} | {"cjk": has_cjk}

    def _date_ordered(self) -> bool:
        """Whether the full-text indexes are keyed in date order (by rank or by rid)."""
        return self._layout[DATE_ORDER] in ("date", "rank")

    def _ranked(self) -> bool:
        """Whether ``ranks`` gives the date order (else, in a date-ordered case, rid order is it)."""
        return self._layout[DATE_ORDER] == "rank"

    def _cjk_characters(self) -> bool:
        """Whether the CJK index holds single characters (else two-character words)."""
        return self._layout[CJK_INDEX] == "characters"

    def _positions(self) -> bool:
        """Whether the trigram index keeps positions (a word is then searched as a phrase)."""
        return self._layout[FTS_DETAIL] != "none"

    def _has_cjk_index(self) -> bool:
        return bool(self._layout["cjk"])

    def media_path(self, sha256: str) -> Path | None:
        """The local file of a stored media item (``None`` if unknown)."""
        if not sha256 or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.folder / media_relpath(sha256)
        return path if path.is_file() else None

    def missing_media(self) -> tuple[int, int]:
        """(how many, of how many) media files the case lists are gone from its folder (moved or deleted since
        the scan): what an export cannot copy."""
        missing = total = 0
        for (sha,) in self.conn.execute("SELECT sha256 FROM media"):
            total += 1
            missing += self.media_path(sha) is None
        return missing, total

    def media_info(self, sha256: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM media WHERE sha256=?", (sha256,)).fetchone()
        return dict(row) if row else None


def remove_case(folder: Path) -> None:
    """Delete a case folder reclaim wrote (used when re-scanning into the same folder)."""
    # with the scratch files of a killed scan
    for name in (CASE_DB, *(CASE_DB + suffix for suffix in (".part", ".staging", ".index", ".index.cjk", ".kinds"))):
        if (folder / name).exists():
            (folder / name).unlink()
    shutil.rmtree(folder / MEDIA_DIR, ignore_errors=True)
