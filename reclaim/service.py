"""Service functions the faces share (the web page first, the CLI where it fits).

Everything the web page does that is more than moving JSON around lives here, so
no behaviour exists only behind HTTP: listing the backups on this computer,
reading a case in pages that stay fast on a million records (keyset pagination
on ``(date, rid)``), checking a "recover to" folder, and exporting a selection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reclaim.case.store import CaseReader
from reclaim.errors import ReclaimError
from reclaim.output import is_within

#: Page sizes are clamped to this range (a page is one screen or two of items).
MIN_PAGE, MAX_PAGE = 1, 500


# -- backups on this computer -------------------------------------------------------------


def folder_size(path: Path, *, limit_files: int = 2_000_000) -> int:
    """Total size in bytes of the files under ``path`` (a backup folder), without following links."""
    total = 0
    seen = 0
    stack = [path]
    while stack and seen < limit_files:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for item in it:
                    seen += 1
                    try:
                        if item.is_dir(follow_symlinks=False):
                            stack.append(Path(item.path))
                        elif item.is_file(follow_symlinks=False):
                            total += item.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def unreadable_backup_dirs(dirs: list[Path] | None = None) -> list[str]:
    """Where backups may be that this process may not look (with what to do about it)."""
    from reclaim.errors import PERMISSION_HINT
    from reclaim.sources.discovery import unreadable_dirs

    return [f"cannot look inside {folder} (permission denied): {PERMISSION_HINT}" for folder in unreadable_dirs(dirs)]


def list_backups(dirs: list[Path] | None = None) -> list[dict[str, Any]]:
    """The backups found on this computer (``RECLAIM_BACKUP_DIRS`` first), newest first, with their size."""
    from reclaim.sources.discovery import find_backups

    found = []
    for summary in find_backups(dirs):
        item = summary.to_json()
        item["name"] = summary.device_name or summary.path.name
        item["size"] = folder_size(summary.path)
        found.append(item)
    found.sort(key=lambda b: str(b.get("date") or ""), reverse=True)
    return found


def find_case_folder(path: Path) -> Path | None:
    """The case folder ``path`` is or holds: a folder with ``case.db``, or a ``reclaim recover``
    output folder with ``case/case.db``; ``None`` when it is neither (a backup, an extraction ...)."""
    from reclaim.case.store import CASE_DB

    path = Path(path).expanduser()
    if path.is_file() and path.name == CASE_DB:
        return path.parent.resolve()
    for folder in (path, path / "case"):
        if (folder / CASE_DB).is_file():
            return folder.resolve()
    return None


# -- reading a case in pages --------------------------------------------------------------


def encode_cursor(date: str | None, rid: int) -> str:
    """A page cursor: where the next page starts (``"<rid>:<date>"``, date empty when unknown)."""
    return f"{rid}:{date or ''}"


def decode_cursor(cursor: str) -> tuple[str | None, int]:
    """The (date, rid) of a cursor made by :func:`encode_cursor`."""
    rid, sep, date = cursor.partition(":")
    if not sep or not rid.isdigit():
        raise ReclaimError("bad page cursor")
    return (date or None), int(rid)


def clamp_limit(limit: int) -> int:
    """A page size within the allowed range."""
    return max(MIN_PAGE, min(MAX_PAGE, int(limit)))


@dataclass
class Page:
    """One page of records and the cursors to the pages beside it (``None``: nothing more that way)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    older: str | None = None
    newer: str | None = None


def _filters(kind: str, chat_id: str | None, deleted: bool | None) -> tuple[list[str], list[Any]]:
    clauses, args = ["kind = ?"], [kind]
    if chat_id is not None:
        clauses.append("chat_id = ?")
        args.append(chat_id)
    if deleted is not None:
        clauses.append("deleted = ?")
        args.append(int(deleted))
    return clauses, args


def _fetch(conn: sqlite3.Connection, clauses: list[str], args: list[Any], order: str, limit: int) -> list[tuple]:
    sql = f"SELECT data, rid, date FROM records WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
    return conn.execute(sql, [*args, limit]).fetchall()


def page_records(
    case: CaseReader,
    kind: str,
    *,
    chat_id: str | None = None,
    deleted: bool | None = None,
    before: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """One page of a kind's records, newest first (or, with ``after``, the ones just newer, oldest first).

    Pages are keyset-paginated on ``(date, rid)`` through the case's indexes, so the
    thousandth page costs what the first does. Records without a date sort as the
    oldest. ``before``/``after`` are cursors from an earlier page.
    """
    limit = clamp_limit(limit)
    base, args = _filters(kind, chat_id, deleted)
    rows: list[tuple] = []
    if after is None:
        # Newest first: dated records below the cursor, then the undated ones.
        date, rid = decode_cursor(before) if before else (None, None)
        if before is None or date is not None:
            clauses = [*base, "date IS NOT NULL"]
            extra: list[Any] = []
            if date is not None:
                clauses.append("(date, rid) < (?, ?)")
                extra = [date, rid]
            rows = _fetch(case.conn, clauses, [*args, *extra], "date DESC, rid DESC", limit + 1)
        if len(rows) <= limit:
            clauses = [*base, "date IS NULL"]
            extra = []
            if before is not None and date is None:
                clauses.append("rid < ?")
                extra = [rid]
            rows += _fetch(case.conn, clauses, [*args, *extra], "rid DESC", limit + 1 - len(rows))
        more_older = len(rows) > limit
        rows = rows[:limit]
        page = Page(items=[_item(r, kind) for r in rows])
        if rows and more_older:
            page.older = encode_cursor(rows[-1][2], rows[-1][1])
        if rows and before is not None:
            page.newer = encode_cursor(rows[0][2], rows[0][1])
        return page
    # Oldest first from the cursor: remaining undated records, then dated ones.
    date, rid = decode_cursor(after)
    if date is None:
        rows = _fetch(case.conn, [*base, "date IS NULL", "rid > ?"], [*args, rid], "rid", limit + 1)
        if len(rows) <= limit:
            rows += _fetch(case.conn, [*base, "date IS NOT NULL"], args, "date, rid", limit + 1 - len(rows))
    else:
        rows = _fetch(case.conn, [*base, "(date, rid) > (?, ?)"], [*args, date, rid], "date, rid", limit + 1)
    more_newer = len(rows) > limit
    rows = rows[:limit]
    page = Page(items=[_item(r, kind) for r in rows])
    if rows and more_newer:
        page.newer = encode_cursor(rows[-1][2], rows[-1][1])
    if rows:
        page.older = encode_cursor(rows[0][2], rows[0][1])
    return page


def _item(row: tuple, kind: str | None = None) -> dict[str, Any]:
    item = json.loads(row[0])
    item["_rid"] = row[1]
    if kind is not None:
        item["_kind"] = kind
    return item


def with_kinds(case: CaseReader, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``_kind`` (the case's kind of each record) to records from the case.

    A record's own JSON may carry a field named ``kind`` with another meaning (a
    photo's "photo"/"video"), so the page uses ``_kind`` to know where a record belongs.
    """
    rids = [item["_rid"] for item in items if "_rid" in item]
    if not rids:
        return items
    kinds = kinds_of(case, rids)
    for item in items:
        if item.get("_rid") in kinds:
            item["_kind"] = kinds[item["_rid"]]
    return items


def kinds_of(case: CaseReader, rids: Iterable[int]) -> dict[int, str]:
    """The case's kind of each record id (``rid -> kind``), looked up 500 at a time."""
    wanted = sorted({int(r) for r in rids})
    kinds: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        sql = f"SELECT rid, kind FROM records WHERE rid IN ({','.join('?' * len(chunk))})"
        kinds.update(case.conn.execute(sql, chunk).fetchall())
    return kinds


def page_around(case: CaseReader, rid: int, *, limit: int = 50) -> Page | None:
    """The records around one record of its conversation (or kind), oldest first, that record included.

    Used to open a search hit in context; ``older``/``newer`` continue either way.
    """
    row = case.conn.execute("SELECT kind, chat_id, date FROM records WHERE rid=?", (rid,)).fetchone()
    if row is None:
        return None
    kind, chat_id, date = row
    half = max(1, clamp_limit(limit) // 2)
    cursor = encode_cursor(date, rid)
    older = page_records(case, kind, chat_id=chat_id, before=cursor, limit=half)
    newer = page_records(case, kind, chat_id=chat_id, after=cursor, limit=half)
    record = case.record(rid)
    assert record is not None
    record["_kind"] = kind
    return Page(items=[*reversed(older.items), record, *newer.items], older=older.older,
                newer=newer.newer)


def chat_summaries(case: CaseReader, kind: str) -> list[dict[str, Any]]:
    """A chat-like kind's conversations, latest first, each with how many of its files the source no longer held
    (``missing``)."""
    chats = case.chats(kind)
    missing = case.missing_files_by_chat(kind)
    for chat in chats:
        chat["missing"] = missing.get(chat.get("chat_id"), 0)
        chat["chat"] = chat.get("chat") or chat.get("chat_id") or "(no name)"
        chat["deleted"] = int(chat.get("deleted") or 0)
    return chats


def last_message(case: CaseReader, kind: str, chat_id: str | None) -> dict[str, Any] | None:
    """The newest record of one conversation (for the chat list's preview line)."""
    row = case.conn.execute(
        "SELECT data, rid, date FROM records WHERE kind=? AND chat_id IS ? AND date IS NOT NULL"
        " ORDER BY date DESC, rid DESC LIMIT 1",
        (kind, chat_id),
    ).fetchone()
    return _item(row) if row else None


# -- links and QR codes -------------------------------------------------------------------

#: Most serious first.
SEVERITY_ORDER = {"match": 0, "danger": 1, "caution": 2, "ok": 3}
#: What "only dangerous" keeps: links that match an indicator or have a danger warning.
DANGEROUS = frozenset({"match", "danger"})


def check_indicator_file(path: str) -> Path:
    """An indicator file typed by the user, checked: an absolute path to a readable file."""
    text = (path or "").strip()
    if not text or "\x00" in text:
        raise ReclaimError("type where the indicator file is (a STIX 2 bundle or a list of domains)")
    location = Path(text).expanduser()
    if not location.is_absolute():
        raise ReclaimError("type the full path of the indicator file (for example /home/you/iocs.stix2)")
    if not location.is_file():
        raise ReclaimError("there is no file here", location)
    return location.resolve()


def indicator_count(path: Path) -> int:
    """How many usable indicators (domains, URLs, IP addresses) a file holds; raises when none."""
    from reclaim.links.iocs import load_indicators

    count = len(load_indicators([path]))
    if not count:
        raise ReclaimError("no domains, URLs or IP addresses found in this file", path)
    return count


def link_items(case: CaseReader, report: Any) -> list[dict[str, Any]]:
    """A links report's items as JSON for the page: most serious first, newest first within a level.

    Each item also carries the record's id in the case (``rid``), the case's kind of that
    record (``case_kind``, to open it in its conversation) and, for a code, the whole
    media reference of the picture it was found in (``image_ref``, for its thumbnail).
    """
    kinds = kinds_of(case, [i.rid for i in report.items if i.rid is not None])
    out = []
    for item in report.items:
        data = item.to_json()
        data["rid"] = item.rid
        data["case_kind"] = kinds.get(item.rid) if item.rid is not None else None
        data["image_ref"] = dict(item.image) if item.image else None
        out.append(data)
    out.sort(key=lambda d: d["date"] or "", reverse=True)
    out.sort(key=lambda d: SEVERITY_ORDER.get(d["severity"], 9))
    return out


# -- locked notes -------------------------------------------------------------------------


#: The start of ``unlock_error`` on notes locked with the iPhone passcode: no note password opens them.
PASSCODE_LOCK = "locked with the iPhone passcode"


def locked_notes(case: CaseReader) -> dict[str, Any]:
    """How many notes are still locked, and their hints.

    ``locked`` counts the notes a notes password may open; ``passcode`` counts those locked with
    the iPhone passcode (iOS 16+), which no password typed here can open, so the page must not
    ask for one on their account.
    """
    if case.kind("notes") is None:
        return {"locked": 0, "hints": [], "wrong": 0, "passcode": 0}
    rows = case.conn.execute(
        "SELECT json_extract(data, '$.password_hint'), json_extract(data, '$.unlock_error') FROM records"
        " WHERE kind = 'notes' AND json_extract(data, '$.locked') AND NOT coalesce(json_extract(data, '$.unlocked'), 0)"
    )
    count, wrong, passcode, hints = 0, 0, 0, []
    for hint, error in rows:
        if str(error or "").startswith(PASSCODE_LOCK):
            passcode += 1
            continue
        count += 1
        wrong += int(str(error or "").startswith("wrong password"))
        if hint and hint not in hints:
            hints.append(hint)
    return {"locked": count, "hints": hints, "wrong": wrong, "passcode": passcode}


# -- recovering to the computer -----------------------------------------------------------


def check_output_folder(folder: str, *, forbidden: Iterable[Path | None] = ()) -> Path:
    """The folder a user typed to recover into, checked: absolute, not inside the source or the case.

    The folder is created if its parent exists. Raises :class:`ReclaimError` with a
    sentence the user can act on.
    """
    text = (folder or "").strip()
    if not text:
        raise ReclaimError("type the folder to recover into")
    if "\x00" in text:
        raise ReclaimError("that folder name is not valid")
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise ReclaimError("type the full path of the folder (for example /home/you/Recovered)")
    path = path.resolve()
    for place in forbidden:
        if place is None:
            continue
        if is_within(path, Path(place).resolve()):
            raise ReclaimError("choose a folder outside the backup and outside reclaim's working folder", path)
    if path.exists() and not path.is_dir():
        raise ReclaimError("this is a file, not a folder", path)
    if not path.exists():
        if not path.parent.is_dir():
            raise ReclaimError("its parent folder does not exist", path)
        path.mkdir()
    return path


def selection_from(data: dict[str, Any]) -> Any:
    """An export :class:`~reclaim.export.Selection` from ``{kind: {"rids": [...], "chats": [...]}}``."""
    from reclaim.export import Selection

    selection = Selection()
    for kind, chosen in (data or {}).items():
        if not isinstance(kind, str) or not isinstance(chosen, dict):
            raise ReclaimError("bad selection")
        rids = {int(r) for r in chosen.get("rids") or [] if isinstance(r, int) and not isinstance(r, bool)}
        chats = {str(c) for c in chosen.get("chats") or [] if isinstance(c, str)}
        if rids:
            selection.rids[kind] = rids
        if chats:
            selection.chats[kind] = chats
    return selection


def recover_selection(
    case_dir: Path,
    out: Path,
    *,
    selection: dict[str, Any] | None,
    formats: list[str] | None = None,
) -> dict[str, Any]:
    """Export the chosen records (all of the case when ``selection`` is empty) into ``out``.

    Returns what was written: the folder, the number of files, the report page and
    the manifest, for the page to show.
    """
    from reclaim.export import export_case

    chosen = selection_from(selection or {})
    kinds = sorted(chosen.kinds()) or None
    _alias_record_kinds(case_dir, chosen)
    result = export_case(case_dir, out, kinds=kinds, formats=formats or None,
                         selection=chosen if chosen.kinds() else None)
    manifest = out / "manifest.sha256"
    return {
        "folder": str(out),
        "files": len(result.files),
        "kinds": result.kinds,
        "index": str(result.index) if result.index else None,
        "manifest": str(manifest) if manifest.exists() else None,
    }


def _alias_record_kinds(case_dir: Path, chosen: Any) -> None:
    """Also file chosen records under the ``kind`` their own JSON carries, when it differs.

    The exporter matches a record to the selection by ``record["kind"]``; for kinds whose
    records have a field named ``kind`` (photos: "photo"/"video"), that is not the case's
    kind, and a selection filed only under the case's kind would match nothing.
    """
    own_kind = "json_extract(data, '$.kind')"
    with CaseReader(case_dir) as case:
        for kind in list(chosen.kinds()):
            found: set[Any] = set()
            rids = sorted(chosen.rids.get(kind, ()))
            for start in range(0, len(rids), 500):
                chunk = rids[start:start + 500]
                found.update(v for (v,) in case.conn.execute(
                    f"SELECT DISTINCT {own_kind} FROM records WHERE rid IN ({','.join('?' * len(chunk))})", chunk))
            if kind in chosen.chats:
                found.update(v for (v,) in case.conn.execute(
                    f"SELECT {own_kind} FROM records WHERE kind=? LIMIT 100", (kind,)))
            for own in found:
                if isinstance(own, str) and own != kind:
                    if kind in chosen.rids:
                        chosen.rids.setdefault(own, set()).update(chosen.rids[kind])
                    if kind in chosen.chats:
                        chosen.chats.setdefault(own, set()).update(chosen.chats[kind])


def zip_folder(folder: Path, target: Path) -> Path:
    """Pack a folder into a zip file (streamed, file by file)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target
