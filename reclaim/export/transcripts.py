"""Plain-text transcripts: one ``<chat name>.txt`` per conversation, readable anywhere.

Works for every conversation-like kind that follows the record convention
(``chat_id``, ``chat``, ``sender``, ``direction``, ``text``, ``attachments``, optional
``card``/``quote``/``status``/``reactions``): Messages, WhatsApp, WeChat. Lines look
like ``[2024-03-01 14:02] Sam Carter: see you at 8``, in the local time of the
computer doing the export; the UTC offsets used are written at the top of each file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO

from reclaim.case.store import CaseReader
from reclaim.export.clock import LocalClock
from reclaim.output import atomic_writer, safe_join, title_component

FORMAT = "txt"
KINDS = ("messages", "whatsapp", "wechat")


def line(record: dict[str, Any], tz: tzinfo | None = None, *, clock: LocalClock | None = None) -> str:
    """One message as transcript text (continuation lines indented), its time in ``tz`` (default: the
    machine's; a transcript passes its ``clock``, which converts dates quickly)."""
    shown = (clock or LocalClock(tz)).local(record.get("date"))
    stamp = f"[{shown}]" if shown else "[date unknown]"
    parts: list[str] = []
    if record.get("deleted"):
        parts.append("(deleted)")
    text = str(record.get("text") or "")
    if record.get("status") == "unsent" and not text:
        text = "(unsent)"
    elif record.get("status"):
        text = f"{text} ({record['status']})" if text else f"({record['status']})"
    if text:
        parts.append(text)
    card = record.get("card")
    if card:
        what = " ".join(str(card.get(k)) for k in ("title", "url") if card.get(k) and card.get(k) != text)
        if what:
            parts.append(f"<{card.get('type') or 'card'}: {what}>")
    for attachment in record.get("attachments") or []:
        missing = " (missing)" if attachment.get("missing") else ""
        parts.append(f"<attachment: {attachment.get('name') or 'file'}{missing}>")
    body = " ".join(parts)
    if record.get("direction") == "system":
        head = f"{stamp} — {body}"
    else:
        head = f"{stamp} {record.get('sender') or record.get('sender_id') or 'Unknown'}: {body}"
    extra = []
    quote = record.get("quote")
    if quote:
        extra.append(f"↪ replying to {quote.get('sender') or 'a message'}: “{quote.get('text') or ''}”")
    reactions = record.get("reactions") or []
    if reactions:
        extra.append("reactions: " + ", ".join(f"{r.get('reaction') or r.get('name')} {r.get('sender')}"
                                               for r in reactions))
    lines = head.split("\n") + extra
    return lines[0] + "".join("\n    " + more for more in lines[1:]) + "\n"


def write_transcript(case: CaseReader, kind: str, chat: dict[str, Any], handle: BinaryIO,
                     tz: tzinfo | None = None) -> int:
    """Write one conversation; returns the number of messages written."""
    # Looked up on the class: a view of a selection forwards other attributes to the whole case.
    if getattr(type(case), "chat_dates", None) is not None:
        dates: Iterator[str | None] = case.chat_dates(kind, chat["chat_id"])
    else:
        dates = (r.get("date") for r in case.records(kind, chat_id=chat["chat_id"]))
    clock = LocalClock(tz)
    offsets = sorted({offset for date in dates if (offset := clock.offset(date)) is not None})
    title = chat.get("chat") or chat.get("chat_id") or "Conversation"
    header = [f"{title}", f"{kind} — {chat.get('messages', 0)} messages"
              + (f", {chat['deleted']} recovered after deletion" if chat.get("deleted") else ""),
              f"Times are local time ({' / '.join(offsets) or 'UTC'}).", "", ""]
    handle.write("\n".join(header).encode("utf-8"))
    count = 0
    for record in case.records(kind, chat_id=chat["chat_id"]):
        handle.write(line(record, clock=clock).encode("utf-8"))
        count += 1
    return count


def export(case: CaseReader, kind: str, out: Path, tz: tzinfo | None = None) -> list[Path]:
    """One ``<chat name>.txt`` per conversation of ``kind`` under ``out``."""
    written: list[Path] = []
    used: set[str] = set()
    for chat in case.chats(kind):
        if chat.get("chat_id") is None:
            continue
        base = title_component(str(chat.get("chat") or chat.get("chat_id") or ""), "Conversation")
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base} ({n})"
        used.add(name.lower())
        target = safe_join(out, f"{name}.txt")
        with atomic_writer(target) as handle:
            write_transcript(case, kind, chat, handle, tz)
        written.append(target)
    return written
