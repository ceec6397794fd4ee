"""Voice Memos: CloudRecordings.db (iOS 12+) or Recordings.db (older) and the audio files beside it.

Since iOS 17 the recordings live in the ``group.com.apple.VoiceMemos.shared`` app
group (``Recordings/``); before, in the media partition (``Media/Recordings/``).
Each ``ZCLOUDRECORDING`` row gives the title (``ZENCRYPTEDTITLE`` — plain text
despite its name — or ``ZCUSTOMLABEL``), the Apple-epoch date, the duration and
the audio file (``ZPATH``, a file name or an old absolute path). A row with an
``ZEVICTIONDATE`` is in "Recently Deleted". Audio files no row points to are
reported too (their row was erased), and erased rows are carved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    carved_id,
    from_apple_time_safe,
    text_or_empty,
)
from reclaim.media.audio import wav_preview

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext
    from reclaim.vfs import Entry

GROUP = "AppDomainGroup-group.com.apple.VoiceMemos.shared"
#: (domain, folder holding the database and the audio)
FOLDERS = ((GROUP, "Recordings"), ("MediaDomain", "Media/Recordings"), ("MediaDomain", "Recordings"))
AUDIO_SUFFIXES = (".m4a", ".qta", ".caf", ".wav")


@dataclass(kw_only=True)
class VoiceMemo(Record):
    """One recording; ``date`` is when it was recorded (UTC), ``duration`` in seconds."""

    KIND = "voice-memos"

    title: str = ""
    duration: float = 0.0
    folder: str = ""
    file: str = ""
    orphan: bool = False  # an audio file with no database row (the row was erased)
    attachments: list[MediaRef] = field(default_factory=list)


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class VoiceMemosArtifact(Artifact):
    kind = "voice-memos"
    title = "Voice memos"
    record = VoiceMemo
    files = tuple(FileSpec(domain, f"{folder}/{db}") for domain, folder in FOLDERS
                  for db in ("CloudRecordings.db", "Recordings.db")) + tuple(
        FileSpec(domain, f"{folder}/*{suffix}", required=False) for domain, folder in FOLDERS
        for suffix in AUDIO_SUFFIXES)
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[VoiceMemo]:
        for domain, folder in FOLDERS:
            audio = {e.name: e for e in ctx.fs.files(domain, f"{folder}/*")
                     if e.name.lower().endswith(AUDIO_SUFFIXES) and "/" not in e.path[len(folder) + 1:]}
            used: set[str] = set()
            for db_name in ("CloudRecordings.db", "Recordings.db"):
                entry = ctx.get(domain, f"{folder}/{db_name}")
                if entry is None or not entry.is_file:
                    continue
                with ctx.database(entry) as db:
                    yield from self._database(ctx, db, audio, used)
            for name, entry in sorted(audio.items()):
                if name not in used:
                    yield self._orphan(ctx, entry)

    def _database(self, ctx: ScanContext, db: Database, audio: dict[str, Entry],
                  used: set[str]) -> Iterator[VoiceMemo]:
        table = "ZCLOUDRECORDING" if db.has("ZCLOUDRECORDING") else "ZRECORDING" if db.has("ZRECORDING") else None
        if table is None:
            ctx.warn(f"{db.source}: no recordings table")
            return
        folders = {}
        if db.has("ZFOLDER", "ZENCRYPTEDNAME"):
            folders = {r[0]: r[1] or "" for r in db.rows("SELECT Z_PK, ZENCRYPTEDNAME FROM ZFOLDER")}
        cols = ", ".join(db.col(table, c) for c in ("ZENCRYPTEDTITLE", "ZCUSTOMLABEL", "ZDATE", "ZDURATION", "ZPATH",
                                                    "ZEVICTIONDATE", "ZFOLDER", "ZUNIQUEID"))
        live: set[object] = set()
        for row in db.rows(f"SELECT Z_PK, {cols} FROM {table} ORDER BY ZDATE"):
            live.update(k for k in (row["Z_PK"], row["ZUNIQUEID"], row["ZPATH"]) if k)
            yield self._record(ctx, db, dict(row), f"voice-memos:{row['Z_PK']}", folders, audio, used)
        if ctx.options.recover_deleted:
            for rec in db.carve(tables=[table]):
                values = rec.values
                keys = {k for k in (rec.rowid, values.get("ZUNIQUEID"), values.get("ZPATH")) if k}
                if keys & live or from_apple_time_safe(values.get("ZDATE")) is None:
                    continue
                live.update(keys)
                memo = self._record(ctx, db, values, carved_id("voice-memos", rec), folders, audio, used)
                memo.deleted, memo.provenance = True, Provenance.of(rec)
                yield memo

    def _record(self, ctx: ScanContext, db: Database, row: dict[str, Any], record_id: str,
                folders: dict[int, str], audio: dict[str, Entry], used: set[str]) -> VoiceMemo:
        path = text_or_empty(row.get("ZPATH"))
        name = _name(path)
        entry = audio.get(name)
        if entry is not None:
            used.add(name)
        evicted = from_apple_time_safe(row.get("ZEVICTIONDATE"))
        duration = row.get("ZDURATION")
        media = []
        if name:
            origin = f"{entry.domain}/{entry.path}" if entry is not None else f"{db.entry.domain}/{path}"
            media.append(ctx.media(entry, name=name, role="voice", origin=origin,
                                   preview=wav_preview if not name.lower().endswith(".m4a") else None))
        return VoiceMemo(
            id=record_id,
            date=from_apple_time_safe(row.get("ZDATE")),
            source=db.source,
            deleted=evicted is not None,
            provenance=Provenance(area="app") if evicted is not None else None,
            title=(text_or_empty(row.get("ZENCRYPTEDTITLE")) or text_or_empty(row.get("ZCUSTOMLABEL"))
                   or name.rsplit(".", 1)[0]),
            duration=float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else 0.0,
            folder=folders.get(row.get("ZFOLDER") or -1, ""),
            file=name,
            attachments=media,
        )

    def _orphan(self, ctx: ScanContext, entry: Entry) -> VoiceMemo:
        recorded = datetime.fromtimestamp(entry.mtime, UTC) if entry.mtime else _recorded_at(entry.name)
        return VoiceMemo(
            id=f"voice-memos:file:{entry.path}",
            date=recorded,
            source=f"{entry.domain}/{entry.path}",
            title=entry.name.rsplit(".", 1)[0],
            file=entry.name,
            orphan=True,
            attachments=[ctx.media(entry, role="voice",
                                   preview=wav_preview if not entry.name.lower().endswith(".m4a") else None)],
        )


def _recorded_at(name: str) -> datetime | None:
    """Voice Memos names files ``YYYYMMDD HHMMSS-<id>.m4a`` in the device's local time (read as UTC: a last resort)."""
    try:
        return datetime.strptime(name[:15], "%Y%m%d %H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None

