"""The case store: one SQLite file per scan, plus content-addressed media.

A case folder holds ``case.db`` (records, per-kind status, source info, FTS5
index over all text) and ``media/<sha[:2]>/<sha256>`` (every media file once).
It is written once per scan by :class:`CaseWriter` (under a temporary name, then
renamed) and read by everything else through :class:`CaseReader`, so exporters,
the CLI and the web page never touch the original source.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

from reclaim.artifacts.base import KindStatus, Record, iso
from reclaim.errors import ReclaimError
from reclaim.vfs import SourceInfo

CASE_DB = "case.db"
MEDIA_DIR = "media"
SCHEMA_VERSION = 1
BATCH = 2000

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kinds(
    kind TEXT PRIMARY KEY, title TEXT NOT NULL, seq INTEGER NOT NULL,
    live INTEGER NOT NULL, deleted INTEGER NOT NULL, reason TEXT NOT NULL,
    warnings TEXT NOT NULL, view TEXT NOT NULL, formats TEXT NOT NULL);
CREATE TABLE records(
    rid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, id TEXT NOT NULL, date TEXT, deleted INTEGER NOT NULL,
    source TEXT NOT NULL, chat_id TEXT, chat TEXT, sender TEXT, title TEXT, text TEXT,
    data TEXT NOT NULL);
CREATE TABLE media(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT NOT NULL, name TEXT NOT NULL);
"""

INDEXES = """
CREATE INDEX records_kind_chat_date ON records(kind, chat_id, date, rid);
CREATE INDEX records_kind_date ON records(kind, date, rid);
CREATE INDEX records_kind_id ON records(kind, id);
CREATE INDEX records_recovered ON records(kind, chat_id, date, rid) WHERE deleted = 1;
CREATE VIRTUAL TABLE records_fts USING fts5(
    title, text, chat, sender, content='records', content_rowid='rid', tokenize='trigram');
INSERT INTO records_fts(rowid, title, text, chat, sender) SELECT rid, title, text, chat, sender FROM records;
CREATE VIRTUAL TABLE records_cjk USING fts5(words, content='', tokenize='unicode61');
INSERT INTO records_cjk(rowid, words)
    SELECT rid, words FROM (
        SELECT rid, cjk_bigrams(coalesce(title, '') || ' ' || coalesce(text, '') || ' ' || coalesce(chat, '')
                                || ' ' || coalesce(sender, '')) AS words FROM records)
    WHERE words != '';
"""

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}")


def cjk_bigrams(text: str | None) -> str:
    """Overlapping two-character words of the Chinese/Japanese/Korean runs in ``text``, space-separated.

    The trigram index cannot find a two-character word such as 红包 ("red packet"),
    the most common length of a Chinese word; indexing these pairs can.
    """
    if not text:
        return ""
    pairs: list[str] = []
    for run in _CJK_RUN.findall(text):
        pairs.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(dict.fromkeys(pairs))



def media_relpath(sha256: str) -> str:
    """Where a media file lives inside a case folder."""
    return f"{MEDIA_DIR}/{sha256[:2]}/{sha256}"


class MediaStore:
    """Content-addressed media files of a case being written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, tuple[int, str, str]] = {}

    def add_stream(self, stream: BinaryIO, name: str, mime: str) -> tuple[str, int]:
        """Copy a stream into the store; returns (sha256, size). Identical content is kept once."""
        digest = hashlib.sha256()
        size = 0
        tmp_dir = self.root / MEDIA_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            sha = digest.hexdigest()
            target = self.root / media_relpath(sha)
            if target.exists():
                os.unlink(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.known.setdefault(sha, (size, mime, name))
        return sha, size

    def add_bytes(self, data: bytes, name: str, mime: str) -> tuple[str, int]:
        """Store bytes (small files: thumbnails, converted previews)."""
        import io

        return self.add_stream(io.BytesIO(data), name, mime)


class CaseWriter:
    """Writes a new case: records are batched, indexes and FTS built once at the end.

    The database is written as ``case.db.part`` and renamed on :meth:`close`; an
    interrupted scan never leaves a case that looks complete.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.final = folder / CASE_DB
        self.part = folder / (CASE_DB + ".part")
        if self.part.exists():
            self.part.unlink()
        self.conn = sqlite3.connect(self.part)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.executescript(SCHEMA)
        self.media = MediaStore(folder)
        self._batch: list[tuple[Any, ...]] = []
        self._seq = 0
        self.set_meta("schema_version", SCHEMA_VERSION)

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under a key (source info, scan options, timings)."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value, default=str)))

    def set_source(self, info: SourceInfo, name: str, location: str | None) -> None:
        """Remember what was scanned (shown on the report's first page)."""
        self.set_meta("source", {"name": name, "location": location, **asdict(info)})

    def add(self, record: Record) -> None:
        """Queue one record for insertion."""
        sender = getattr(record, "sender", None)
        chat = getattr(record, "chat", None)
        self._batch.append(
            (
                record.KIND,
                record.id,
                iso(record.date),
                int(record.deleted),
                record.source,
                record.chat_key(),
                chat if isinstance(chat, str) else None,
                sender if isinstance(sender, str) else None,
                record.record_label(),
                record.search_text(),
                record.to_json_bytes().decode("utf-8"),
            )
        )
        if len(self._batch) >= BATCH:
            self.flush()

    def add_many(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def flush(self) -> None:
        if self._batch:
            self.conn.executemany(
                "INSERT INTO records(kind, id, date, deleted, source, chat_id, chat, sender, title, text, data)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                self._batch,
            )
            self._batch.clear()

    def set_status(self, status: KindStatus, view: str, formats: tuple[str, ...]) -> None:
        """Record what a kind found (or why it found nothing)."""
        self._seq += 1
        self.conn.execute(
            "INSERT OR REPLACE INTO kinds VALUES (?,?,?,?,?,?,?,?,?)",
            (
                status.kind,
                status.title,
                self._seq,
                status.live,
                status.deleted,
                status.reason,
                json.dumps(status.warnings, ensure_ascii=False),
                view,
                json.dumps(list(formats)),
            ),
        )

    def close(self) -> Path:
        """Build indexes and the full-text index, then move the database into place."""
        self.flush()
        self.conn.executemany(
            "INSERT OR IGNORE INTO media VALUES (?,?,?,?)",
            [(sha, size, mime, name) for sha, (size, mime, name) in self.media.known.items()],
        )
        self.conn.create_function("cjk_bigrams", 1, cjk_bigrams, deterministic=True)
        self.conn.executescript(INDEXES)
        self.conn.commit()
        self.conn.close()
        os.replace(self.part, self.final)
        return self.final

    def abort(self) -> None:
        """Drop a half-written case database."""
        with contextlib.suppress(Exception):
            self.conn.close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()


class CaseReader:
    """Read access to a finished case; every query streams its rows."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        db = self.folder / CASE_DB
        if self.folder.is_file() and self.folder.name == CASE_DB:
            db, self.folder = self.folder, self.folder.parent
        if not db.is_file():
            raise ReclaimError("not a reclaim case (no case.db; run 'reclaim scan' first)", self.folder)
        try:
            self.conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
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
    ) -> tuple[str, list[Any]]:
        clauses, args = [], []
        if kind:
            clauses.append("kind = ?")
            args.append(kind)
        if chat_id is not None:
            clauses.append("chat_id = ?")
            args.append(chat_id)
        if chat:
            clauses.append("(chat = ? COLLATE NOCASE OR chat_id = ?)")
            args.extend([chat, chat])
        if since:
            clauses.append("date >= ?")
            args.append(since)
        if until:
            clauses.append("date < ?")
            args.append(until)
        if deleted is not None:
            clauses.append("deleted = ?")
            args.append(int(deleted))
        if sender:
            clauses.append("sender LIKE ?")
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
        """Records as dicts (their JSON form), streamed in date order (or ``order='rid'``)."""
        where, args = self._where(kind, chat_id, chat, since, until, deleted, sender)
        order_sql = "date IS NULL, date, rid" if order == "date" else "rid"
        sql = f"SELECT data, rid FROM records{where} ORDER BY {order_sql}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args.extend([limit, offset])
        cursor = self.conn.execute(sql, args)
        while rows := cursor.fetchmany(1000):
            for row in rows:
                item = json.loads(row[0])
                item["_rid"] = row[1]
                yield item

    def count(self, kind: str | None = None, **filters: Any) -> int:
        where, args = self._where(kind, **filters)
        return int(self.conn.execute(f"SELECT count(*) FROM records{where}", args).fetchone()[0])

    def record(self, rid: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT data, rid FROM records WHERE rid=?", (rid,)).fetchone()
        if row is None:
            return None
        item = json.loads(row[0])
        item["_rid"] = row[1]
        return item

    def chats(self, kind: str) -> list[dict[str, Any]]:
        """Conversations of a chat-like kind: id, name, message counts and first/last dates."""
        rows = self.conn.execute(
            "SELECT chat_id, max(chat) AS chat, count(*) AS messages, sum(deleted) AS deleted,"
            " min(date) AS first, max(date) AS last FROM records WHERE kind=? GROUP BY chat_id"
            " ORDER BY last DESC",
            (kind,),
        ).fetchall()
        return [dict(r) for r in rows]

    def search(
        self,
        query: str,
        *,
        kinds: list[str] | None = None,
        limit: int = 100,
        offset: int = 0,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Full-text search across every kind (substring match, any language).

        Words of three characters or more use the trigram FTS5 index, two-character
        Chinese, Japanese or Korean words the bigram index; anything shorter falls back
        to a substring scan.
        """
        terms = [t for t in query.split() if t]
        if not terms:
            return
        where, args = self._where(None, **filters)
        where = where.replace(" WHERE ", " AND ", 1) if where else ""
        if kinds:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        conditions, params = [], []
        for term in terms:
            quoted = '"' + term.replace('"', '""') + '"'
            if len(term) >= 3:
                conditions.append("rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
                params.append(quoted)
            elif len(term) == 2 and cjk_bigrams(term) == term and self._has_cjk_index():
                conditions.append("rid IN (SELECT rowid FROM records_cjk WHERE records_cjk MATCH ?)")
                params.append(quoted)
            else:
                conditions.append("(text LIKE ? OR title LIKE ? OR chat LIKE ? OR sender LIKE ?)")
                params.extend([f"%{term}%"] * 4)
        # Pick the page of matching ids by date first, then read only those records' data.
        chosen = (
            f"SELECT rid FROM records WHERE {' AND '.join(conditions)}{where}"
            " ORDER BY date DESC, rid DESC LIMIT ? OFFSET ?"
        )
        sql = f"SELECT data, rid FROM records WHERE rid IN ({chosen}) ORDER BY date DESC, rid DESC"
        for row in self.conn.execute(sql, [*params, *args, limit, offset]):
            item = json.loads(row[0])
            item["_rid"] = row[1]
            yield item

    def _has_cjk_index(self) -> bool:
        if not hasattr(self, "_cjk"):
            row = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='records_cjk'").fetchone()
            self._cjk = row is not None
        return self._cjk

    def media_path(self, sha256: str) -> Path | None:
        """The local file of a stored media item (``None`` if unknown)."""
        if not sha256 or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.folder / media_relpath(sha256)
        return path if path.is_file() else None

    def media_info(self, sha256: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM media WHERE sha256=?", (sha256,)).fetchone()
        return dict(row) if row else None


def remove_case(folder: Path) -> None:
    """Delete a case folder reclaim wrote (used when re-scanning into the same folder)."""
    if (folder / CASE_DB).exists():
        (folder / CASE_DB).unlink()
    shutil.rmtree(folder / MEDIA_DIR, ignore_errors=True)
