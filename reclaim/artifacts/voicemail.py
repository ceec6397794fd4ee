"""Visual voicemail: voicemail.db plus one AMR-NB audio file (and on iOS 10+ a transcript) per message.

``voicemail`` rows give the caller (``sender``), the Unix ``date``, the length in
seconds, and ``trashed_date`` (Apple time) when the user deleted the message — it
stays in the phone's "Deleted Messages" until purged, so it is reported as deleted
with ``Provenance(area="app")``. Audio is ``Library/Voicemail/<ROWID>.amr``,
stored as it is with a WAV copy browsers can play; ``<ROWID>.transcript`` is a
plist with the transcription. Erased rows are carved from free space.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reclaim.artifacts._phone import ContactIndex
from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_unix_time,
    text_or_empty,
)
from reclaim.decoders.keyed_archive import KeyedArchiveError, load_plist
from reclaim.media.audio import wav_preview

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext

FOLDER = "Library/Voicemail"
#: ``flags`` bits: 1 = heard; 8 = deleted (3 is a new message, 67 an old one, 75 a deleted one).
FLAG_READ = 0x1
FLAG_DELETED = 0x8


@dataclass(kw_only=True)
class Voicemail(Record):
    """One voicemail message; ``date`` is when it was left (UTC)."""

    KIND = "voicemail"

    sender: str = ""  # contact name when known, else the number
    sender_id: str = ""  # the number as stored
    callback: str = ""
    receiver: str = ""
    account: str = ""
    duration: int = 0  # seconds
    heard: bool = False
    trashed_at: datetime | None = None
    expires: datetime | None = None
    transcript: str = ""
    transcript_confidence: float | None = None
    attachments: list[MediaRef] = field(default_factory=list)

    def record_label(self) -> str:
        return self.sender or self.sender_id or "Voicemail"


def _transcript(ctx: ScanContext, rowid: int) -> tuple[str, float | None]:
    entry = ctx.get("HomeDomain", f"{FOLDER}/{rowid}.transcript")
    if entry is None or not entry.is_file or entry.size > 1 << 20:
        return "", None
    try:
        data = load_plist(ctx.read_bytes(entry))
    except KeyedArchiveError:  # (damaged: plistlib raises several types, an XML one cut short ExpatError)
        ctx.warn(f"HomeDomain/{FOLDER}/{rowid}.transcript: not a readable plist")
        return "", None
    if not isinstance(data, dict):
        return "", None
    text = data.get("transcriptionString") or data.get("transcription") or ""
    confidence = data.get("confidence")
    return (text if isinstance(text, str) else ""), (float(confidence) if isinstance(confidence, int | float)
                                                      else None)


class VoicemailArtifact(Artifact):
    kind = "voicemail"
    title = "Voicemail"
    record = Voicemail
    files = (FileSpec("HomeDomain", f"{FOLDER}/voicemail.db"),)
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[Voicemail]:
        contacts = ContactIndex.load(ctx)
        for db in self.databases(ctx, "voicemail", "date"):
            accounts = {}
            if db.has("map", "label") and db.has("map", "account"):
                accounts = {r[0]: r[1] or "" for r in db.rows("SELECT label, account FROM map")}
            cols = ", ".join(db.col("voicemail", c) for c in (
                "ROWID", "remote_uid", "date", "sender", "callback_num", "duration", "expiration",
                "trashed_date", "flags", "receiver", "label"))
            seen: set[object] = set()
            for row in db.rows(f"SELECT {cols} FROM voicemail ORDER BY date"):
                seen.update(k for k in (row["ROWID"], ("uid", row["remote_uid"])) if k is not None)
                yield self._record(ctx, db, dict(row), row["ROWID"], contacts, accounts)
            if ctx.options.recover_deleted:
                yield from self._carved(ctx, db, seen, contacts, accounts)

    def _record(self, ctx: ScanContext, db: Database, row: dict[str, Any], rowid: int | None,
                contacts: ContactIndex, accounts: dict[Any, str]) -> Voicemail:
        trashed = from_apple_time(row.get("trashed_date")) if isinstance(row.get("trashed_date"), int | float) else None
        number = text_or_empty(row.get("sender"))
        text, confidence = _transcript(ctx, rowid) if rowid is not None else ("", None)
        audio = []
        if rowid is not None:
            origin = f"HomeDomain/{FOLDER}/{rowid}.amr"
            audio.append(ctx.media(ctx.get("HomeDomain", f"{FOLDER}/{rowid}.amr"), name=f"{rowid}.amr",
                                   mime="audio/amr", role="voice", origin=origin, preview=wav_preview))
        flags = row.get("flags") if isinstance(row.get("flags"), int) else 0
        deleted = trashed is not None or bool(flags & FLAG_DELETED)
        return Voicemail(
            id=f"voicemail:{rowid}",
            date=from_unix_time(row.get("date")),
            source=db.source,
            deleted=deleted,
            provenance=Provenance(area="app") if deleted else None,
            sender=contacts.display(number) if number else "",
            sender_id=number or "",
            callback=text_or_empty(row.get("callback_num")),
            receiver=text_or_empty(row.get("receiver")),
            account=accounts.get(row.get("label"), ""),
            duration=int(row.get("duration") or 0) if isinstance(row.get("duration"), int | float) else 0,
            heard=bool(flags & FLAG_READ),
            trashed_at=trashed,
            expires=from_unix_time(row.get("expiration")) if isinstance(row.get("expiration"), int | float) else None,
            transcript=text,
            transcript_confidence=confidence,
            attachments=audio,
        )

    def _carved(self, ctx: ScanContext, db: Database, seen: set[object], contacts: ContactIndex,
                accounts: dict[Any, str]) -> Iterator[Voicemail]:
        for rec in db.carve(tables=["voicemail", "deleted"]):
            values = rec.values
            keys = {k for k in (rec.rowid, ("uid", values.get("remote_uid"))) if k is not None and k != ("uid", None)}
            if keys & seen or not isinstance(values.get("date"), int) or from_unix_time(values["date"]) is None:
                continue
            seen.update(keys)
            # The audio of an erased row may still be there under its ROWID (when the carver recovered it).
            item = self._record(ctx, db, values, rec.rowid, contacts, accounts)
            item.id = carved_id("voicemail", rec)
            item.deleted, item.provenance = True, Provenance.of(rec)
            yield item
