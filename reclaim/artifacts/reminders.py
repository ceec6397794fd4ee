"""Reminders: the iOS 13+ Core Data stores and the older Calendar.sqlitedb rows.

iOS 13 and later keep one store per account, ``Container_v1/Stores/Data-<UUID>.sqlite``
(in the Reminders app group since iOS 17, under ``Library/Reminders`` before). iOS 16+
has a ``ZREMCDREMINDER`` table with lists in ``ZREMCDBASELIST``; iOS 13–15 keep every
entity in the single table ``ZREMCDOBJECT``, told apart by ``Z_ENT`` (numbers that
change between releases, so they are read from ``Z_PRIMARYKEY``). iOS 12 and earlier
store reminders as ``CalendarItem`` rows of entity type 3 in Calendar.sqlitedb.
Rows the app marked for deletion (its "Recently Deleted") are kept as deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_apple_time_safe,
    text_or_empty,
)
from reclaim.artifacts.calendar import REMINDER, calendars, item_select
from reclaim.errors import CorruptFile

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext

PRIORITY_LABELS = {0: "", 1: "high", 2: "high", 3: "high", 4: "high", 5: "medium", 6: "low", 7: "low", 8: "low",
                   9: "low"}


@dataclass(kw_only=True)
class Reminder(Record):
    """One reminder; ``priority`` is iCalendar's (1 high, 5 medium, 9 low, 0 none)."""

    KIND = "reminders"

    title: str = ""
    notes: str = ""
    list: str = ""
    due: datetime | None = None
    due_all_day: bool = False
    completed: bool = False
    completed_at: datetime | None = None
    priority: int = 0
    priority_label: str = ""
    flagged: bool = False
    parent: str = ""  # the title of the reminder this one is a subtask of
    created: datetime | None = None
    modified: datetime | None = None
    uid: str = ""


def _uid(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 16:
        import uuid

        return str(uuid.UUID(bytes=value)).upper()
    return str(value or "")


class RemindersArtifact(Artifact):
    kind = "reminders"
    title = "Reminders"
    record = Reminder
    files = (
        FileSpec("AppDomainGroup-group.com.apple.reminders", "Container_v1/Stores/Data-*.sqlite"),
        FileSpec("HomeDomain", "Library/Reminders/Container_v1/Stores/Data-*.sqlite"),
        FileSpec("HomeDomain", "Library/Calendar/Calendar.sqlitedb"),
    )
    view = "table"
    formats = ("ics",)

    def extract(self, ctx: ScanContext) -> Iterator[Reminder]:
        entries = list(self.inputs(ctx))
        read = 0
        for entry in entries:  # (one of several stores damaged beyond reading costs only its own reminders)
            opening = ctx.optional_database(entry, "its reminders are lost (those of the other stores still come)") \
                if len(entries) > 1 else ctx.database(entry)
            with opening as db:
                if db is None:
                    continue
                read += 1
                if db.has("ZREMCDREMINDER"):
                    yield from self._modern(ctx, db)
                elif db.has("ZREMCDOBJECT"):
                    yield from self._single_table(ctx, db)
                elif db.has("CalendarItem", "entity_type"):
                    yield from self._calendar(ctx, db)
        if len(entries) > 1 and not read:
            raise CorruptFile(f"none of the {len(entries)} reminder stores can be read (the warnings name each one "
                              "and why)")

    # -- iOS 16+ -------------------------------------------------------------------------------

    def _modern(self, ctx: ScanContext, db: Database) -> Iterator[Reminder]:
        lists: dict[int, str] = {}
        if db.has("ZREMCDBASELIST", "ZNAME"):
            lists = {r[0]: r[1] or "" for r in db.rows("SELECT Z_PK, ZNAME FROM ZREMCDBASELIST")}
        cols = ", ".join(db.col("ZREMCDREMINDER", c) for c in (
            "ZTITLE", "ZNOTES", "ZLIST", "ZDUEDATE", "ZALLDAY", "ZCOMPLETED", "ZCOMPLETIONDATE", "ZPRIORITY",
            "ZFLAGGED", "ZPARENTREMINDER", "ZCREATIONDATE", "ZLASTMODIFIEDDATE", "ZMARKEDFORDELETION",
            "ZDACALENDARITEMUNIQUEIDENTIFIER", "ZIDENTIFIER"))
        rows = [dict(r) for r in db.rows(f"SELECT Z_PK, {cols} FROM ZREMCDREMINDER ORDER BY Z_PK")]
        titles = {r["Z_PK"]: r["ZTITLE"] or "" for r in rows}
        seen: set[object] = set(titles) | {r["ZDACALENDARITEMUNIQUEIDENTIFIER"] for r in rows}
        for row in rows:
            yield self._record(db, row, row["Z_PK"], lists.get(row["ZLIST"] or -1, ""),
                               titles.get(row["ZPARENTREMINDER"] or -1, ""))
        if ctx.options.recover_deleted:
            for rec in db.carve(tables=["ZREMCDREMINDER"]):
                values = rec.values
                keys = {k for k in (rec.rowid, values.get("ZDACALENDARITEMUNIQUEIDENTIFIER")) if k}
                if keys & seen or not isinstance(values.get("ZTITLE"), str):
                    continue
                seen.update(keys)
                item = self._record(db, values, rec.rowid, lists.get(values.get("ZLIST") or -1, ""),
                                    titles.get(values.get("ZPARENTREMINDER") or -1, ""))
                item.id = carved_id("reminders", rec)
                item.deleted, item.provenance = True, Provenance.of(rec)
                yield item

    def _record(self, db: Database, row: dict[str, Any], pk: int, list_name: str, parent: str) -> Reminder:
        due = from_apple_time_safe(row.get("ZDUEDATE"))
        priority = int(row.get("ZPRIORITY") or 0) if isinstance(row.get("ZPRIORITY"), int) else 0
        marked = bool(row.get("ZMARKEDFORDELETION"))
        return Reminder(
            id=f"reminders:{pk}",
            date=due or from_apple_time_safe(row.get("ZCREATIONDATE")),
            source=db.source,
            deleted=marked,
            provenance=Provenance(area="app") if marked else None,
            title=text_or_empty(row.get("ZTITLE")),
            notes=text_or_empty(row.get("ZNOTES")),
            list=list_name,
            due=due,
            due_all_day=bool(row.get("ZALLDAY")),
            completed=bool(row.get("ZCOMPLETED")),
            completed_at=from_apple_time_safe(row.get("ZCOMPLETIONDATE")),
            priority=priority,
            priority_label=PRIORITY_LABELS.get(priority, ""),
            flagged=bool(row.get("ZFLAGGED")),
            parent=parent,
            created=from_apple_time_safe(row.get("ZCREATIONDATE")),
            modified=from_apple_time_safe(row.get("ZLASTMODIFIEDDATE")),
            uid=_uid(row.get("ZDACALENDARITEMUNIQUEIDENTIFIER") or row.get("ZIDENTIFIER")),
        )

    # -- iOS 13-15: one table for every entity --------------------------------------------

    def _single_table(self, ctx: ScanContext, db: Database) -> Iterator[Reminder]:
        entities = {r[1]: r[0] for r in db.rows("SELECT Z_ENT, Z_NAME FROM Z_PRIMARYKEY")} if db.has(
            "Z_PRIMARYKEY") else {}
        reminder_ent = entities.get("REMCDReminder")
        if reminder_ent is None:
            return
        title = "COALESCE(ZTITLE1, ZTITLE)" if db.has("ZREMCDOBJECT", "ZTITLE1") else "ZTITLE"
        names = [c for c in ("ZNAME1", "ZNAME", "ZNAME2") if db.has("ZREMCDOBJECT", c)]
        lists: dict[int, str] = {}
        if names and entities.get("REMCDList") is not None:
            name_sql = f"COALESCE({', '.join(names)})" if len(names) > 1 else names[0]
            lists = {r[0]: r[1] or "" for r in db.rows(
                f"SELECT Z_PK, {name_sql} FROM ZREMCDOBJECT WHERE Z_ENT=?", (entities["REMCDList"],))}
        cols = ", ".join(db.col("ZREMCDOBJECT", c) for c in (
            "ZNOTES", "ZLIST", "ZDUEDATE", "ZALLDAY", "ZCOMPLETED", "ZCOMPLETIONDATE", "ZPRIORITY", "ZFLAGGED",
            "ZPARENTREMINDER", "ZCREATIONDATE", "ZLASTMODIFIEDDATE", "ZMARKEDFORDELETION",
            "ZDACALENDARITEMUNIQUEIDENTIFIER", "ZIDENTIFIER"))
        rows = [dict(r) for r in db.rows(
            f"SELECT Z_PK, {title} AS ZTITLE, {cols} FROM ZREMCDOBJECT WHERE Z_ENT=? ORDER BY Z_PK",
            (reminder_ent,))]
        titles = {r["Z_PK"]: r["ZTITLE"] or "" for r in rows}
        for row in rows:
            yield self._record(db, row, row["Z_PK"], lists.get(row["ZLIST"] or -1, ""),
                               titles.get(row["ZPARENTREMINDER"] or -1, ""))

    # -- iOS 12 and earlier: Calendar.sqlitedb ------------------------------------------------

    def _calendar(self, ctx: ScanContext, db: Database) -> Iterator[Reminder]:
        cals = calendars(db)
        for row in db.rows(f"SELECT {item_select(db)} FROM CalendarItem WHERE entity_type = {REMINDER}"):
            priority = int(row["priority"] or 0)
            due = from_apple_time(row["due_date"])
            yield Reminder(
                id=f"reminders:calendar:{row['ROWID']}",
                date=due or from_apple_time(row["creation_date"]),
                source=db.source,
                title=row["summary"] or "",
                notes=row["description"] or "",
                list=cals.get(row["calendar_id"] or -1, ("", ""))[0],
                due=due,
                due_all_day=bool(row["due_all_day"]),
                completed=row["completion_date"] is not None,
                completed_at=from_apple_time(row["completion_date"]),
                priority=priority,
                priority_label=PRIORITY_LABELS.get(priority, ""),
                created=from_apple_time(row["creation_date"]),
                modified=from_apple_time(row["last_modified"]),
                uid=row["unique_identifier"] or row["UUID"] or "",
            )
