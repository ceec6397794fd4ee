"""Call history: phone, FaceTime and app calls from ``CallHistory.storedata`` (iOS 8+) and ``call_history.db``.

``CallHistory.storedata`` is a Core Data store: one ``ZCALLRECORD`` row per call with
the other party in ``ZADDRESS`` (text, or a blob holding the text), the start in
``ZDATE`` (seconds since 2001), ``ZORIGINATED`` (1 = outgoing), ``ZANSWERED``,
``ZCALLTYPE`` and the app in ``ZSERVICE_PROVIDER``. Group FaceTime participants are
``ZHANDLE`` rows joined through ``Z_2REMOTEPARTICIPANTHANDLES``. iOS 7 and older
kept a ``call`` table in ``call_history.db`` (Unix dates, ``flags`` bit 0 = outgoing).
Deleted calls are carved from both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reclaim.artifacts._phone import ContactIndex
from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    Provenance,
    Record,
    from_apple_time,
    from_unix_time,
)
from reclaim.case.context import Database, ScanContext

STORE = ("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata")
LEGACY = (("WirelessDomain", "Library/CallHistory/call_history.db"),
          ("HomeDomain", "Library/CallHistory/call_history.db"))
#: ZCALLTYPE values.
CALL_TYPES = {1: "Phone", 8: "FaceTime Video", 16: "FaceTime Audio"}
#: ZSERVICE_PROVIDER bundle ids of common apps (others show their last name component).
PROVIDERS = {
    "com.apple.Telephony": "Phone", "com.apple.FaceTime": "FaceTime", "net.whatsapp.WhatsApp": "WhatsApp",
    "com.tencent.xin": "WeChat", "com.skype.skype": "Skype", "ph.telegra.Telegraph": "Telegram",
    "org.whispersystems.signal": "Signal", "com.facebook.Messenger": "Messenger", "com.viber": "Viber",
    "com.microsoft.skype.teams": "Teams", "us.zoom.videomeetings": "Zoom", "com.google.Duo": "Google Meet",
}


@dataclass(kw_only=True)
class Call(Record):
    """One call: who, when, which way, how long, over what."""

    KIND = "calls"

    number: str = ""
    name: str = ""
    direction: str = ""
    answered: bool = False
    missed: bool = False
    duration: float = 0.0
    service: str = ""
    provider: str = ""
    country: str = ""
    location: str = ""
    participants: list[str] = field(default_factory=list)
    read: bool | None = None
    uid: str = ""

    def record_label(self) -> str:
        return self.name or self.number

    def search_text(self) -> str:
        return "\n".join(p for p in (self.name, self.number, self.service, self.location, *self.participants) if p)


class CallsArtifact(Artifact):
    """Phone, FaceTime and third-party app calls, live and deleted."""

    kind = "calls"
    title = "Call history"
    record = Call
    files = (FileSpec(*STORE), *(FileSpec(d, p) for d, p in LEGACY))
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[Call]:
        contacts = ContactIndex.load(ctx)
        entry = ctx.get(*STORE)
        if entry is not None and entry.is_file:
            with ctx.database(entry) as db:
                if db.has("ZCALLRECORD"):
                    yield from _CoreDataCalls(db, ctx, contacts).calls()
                else:
                    ctx.warn(f"{db.source}: no ZCALLRECORD table")
        for domain, path in LEGACY:
            entry = ctx.get(domain, path)
            if entry is not None and entry.is_file:
                with ctx.database(entry) as db:
                    if db.has("call"):
                        yield from _legacy_calls(db, ctx, contacts)


def _text(value: Any) -> str:
    """ZADDRESS is text on most devices and a blob holding UTF-8 text on some."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace").strip("\x00").strip()
    return str(value).strip()


def _service(call_type: Any, provider: str) -> str:
    if provider and provider not in ("com.apple.Telephony", "com.apple.FaceTime"):
        return PROVIDERS.get(provider) or provider.rsplit(".", 1)[-1]
    return CALL_TYPES.get(call_type if isinstance(call_type, int) else -1) or PROVIDERS.get(provider, "") or "Phone"


class _CoreDataCalls:
    def __init__(self, db: Database, ctx: ScanContext, contacts: ContactIndex) -> None:
        self.db = db
        self.ctx = ctx
        self.contacts = contacts
        self.participants: dict[int, list[str]] = defaultdict(list)
        if db.has("ZHANDLE") and db.has("Z_2REMOTEPARTICIPANTHANDLES"):
            for row in db.rows("SELECT j.Z_2REMOTEPARTICIPANTCALLS, h.ZVALUE FROM Z_2REMOTEPARTICIPANTHANDLES j"
                               " JOIN ZHANDLE h ON h.Z_PK = j.Z_4REMOTEPARTICIPANTHANDLES ORDER BY h.Z_PK"):
                if row[1]:
                    self.participants[row[0]].append(contacts.display(str(row[1])))

    def calls(self) -> Iterator[Call]:
        cols = ", ".join(self.db.col("ZCALLRECORD", c) for c in (
            "ZADDRESS", "ZNAME", "ZDATE", "ZDURATION", "ZORIGINATED", "ZANSWERED", "ZCALLTYPE", "ZSERVICE_PROVIDER",
            "ZISO_COUNTRY_CODE", "ZLOCATION", "ZREAD", "ZUNIQUE_ID"))
        live: set[str] = set()
        pks: set[int] = set()
        cursor = self.db.conn.execute(f"SELECT Z_PK, {cols} FROM ZCALLRECORD ORDER BY ZDATE, Z_PK")
        cursor.row_factory = None  # tuples zipped with the names: a dict of a Row costs more than the record
        names = [d[0] for d in cursor.description]
        while batch := cursor.fetchmany(1000):
            for row in batch:
                values = dict(zip(names, row, strict=True))
                pks.add(values["Z_PK"])
                if values.get("ZUNIQUE_ID"):
                    live.add(str(values["ZUNIQUE_ID"]))
                yield self.call(values, values["Z_PK"])
        if not self.ctx.options.recover_deleted:
            return
        found: dict[Any, tuple[dict[str, Any], Any]] = {}
        for carved in self.db.carve(tables=["ZCALLRECORD"]):
            values = carved.values
            uid = values.get("ZUNIQUE_ID")
            if carved.rowid in pks or (uid and str(uid) in live) or not isinstance(values.get("ZDATE"), int | float):
                continue
            if not (values.get("ZADDRESS") or values.get("ZNAME")):
                continue
            key = uid or carved.rowid or (values.get("ZDATE"), _text(values.get("ZADDRESS")))
            if key not in found or carved.confidence > found[key][1].confidence:
                found[key] = (values, carved)
        for values, carved in sorted(found.values(), key=lambda item: item[0].get("ZDATE") or 0):
            call = self.call(values, carved.rowid)
            call.id = f"calls:deleted:{carved.rowid if carved.rowid is not None else values.get('ZUNIQUE_ID')}"
            call.deleted = True
            call.provenance = Provenance(area=carved.area, page=carved.page, offset=carved.offset,
                                         frame=carved.frame, confidence=carved.confidence, partial=carved.partial)
            yield call

    def call(self, row: dict[str, Any], pk: int | None) -> Call:
        number = _text(row.get("ZADDRESS"))
        provider = _text(row.get("ZSERVICE_PROVIDER"))
        outgoing = bool(row.get("ZORIGINATED"))
        answered = bool(row.get("ZANSWERED"))
        duration = float(row.get("ZDURATION") or 0)
        read = row.get("ZREAD")
        return Call(
            id=f"calls:{pk}",
            date=from_apple_time(row.get("ZDATE")),
            source=self.db.source,
            number=number,
            name=self.contacts.name(number) or _text(row.get("ZNAME")),
            direction="outgoing" if outgoing else "incoming",
            answered=answered or (outgoing and duration > 0),
            missed=not outgoing and not answered,
            duration=round(duration, 3),
            service=_service(row.get("ZCALLTYPE"), provider),
            provider=provider,
            country=_text(row.get("ZISO_COUNTRY_CODE")).upper(),
            location=_text(row.get("ZLOCATION")),
            participants=self.participants.get(pk or -1, []),
            read=bool(read) if read is not None else None,
            uid=_text(row.get("ZUNIQUE_ID")),
        )


def _legacy_calls(db: Database, ctx: ScanContext, contacts: ContactIndex) -> Iterator[Call]:
    """iOS 7 and older: ``call`` rows of call_history.db (and carved deleted ones)."""
    cols = ", ".join(db.col("call", c) for c in ("address", "date", "duration", "flags", "name", "country_code",
                                                   "read", "face_time_data"))

    def build(row: dict[str, Any], rowid: Any) -> Call:
        flags = row.get("flags") or 0
        number = _text(row.get("address"))
        outgoing = bool(flags & 1)
        duration = float(row.get("duration") or 0)
        return Call(id=f"calls:legacy:{rowid}", date=from_unix_time(row.get("date")), source=db.source,
                    number=number, name=contacts.name(number) or _text(row.get("name")),
                    direction="outgoing" if outgoing else "incoming", answered=duration > 0,
                    missed=not outgoing and duration == 0, duration=duration,
                    service="FaceTime" if (flags & 16 or row.get("face_time_data")) else "Phone",
                    country=_text(row.get("country_code")).upper(),
                    read=bool(row["read"]) if row.get("read") is not None else None)

    live: set[int] = set()
    for row in db.rows(f"SELECT ROWID AS rowid, {cols} FROM call ORDER BY date, ROWID"):
        live.add(row["rowid"])
        yield build(dict(row), row["rowid"])
    if ctx.options.recover_deleted:
        for carved in db.carve(tables=["call"]):
            if carved.rowid in live or not carved.values.get("address") or not carved.values.get("date"):
                continue
            call = build(carved.values, f"deleted:{carved.rowid}")
            call.deleted = True
            call.provenance = Provenance(area=carved.area, page=carved.page, offset=carved.offset,
                                         frame=carved.frame, confidence=carved.confidence, partial=carved.partial)
            yield call
