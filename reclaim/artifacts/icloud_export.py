"""Contacts, calendars, reminders, photos and iCloud Drive from an iCloud export.

Apple's Data & Privacy export (and ``reclaim icloud download``, which writes the same
layout) holds the synced copies of these kinds as vCards, iCalendar files, photo files
with CSV metadata, and plain files. Each artifact here yields the *same* record classes
as the phone's own kinds (:class:`~reclaim.artifacts.contacts.Contact`,
:class:`~reclaim.artifacts.calendar.CalendarEvent`, …) so they land in the same report
sections; only iCloud Drive has a record of its own. Files are recognised by type and
folder name anywhere in the export (see ``docs/icloud.md``).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from reclaim.artifacts.base import Artifact, FileSpec, MediaRef, NothingFound, Provenance, Record, from_unix_time
from reclaim.artifacts.calendar import CalendarEvent
from reclaim.artifacts.contacts import Contact, format_address
from reclaim.artifacts.photos import PHOTO_EXTS, VIDEO_EXTS, Photo, heic_preview
from reclaim.artifacts.reminders import PRIORITY_LABELS, Reminder
from reclaim.icloud import formats
from reclaim.sources.privacy_export import EXPORT_DOMAIN
from reclaim.vfs import Entry

if TYPE_CHECKING:
    from reclaim.case.context import ScanContext

PHOTO_FOLDER_HINTS = ("photos", "photo library", "recently deleted", "shared albums")
DRIVE_FOLDER = "icloud drive"


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _components(entry: Entry) -> list[str]:
    return [p.lower() for p in entry.path.split("/")[:-1]]


def _under(entry: Entry, prefix: str) -> bool:
    return any(c.startswith(prefix) for c in _components(entry))


def _files(ctx: ScanContext, *extensions: str) -> Iterator[Entry]:
    for entry in ctx.fs.files(EXPORT_DOMAIN, "*"):
        if _ext(entry.name) in extensions:
            yield entry


class _ExportArtifact(Artifact):
    """What the export readers share: they look in the export domain only."""

    extensions: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: ScanContext) -> None:
        if next(self.inputs(ctx), None) is None:
            raise NothingFound(f"no {'/'.join('.' + e for e in self.extensions)} files in an iCloud export")

    def inputs(self, ctx: ScanContext) -> Iterator[Entry]:
        return _files(ctx, *self.extensions)


# -- contacts --------------------------------------------------------------------------------------


class IcloudContactsArtifact(_ExportArtifact):
    """iCloud Contacts from the export's vCard files."""

    kind = "icloud-contacts"
    title = "Contacts (iCloud)"
    record = Contact
    view = "cards"
    formats = ("vcard",)
    files = (FileSpec(EXPORT_DOMAIN, "*.vcf"),)
    extensions = ("vcf",)

    def extract(self, ctx: ScanContext) -> Iterator[Contact]:
        import vobject

        for entry in self.inputs(ctx):
            source = f"{entry.domain}/{entry.path}"
            with ctx.fs.open(entry) as stream:
                for n, (_, text) in enumerate(formats.split_components(stream, ("VCARD",))):
                    try:
                        card = vobject.readOne(text)
                    except Exception as exc:  # vobject raises many types on malformed cards
                        ctx.warn(f"{source}: card {n + 1} unreadable ({type(exc).__name__})")
                        continue
                    yield _contact(ctx, card, source, text)


def _value(card: Any, name: str) -> str:
    item = getattr(card, name, None)
    value = getattr(item, "value", "") if item is not None else ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v)
    return str(value or "").strip()


def _label(item: Any) -> str:
    """A vCard value's label from its TYPE parameters (``CELL`` → ``Cell``), ignoring the technical ones."""
    types = [t for t in item.params.get("TYPE", []) if t.upper() not in {"INTERNET", "PREF", "VOICE"}]
    return types[0].lower().capitalize() if types else ""


def _contact(ctx: ScanContext, card: Any, source: str, text: str) -> Contact:
    n = getattr(card, "n", None)
    name = n.value if n is not None else None
    org = getattr(card, "org", None)
    org_parts = [str(p) for p in (org.value if org is not None else []) if p]
    uid = _value(card, "uid")
    contact = Contact(
        id=f"contacts:icloud:{uid or hashlib.sha1(text.encode()).hexdigest()[:16]}",
        source=source,
        name=_value(card, "fn"),
        first=getattr(name, "given", "") or "" if name else "",
        middle=getattr(name, "additional", "") or "" if name else "",
        last=getattr(name, "family", "") or "" if name else "",
        prefix=getattr(name, "prefix", "") or "" if name else "",
        suffix=getattr(name, "suffix", "") or "" if name else "",
        nickname=_value(card, "nickname"),
        organization=org_parts[0] if org_parts else "",
        department=org_parts[1] if len(org_parts) > 1 else "",
        job_title=_value(card, "title"),
        note=_value(card, "note"),
        guid=uid,
        store="iCloud",
    )
    for key in ("middle", "prefix", "suffix", "first", "last"):
        value = getattr(contact, key)
        if isinstance(value, list):
            setattr(contact, key, " ".join(value))
    labels = {c.group: str(c.value) for c in card.getChildren() if c.name == "X-ABLABEL" and c.group}
    for child in card.getChildren():
        label = labels.get(child.group) if child.group else None
        label = label.removeprefix("_$!<").removesuffix(">!$_") if label else _label(child)
        if child.name == "TEL":
            contact.phones.append({"label": label, "value": str(child.value).strip()})
        elif child.name == "EMAIL":
            contact.emails.append({"label": label, "value": str(child.value).strip()})
        elif child.name == "URL":
            contact.urls.append({"label": label, "value": str(child.value).strip()})
        elif child.name == "ADR":
            a = child.value
            parts = {"street": _join(a.street), "city": _join(a.city), "state": _join(a.region),
                     "zip": _join(a.code), "country": _join(a.country)}
            item = {"label": label, **{k: v for k, v in parts.items() if v}}
            item["value"] = format_address(item)
            if item["value"]:
                contact.addresses.append(item)
        elif child.name == "BDAY":
            contact.birthday = str(child.value).strip()
        elif child.name == "PHOTO" and isinstance(child.value, bytes) and child.value:
            contact.photo = ctx.media_bytes(child.value, name=f"{contact.name or 'contact'}.jpg", role="avatar",
                                            origin=source)
    if not contact.name:
        contact.name = " ".join(p for p in (contact.first, contact.last) if p) or contact.organization
    return contact


def _join(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v).strip()
    return str(value or "").strip()


# -- calendars and reminders -----------------------------------------------------------------------


def _calendar_name(header: dict[str, str], entry: Entry) -> str:
    return header.get("X-WR-CALNAME") or entry.name.rsplit(".", 1)[0]


def _components_of(ctx: ScanContext, entry: Entry, kind: str) -> Iterator[tuple[dict[str, str], Any]]:
    import icalendar

    cls = {"VEVENT": icalendar.Event, "VTODO": icalendar.Todo}[kind]
    with ctx.fs.open(entry) as stream:
        for header, text in formats.split_components(stream, (kind,)):
            try:
                yield header, cls.from_ical(text)
            except (ValueError, KeyError, IndexError) as exc:
                ctx.warn(f"{entry.domain}/{entry.path}: a {kind} could not be read ({exc})")


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def _when(component: Any, name: str) -> tuple[datetime | None, bool]:
    prop = component.get(name)
    return formats.as_utc(prop.dt) if prop is not None and hasattr(prop, "dt") else (None, False)


def _person(value: Any) -> dict[str, str]:
    address = str(value)
    email = address[7:] if address.lower().startswith("mailto:") else address
    params = getattr(value, "params", {})
    return {"name": str(params.get("CN", "")), "email": email, "status": str(params.get("PARTSTAT", ""))}


class IcloudCalendarArtifact(_ExportArtifact):
    """iCloud Calendars: the events of the export's iCalendar files."""

    kind = "icloud-calendar"
    title = "Calendar (iCloud)"
    record = CalendarEvent
    formats = ("ics",)
    files = (FileSpec(EXPORT_DOMAIN, "*.ics"),)
    extensions = ("ics",)

    def extract(self, ctx: ScanContext) -> Iterator[CalendarEvent]:
        for entry in self.inputs(ctx):
            for header, event in _components_of(ctx, entry, "VEVENT"):
                yield self._event(entry, header, event)

    @staticmethod
    def _event(entry: Entry, header: dict[str, str], event: Any) -> CalendarEvent:
        start, all_day = _when(event, "DTSTART")
        end, _ = _when(event, "DTEND")
        tzid = event.get("DTSTART").params.get("TZID", "") if event.get("DTSTART") is not None else ""
        attendees = event.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        alarms = []
        for alarm in event.walk("VALARM"):
            trigger = alarm.get("TRIGGER")
            if trigger is None:
                continue
            at, _ = formats.as_utc(trigger.dt) if isinstance(trigger.dt, datetime) else (None, False)
            alarms.append({"at": at, "minutes": None if at else formats.duration_minutes(trigger.dt)})
        exdates = event.get("EXDATE") or []
        exdates = exdates if isinstance(exdates, list) else [exdates]
        uid = _text(event, "UID")
        recurrence = event.get("RRULE")
        transp = _text(event, "TRANSP").upper()
        return CalendarEvent(
            id=f"calendar:icloud:{uid or hashlib.sha1(event.to_ical()).hexdigest()[:16]}"
               + (f":{_when(event, 'RECURRENCE-ID')[0].isoformat()}" if event.get("RECURRENCE-ID") else ""),
            date=start,
            source=f"{entry.domain}/{entry.path}",
            title=_text(event, "SUMMARY"),
            start=start,
            end=end,
            all_day=all_day,
            timezone=str(tzid),
            location=_text(event, "LOCATION"),
            notes=_text(event, "DESCRIPTION"),
            url=_text(event, "URL"),
            calendar=_calendar_name(header, entry),
            organizer=_person(event["ORGANIZER"]) if event.get("ORGANIZER") is not None else None,
            attendees=[_person(a) for a in attendees],
            rrule=recurrence.to_ical().decode() if recurrence is not None else "",
            exceptions=[d for ex in exdates for d in (formats.as_utc(x.dt)[0] for x in ex.dts) if d],
            alarms=alarms,
            status=_text(event, "STATUS").lower(),
            availability={"OPAQUE": "busy", "TRANSPARENT": "free"}.get(transp, ""),
            uid=uid,
            created=_when(event, "CREATED")[0],
            modified=_when(event, "LAST-MODIFIED")[0],
        )


class IcloudRemindersArtifact(_ExportArtifact):
    """iCloud Reminders: the to-dos of the export's iCalendar files."""

    kind = "icloud-reminders"
    title = "Reminders (iCloud)"
    record = Reminder
    formats = ("ics",)
    files = (FileSpec(EXPORT_DOMAIN, "*.ics"),)
    extensions = ("ics",)

    def extract(self, ctx: ScanContext) -> Iterator[Reminder]:
        for entry in self.inputs(ctx):
            todos = list(_components_of(ctx, entry, "VTODO"))  # one list: subtasks name their parent by UID
            titles = {_text(t, "UID"): _text(t, "SUMMARY") for _, t in todos}
            for header, todo in todos:
                due, due_all_day = _when(todo, "DUE")
                completed_at, _ = _when(todo, "COMPLETED")
                created, _ = _when(todo, "CREATED")
                priority = int(todo.get("PRIORITY") or 0)
                uid = _text(todo, "UID")
                yield Reminder(
                    id=f"reminders:icloud:{uid or hashlib.sha1(todo.to_ical()).hexdigest()[:16]}",
                    date=due or created,
                    source=f"{entry.domain}/{entry.path}",
                    title=_text(todo, "SUMMARY"),
                    notes=_text(todo, "DESCRIPTION"),
                    list=_calendar_name(header, entry),
                    due=due,
                    due_all_day=due_all_day,
                    completed=_text(todo, "STATUS").upper() == "COMPLETED" or completed_at is not None,
                    completed_at=completed_at,
                    priority=priority,
                    priority_label=PRIORITY_LABELS.get(priority, ""),
                    parent=titles.get(_text(todo, "RELATED-TO"), ""),
                    created=created,
                    modified=_when(todo, "LAST-MODIFIED")[0],
                    uid=uid,
                )


# -- photos ----------------------------------------------------------------------------------------


class IcloudPhotosArtifact(_ExportArtifact):
    """iCloud Photos: originals with their capture dates, favourites, hidden and deleted flags and albums."""

    kind = "icloud-photos"
    title = "Photos (iCloud)"
    record = Photo
    view = "gallery"
    files = (FileSpec(EXPORT_DOMAIN, "*"),)
    extensions = tuple(sorted(PHOTO_EXTS | VIDEO_EXTS))

    def inputs(self, ctx: ScanContext) -> Iterator[Entry]:
        for entry in _files(ctx, *self.extensions):
            if _under(entry, DRIVE_FOLDER) or _under(entry, "icloud notes"):
                continue
            yield entry

    def extract(self, ctx: ScanContext) -> Iterator[Photo]:
        details = self._details(ctx)
        albums = self._albums(ctx)
        media = list(self.inputs(ctx))
        by_stem = {}
        for entry in media:
            by_stem.setdefault((posixpath.dirname(entry.path), entry.name.rsplit(".", 1)[0].lower()), []).append(entry)
        paired: set[str] = set()
        for entry in media:
            if entry.path in paired:
                continue
            live = None
            if _ext(entry.name) in PHOTO_EXTS:
                siblings = by_stem.get((posixpath.dirname(entry.path), entry.name.rsplit(".", 1)[0].lower()), [])
                live = next((s for s in siblings if _ext(s.name) == "mov"), None)
                if live is not None:
                    paired.add(live.path)
            elif _ext(entry.name) == "mov" and any(
                _ext(s.name) in PHOTO_EXTS
                for s in by_stem.get((posixpath.dirname(entry.path), entry.name.rsplit(".", 1)[0].lower()), [])
            ):
                continue  # the video half of a Live Photo, attached to its still
            yield self._photo(ctx, entry, details.get(entry.name), albums.get(entry.name, []), live)

    @staticmethod
    def _details(ctx: ScanContext) -> dict[str, dict[str, str]]:
        rows: dict[str, dict[str, str]] = {}
        for entry in _files(ctx, "csv"):
            if not entry.name.lower().startswith("photo details"):
                continue
            with ctx.fs.open(entry) as stream:
                for row in formats.read_csv_rows(stream):
                    name = (row.get("imgName") or "").strip()
                    if name:
                        rows.setdefault(name, row)
        return rows

    @staticmethod
    def _albums(ctx: ScanContext) -> dict[str, list[str]]:
        csvs = [e for e in _files(ctx, "csv") if _components(e) and _components(e)[-1] == "albums"]
        by_folder: dict[str, list[Entry]] = {}
        for entry in csvs:
            by_folder.setdefault(posixpath.dirname(entry.path), []).append(entry)
        out: dict[str, list[str]] = {}
        for entries in by_folder.values():
            names = formats.album_names([e.name[:-4] for e in entries])
            for entry in entries:
                album = names[entry.name[:-4]]
                with ctx.fs.open(entry) as stream:
                    for image in formats.read_csv_column(stream):
                        if album not in out.setdefault(image, []):
                            out[image].append(album)
        return out

    @staticmethod
    def _photo(ctx: ScanContext, entry: Entry, row: dict[str, str] | None, albums: list[str],
               live: Entry | None) -> Photo:
        row = row or {}
        taken = formats.parse_photo_date(row.get("originalCreationDate")) or from_unix_time(entry.mtime)
        in_trash = formats.yes(row.get("deleted")) or _under(entry, "recently deleted")
        heif = _ext(entry.name) in {"heic", "heif"}
        ref = ctx.media(entry, role="full", preview=heic_preview if heif else None)
        kind = "video" if _ext(entry.name) in VIDEO_EXTS else "live" if live is not None else "photo"
        photo = Photo(
            id=f"photos:icloud:{row.get('fileChecksum') or entry.path}",
            date=taken,
            source=f"{entry.domain}/{entry.path}",
            taken=taken,
            filename=entry.name,
            original_filename=entry.name,
            directory=posixpath.dirname(entry.path),
            favorite=formats.yes(row.get("favorite")),
            hidden=formats.yes(row.get("hidden")),
            albums=albums,
            media_type=kind,
            media=ref,
            live_video=ctx.media(live, role="live") if live is not None else None,
            note="" if row else "not listed in Photo Details.csv (date from the file)",
        )
        if in_trash:
            photo.deleted = True
            photo.provenance = Provenance(area="app")
            photo.note = "in Recently Deleted"
        return photo


# -- iCloud Drive ----------------------------------------------------------------------------------


@dataclass(kw_only=True)
class DriveFile(Record):
    """One file of iCloud Drive (from the export or ``reclaim icloud download --drive``)."""

    KIND = "icloud-drive"

    name: str = ""
    folder: str = ""  # path inside iCloud Drive
    size: int = 0
    modified: datetime | None = None
    file: MediaRef | None = None


class IcloudDriveArtifact(_ExportArtifact):
    """The files of iCloud Drive, with their folders."""

    kind = "icloud-drive"
    title = "iCloud Drive"
    record = DriveFile
    view = "table"
    files = (FileSpec(EXPORT_DOMAIN, "*"),)

    def inputs(self, ctx: ScanContext) -> Iterator[Entry]:
        for entry in ctx.fs.files(EXPORT_DOMAIN, "*"):
            if _under(entry, DRIVE_FOLDER):
                yield entry

    def check(self, ctx: ScanContext) -> None:
        if next(self.inputs(ctx), None) is None:
            raise NothingFound("no iCloud Drive folder in this source")

    def extract(self, ctx: ScanContext) -> Iterator[DriveFile]:
        for entry in self.inputs(ctx):
            parts = entry.path.split("/")
            start = next(i for i, p in enumerate(parts[:-1]) if p.lower().startswith(DRIVE_FOLDER)) + 1
            modified = from_unix_time(entry.mtime)
            yield DriveFile(
                id=f"icloud-drive:{entry.path}",
                date=modified,
                source=f"{entry.domain}/{entry.path}",
                name=entry.name,
                folder="/".join(parts[start:-1]),
                size=entry.size,
                modified=modified,
                file=ctx.media(entry, role="file"),
            )
