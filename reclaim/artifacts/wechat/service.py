"""What ``reclaim wechat ...`` does, as functions the CLI and the web page share.

Every command scans the WeChat kinds into a case first (the same pipeline as
``reclaim recover``) and then reads only that case: listing chats, exporting
transcripts through the shared exporters, saving photos and videos.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reclaim.case.context import ScanOptions
from reclaim.case.scan import ScanResult, scan
from reclaim.case.store import CaseReader, remove_case
from reclaim.errors import ReclaimError
from reclaim.media import extension_for
from reclaim.output import atomic_writer, safe_join
from reclaim.vfs import VirtualFS

KINDS = ["wechat", "wechat-contacts"]
#: Formats ``reclaim wechat export`` offers, mapped to the shared exporters' format names.
EXPORT_FORMATS = {"html": "html", "txt": "txt", "csv": "csv", "json": "json"}


def scan_wechat(fs: VirtualFS, case: Path, options: ScanOptions | None = None, progress: Any = None) -> ScanResult:
    """Scan only the WeChat kinds of a source into a (new) case folder."""
    remove_case(case)
    return scan(fs, case, kinds=KINDS, options=options, progress=progress)


def chat_kind(chat_id: str) -> str:
    """``group``, ``official`` or ``1:1`` from a WeChat chat id (``<account>:<username>``)."""
    username = chat_id.split(":", 1)[-1]
    if username.endswith(("@chatroom", "@im.chatroom")):
        return "group"
    if username.startswith("gh_"):
        return "official"
    return "1:1"


def accounts(case: CaseReader) -> dict[str, str]:
    """Account id -> display name."""
    return {r["account"]: r["name"] for r in case.records("wechat-contacts") if r.get("category") == "account"}


def list_chats(case: CaseReader) -> list[dict[str, Any]]:
    """Every conversation: account, name, type, message counts, files no longer on the phone, first and last dates
    (newest first)."""
    names = accounts(case)
    missing = case.missing_files_by_chat("wechat")
    out = []
    for chat in case.chats("wechat"):
        account = str(chat["chat_id"]).split(":", 1)[0]
        out.append({"account": account, "account_name": names.get(account, account), "chat_id": chat["chat_id"],
                    "chat": chat["chat"], "type": chat_kind(chat["chat_id"]), "messages": chat["messages"],
                    "deleted": chat["deleted"] or 0, "missing_media": missing.get(chat["chat_id"], 0),
                    "first": chat["first"], "last": chat["last"]})
    return out


class FilteredCase:
    """A case limited to some chats and a start date; exporters read it like a :class:`CaseReader`."""

    def __init__(self, case: CaseReader, chat_ids: set[str] | None, since: str | None) -> None:
        self._case = case
        self.chat_ids = chat_ids
        self.since = since

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)

    def _ok(self, record: dict[str, Any]) -> bool:
        if record.get("kind") != "wechat":
            return True
        if self.chat_ids is not None and record.get("chat_id") not in self.chat_ids:
            return False
        return not self.since or (record.get("date") or "") >= self.since

    def records(self, kind: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        if self.since and kind == "wechat" and not filters.get("since"):
            filters["since"] = self.since
        for record in self._case.records(kind, **filters):
            if self._ok(record):
                yield record

    def count(self, kind: str | None = None, **filters: Any) -> int:
        return sum(1 for _ in self.records(kind, **filters))

    def chats(self, kind: str) -> list[dict[str, Any]]:
        chats = self._case.chats(kind)
        if kind == "wechat" and self.chat_ids is not None:
            chats = [c for c in chats if c["chat_id"] in self.chat_ids]
        return chats


def resolve_chats(case: CaseReader, wanted: list[str]) -> set[str]:
    """Chat ids matching names or ids the user typed (case-insensitive); an unknown one is an error."""
    chats = case.chats("wechat")
    found: set[str] = set()
    for item in wanted:
        low = item.casefold()
        hits = {c["chat_id"] for c in chats if low in (str(c["chat_id"]).casefold(), str(c["chat"]).casefold(),
                                                     str(c["chat_id"]).split(":", 1)[-1].casefold())}
        if not hits:
            known = ", ".join(sorted({str(c["chat"]) for c in chats})[:20])
            raise ReclaimError(f"no WeChat chat called {item!r} (chats: {known})")
        found |= hits
    return found


def parse_since(value: str | None) -> str | None:
    """A ``--since`` date (``YYYY-MM-DD`` or ISO 8601; local time unless it says otherwise) as case ISO UTC."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ReclaimError(f"--since: not a date: {value!r} (use YYYY-MM-DD)") from exc
    if when.tzinfo is None:
        when = when.astimezone()
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_wechat(case: CaseReader, out: Path, fmt: str, chat_ids: set[str] | None = None,
                  since: str | None = None) -> list[Path]:
    """Export WeChat conversations (all, or some chats from a date) with the shared exporters."""
    from reclaim.export import export_case, known_formats

    name = EXPORT_FORMATS.get(fmt)
    if name is None:
        raise ReclaimError(f"unknown format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
    if name not in known_formats():
        raise ReclaimError(f"the {fmt} exporter is not part of this version of reclaim")
    view = FilteredCase(case, chat_ids, since)
    kinds = ["wechat"] if fmt in ("txt",) else [k for k in KINDS if case.kind(k)]
    return export_case(view, out, kinds=kinds, formats=[name]).files  # type: ignore[arg-type]


@dataclass
class PhotoResult:
    """What ``wechat photos`` wrote."""

    written: list[Path]
    duplicates: int = 0
    missing: int = 0
    unsupported: int = 0


def _photo_refs(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    refs = [a for a in record.get("attachments") or [] if str(a.get("mime", "")).startswith(("image/", "video/"))]
    if record.get("type_name") == "video":
        videos = [a for a in refs if a.get("role") == "full" and not a.get("missing")]
        refs = videos or [a for a in refs if a.get("role") == "thumbnail"]
    elif record.get("type_name") not in ("image", "chat-history"):
        return
    yield from refs


def save_photos(case: CaseReader, out: Path) -> PhotoResult:
    """Every photo and video sent or received, best quality, named by chat and time, each content once.

    A ``wxgf`` picture is saved as the JPEG made from it during the scan (none made: counted as unsupported).
    """
    result = PhotoResult(written=[])
    names = accounts(case)
    several = len(names) > 1
    written: set[str] = set()
    for record in case.records("wechat"):
        for ref in _photo_refs(record):
            if ref.get("missing") or not ref.get("sha256"):
                result.missing += 1
                continue
            if ref.get("mime") == "image/x-wechat-wxgf":
                if not ref.get("preview"):
                    result.unsupported += 1
                    continue
                ref = {**ref, "sha256": ref["preview"], "mime": ref.get("preview_mime") or "image/jpeg"}  # its JPEG
            sha = ref["sha256"]
            if sha in written:
                result.duplicates += 1
                continue
            source = case.media_path(sha)
            if source is None:
                result.missing += 1
                continue
            when = datetime.fromisoformat(record["date"].replace("Z", "+00:00")) if record.get("date") else None
            stamp = when.astimezone().strftime("%Y-%m-%d %H.%M.%S") if when else "undated"
            ext = extension_for(ref.get("mime", "")) or os.path.splitext(ref.get("name", ""))[1] or ".jpg"
            suffix = "" if ref.get("role") in ("hd", "full", "") else f"_{ref['role']}"
            folder = f"{names.get(record['account'], record['account'])}/{record['chat']}" if several \
                else record["chat"]
            target = safe_join(out, folder, f"{stamp}_{record.get('local_id') or 0}{suffix}{ext}")
            n = 2
            while target.exists():
                target = target.with_name(f"{target.stem.split('~')[0]}~{n}{ext}")
                n += 1
            with open(source, "rb") as src, atomic_writer(target) as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    dst.write(chunk)
            if when is not None:
                os.utime(target, (when.timestamp(), when.timestamp()))
            written.add(sha)
            result.written.append(target)
    return result
