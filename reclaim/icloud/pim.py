"""``reclaim icloud download`` of Notes, Reminders, Contacts and Calendars, through pyicloud's own services.

Each is written the way the Data & Privacy export readers read it, so the same records come out:

- Notes: ``iCloud Notes/<folder>/<title>.txt`` (the note's text; its modification time on the file)
  and ``iCloud Notes/Notes Details.csv`` (id, title, folder, modification date, deleted and
  locked flags; a locked note is a row without a file). Notes in "Recently Deleted" go to that folder.
- Reminders: ``iCloud Reminders/<list>.ics``, one VTODO per reminder, ``X-WR-CALNAME`` the list.
- Calendars: ``iCloud Calendars/<calendar>.ics``, one VEVENT per event in the date window asked for.
- Contacts: ``iCloud Contacts/Contacts.vcf``, vCard 3.0 with Apple's ``itemN.X-ABLabel`` labels.

Every file is written to a temporary name and renamed when complete. A rerun fetches again the
lists (cheap) but not a note whose modification date is unchanged and whose file is present.
Errors from iCloud become one :class:`~reclaim.icloud.download.IcloudError` line (:func:`service_errors`).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from reclaim.icloud.download import DownloadReport, IcloudError, Progress, _write_marker
from reclaim.icloud.formats import fold, ical_escape, ical_utc, read_csv_rows
from reclaim.output import atomic_write_bytes, atomic_writer, safe_join, title_component

NOTES_DIR = "iCloud Notes"
NOTES_DETAILS = "Notes Details.csv"
NOTES_COLUMNS = ("fileName", "noteId", "title", "folder", "modified", "deleted", "locked")
REMINDERS_DIR = "iCloud Reminders"
CALENDARS_DIR = "iCloud Calendars"
CONTACTS_DIR = "iCloud Contacts"
DELETED_FOLDER = "Recently Deleted"
PRODID = "-//reclaim//iCloud download//EN"
_ATTACHMENT_MARK = "\ufffc"  # where an attachment sits in a note's text


@contextlib.contextmanager
def service_errors(what: str) -> Iterator[None]:
    """Turn pyicloud's exceptions for service ``what`` into one :class:`IcloudError` line a person can act on."""
    from pyicloud import exceptions as ex
    from pyicloud.common.cloudkit.client import CloudKitApiError, CloudKitAuthError, CloudKitRateLimited
    from requests import RequestException

    try:
        yield
    except IcloudError:
        raise
    except (ex.PyiCloudServiceNotActivatedException, ex.PyiCloudServiceUnavailable) as exc:
        raise IcloudError(f"{what}: not enabled for this Apple ID (turn it on in Settings → [your name] → "
                          "iCloud), or Apple did not offer it to this session") from exc
    except ex.PyiCloudPCSTimeoutException as exc:
        raise IcloudError(f"{what}: Apple did not grant web access to this data; with Advanced Data Protection "
                          "turn on 'Access iCloud Data on the Web' on the iPhone and try again") from exc
    except (ex.PyiCloudAuthRequiredException, ex.PyiCloud2FARequiredException,
            ex.PyiCloud2SARequiredException) as exc:
        raise IcloudError(f"{what}: the iCloud session has expired; run  reclaim icloud login  again") from exc
    except ex.PyiCloudConnectionException as exc:
        raise IcloudError(f"{what}: iCloud could not be reached; check the connection and try again") from exc
    except Exception as exc:
        if not isinstance(exc, (ex.PyiCloudException, CloudKitApiError, RequestException)):
            raise  # a bug, not an answer from iCloud: keep the traceback
        name = type(exc).__name__
        if isinstance(exc, CloudKitRateLimited) or name.endswith("RateLimited"):
            raise IcloudError(f"{what}: iCloud asks to slow down; try again in a few minutes") from exc
        if isinstance(exc, CloudKitAuthError) or name.endswith("AuthError") or _status(exc) in {401, 403, 421}:
            raise IcloudError(f"{what}: iCloud refused access (HTTP {_status(exc) or '401/403'}): the session has "
                              "expired (run  reclaim icloud login  again) or the account uses Advanced Data "
                              "Protection without web access, which keeps this data end-to-end encrypted") from exc
        first = (str(exc).strip().splitlines() or [name])[0][:200]
        raise IcloudError(f"{what}: iCloud answered with an error ({first})") from exc


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind a pyicloud/CloudKit exception, when it carries one."""
    for holder in (exc, exc.__cause__, exc.__context__):
        if holder is None:
            continue
        for name in ("status_code", "code", "status"):
            value = getattr(holder, name, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
        response = getattr(holder, "response", None)
        value = getattr(response, "status_code", None)
        if isinstance(value, int):
            return value
    return None


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else ""


def _write_if_changed(target: Path, data: bytes, report: DownloadReport) -> None:
    """Write ``data`` atomically unless ``target`` already holds exactly it (a rerun then counts it unchanged)."""
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        report.unchanged += 1
        return
    atomic_write_bytes(target, data)


# -- notes -----------------------------------------------------------------------------------------


def _previous_notes(root: Path) -> dict[str, dict[str, str]]:
    details = root / NOTES_DETAILS
    if not details.is_file():
        return {}
    with details.open("rb") as stream:
        return {row["noteId"]: row for row in read_csv_rows(stream) if row.get("noteId")}


def download_notes(notes: Any, out: Path, progress: Progress | None = None,
                   report: DownloadReport | None = None) -> DownloadReport:
    """Every note (``NotesService.iter_all`` then ``get``) as a text file, with a details CSV; resumable."""
    from pyicloud.services.notes.service import NoteLockedError, NoteNotFound

    report = report or DownloadReport(folder=out)
    root = safe_join(out, NOTES_DIR)
    root.mkdir(parents=True, exist_ok=True)
    previous = _previous_notes(root)
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    with service_errors("Notes"):
        for summary in notes.iter_all():
            deleted = bool(summary.is_deleted)
            folder = DELETED_FOLDER if deleted else (summary.folder_name or "Notes")
            title = (summary.title or summary.snippet or "").strip() or "Untitled"
            modified = _utc(summary.modified_at)
            row = {"fileName": "", "noteId": str(summary.id), "title": title, "folder": folder,
                   "modified": _stamp(modified), "deleted": "yes" if deleted else "no", "locked": "no"}
            rows.append(row)
            if summary.is_locked:
                row["locked"] = "yes"
                report.notes_locked += 1
                continue
            rel = _note_name(folder, title, str(summary.id), used)
            old = previous.get(row["noteId"], {})
            if old.get("fileName") and old["fileName"] != rel:
                safe_join(root, old["fileName"]).unlink(missing_ok=True)  # renamed or moved since the last run
            target = safe_join(root, rel)
            row["fileName"] = rel
            if old.get("modified") == row["modified"] and old.get("fileName") == rel and target.is_file():
                report.skipped += 1
                continue
            try:
                note = notes.get(summary.id)
            except NoteLockedError:
                row["fileName"], row["locked"] = "", "yes"
                report.notes_locked += 1
                continue
            except NoteNotFound:
                rows.pop()
                report.warnings.append(f"note {title!r} disappeared while downloading")
                continue
            text = note.text
            if text is None:
                report.warnings.append(f"note {title!r}: its body could not be decoded; only its preview is kept")
                text = summary.snippet or ""
            atomic_write_bytes(target, text.replace(_ATTACHMENT_MARK, "").encode("utf-8"))
            if modified is not None:
                os.utime(target, (modified.timestamp(), modified.timestamp()))
            report.notes += 1
            if progress is not None:
                progress("notes", report.notes, 0)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(NOTES_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(root / NOTES_DETAILS, buffer.getvalue().encode("utf-8"))
    _write_marker(out, "notes")
    return report


def _note_name(folder: str, title: str, note_id: str, used: set[str]) -> str:
    """``<folder>/<title>.txt``, unique within the download (two notes may share a title)."""
    stem = title_component(title.splitlines()[0][:120] if title else "", "Untitled")
    rel = f"{title_component(folder, 'Notes')}/{stem}.txt"
    if rel.lower() in used:
        rel = f"{title_component(folder, 'Notes')}/{stem}-{hashlib.sha1(note_id.encode()).hexdigest()[:8]}.txt"
    used.add(rel.lower())
    return rel


# -- reminders -------------------------------------------------------------------------------------


def _uid(record_id: str) -> str:
    """A CloudKit record name without its type prefix (``Reminder/ABC`` → ``ABC``)."""
    return record_id.split("/", 1)[1] if "/" in record_id else record_id


def _text(name: str, value: str | None) -> str:
    return fold(f"{name}:{ical_escape(value)}") if value else ""


def _calendar_header(name: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + fold(f"PRODID:{PRODID}") + "CALSCALE:GREGORIAN\r\n"
            + fold(f"X-WR-CALNAME:{ical_escape(name)}"))


def reminder_ics(reminder: Any) -> str:
    """One pyicloud ``Reminder`` as a VTODO block."""
    lines = ["BEGIN:VTODO\r\n", fold(f"UID:{_uid(str(reminder.id))}"), _text("SUMMARY", reminder.title),
             _text("DESCRIPTION", reminder.desc)]
    due = _utc(reminder.due_date)
    if due is not None:
        lines.append(f"DUE;VALUE=DATE:{due:%Y%m%d}\r\n" if reminder.all_day else f"DUE:{ical_utc(due)}\r\n")
    completed_at = _utc(reminder.completed_date)
    lines.append(f"STATUS:{'COMPLETED' if reminder.completed else 'NEEDS-ACTION'}\r\n")
    if completed_at is not None:
        lines.append(f"COMPLETED:{ical_utc(completed_at)}\r\n")
    if reminder.priority:
        lines.append(f"PRIORITY:{int(reminder.priority)}\r\n")
    for name, value in (("CREATED", reminder.created), ("LAST-MODIFIED", reminder.modified)):
        if _utc(value) is not None:
            lines.append(f"{name}:{ical_utc(_utc(value))}\r\n")  # type: ignore[arg-type]
    if reminder.parent_reminder_id:
        lines.append(fold(f"RELATED-TO:{_uid(str(reminder.parent_reminder_id))}"))
    if reminder.flagged:
        lines.append("X-APPLE-FLAGGED:TRUE\r\n")
    lines.append("END:VTODO\r\n")
    return "".join(lines)


def download_reminders(reminders: Any, out: Path, progress: Progress | None = None,
                       report: DownloadReport | None = None) -> DownloadReport:
    """Every reminder list (``RemindersService.lists`` / ``list_reminders``) as ``<list>.ics``."""
    report = report or DownloadReport(folder=out)
    root = safe_join(out, REMINDERS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    with service_errors("Reminders"):
        for lst in reminders.lists():
            if lst.deleted or lst.is_group:
                continue
            result = reminders.list_reminders(list_id=lst.id, include_completed=True, results_limit=200)
            parts = [_calendar_header(lst.title)]
            for reminder in result.reminders:
                if reminder.deleted:
                    report.reminders_deleted += 1
                    continue
                parts.append(reminder_ics(reminder))
                report.reminders += 1
            parts.append("END:VCALENDAR\r\n")
            name = _unique(title_component(lst.title, "Reminders"), str(lst.id), names)
            _write_if_changed(safe_join(root, f"{name}.ics"), "".join(parts).encode("utf-8"), report)
            report.reminder_lists.append(lst.title)
            if progress is not None:
                progress("reminders", report.reminders, 0)
    _write_marker(out, "reminders")
    return report


def _unique(stem: str, key: str, used: set[str]) -> str:
    if stem.lower() in used:
        stem = f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
    used.add(stem.lower())
    return stem


# -- calendars -------------------------------------------------------------------------------------


def _apple_date(value: Any) -> datetime | None:
    """Apple's ``[YYYYMMDD, year, month, day, hour, minute, minutes]`` as a naive wall-clock datetime."""
    if not isinstance(value, (list, tuple)) or len(value) < 6:
        return None
    try:
        return datetime(int(value[1]), int(value[2]), int(value[3]), int(value[4]), int(value[5]))
    except (TypeError, ValueError):
        return None


def event_ics(event: dict[str, Any]) -> str:
    """One event of Apple's Calendar web API (``CalendarService.get_events``) as a VEVENT block.

    Apple gives wall-clock start/end times with the event's zone apart (``tz``); they are written
    with that ``TZID`` (floating when the event has none). All-day events are DATE values.
    """
    start, end = _apple_date(event.get("startDate")), _apple_date(event.get("endDate"))
    if start is None:
        return ""
    duration = int(event.get("duration") or 0)
    lines = ["BEGIN:VEVENT\r\n", fold(f"UID:{event.get('guid') or hashlib.sha1(repr(event).encode()).hexdigest()}"),
             _text("SUMMARY", event.get("title"))]
    if event.get("allDay"):
        days = max(1, round(duration / 1440)) if duration else 1
        last = end.date() if end is not None and end.date() > start.date() else start.date() + timedelta(days=days)
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}\r\n", f"DTEND;VALUE=DATE:{last:%Y%m%d}\r\n"]
    else:
        tz = str(event.get("tz") or "")
        if end is None or end <= start:
            end = start + timedelta(minutes=duration)
        prefix = f";TZID={tz}" if tz and tz.lower() != "floating" else ""
        lines += [fold(f"DTSTART{prefix}:{start:%Y%m%dT%H%M%S}"), fold(f"DTEND{prefix}:{end:%Y%m%dT%H%M%S}")]
    lines += [_text("LOCATION", event.get("location")), _text("DESCRIPTION", event.get("description")),
              fold(f"URL:{event['url']}") if event.get("url") else ""]
    for name, key in (("CREATED", "createdDate"), ("LAST-MODIFIED", "lastModifiedDate")):
        when = _apple_date(event.get(key))
        if when is not None:
            lines.append(f"{name}:{ical_utc(when.replace(tzinfo=UTC))}\r\n")
    if event.get("transparent"):
        lines.append("TRANSP:TRANSPARENT\r\n")
    lines.append("END:VEVENT\r\n")
    return "".join(lines)


def _months(first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start = datetime(year, month, 1)  # the Calendar API takes wall-clock dates
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        yield start, datetime(year, month, 1) - timedelta(days=1)


def download_calendars(calendar: Any, out: Path, first: date, last: date, progress: Progress | None = None,
                       report: DownloadReport | None = None) -> DownloadReport:
    """Every calendar's events from ``first`` to ``last`` (month by month, as Apple's web API serves them).

    Each calendar streams into its own ``<calendar>.ics``; an event seen in two months is written once.
    """
    report = report or DownloadReport(folder=out)
    root = safe_join(out, CALENDARS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    with service_errors("Calendars"), contextlib.ExitStack() as stack:
        titles = {str(c.get("guid")): str(c.get("title") or "Calendar")
                  for c in calendar.get_calendars(as_objs=False) or [] if isinstance(c, dict)}
        handles: dict[str, Any] = {}
        names: set[str] = set()
        seen: set[tuple[str, str]] = set()
        for start, end in _months(first, last):
            for event in calendar.get_events(from_dt=start, to_dt=end, period="month", as_objs=False) or []:
                pguid, guid = str(event.get("pGuid") or ""), str(event.get("guid") or "")
                if (pguid, guid) in seen:
                    continue
                seen.add((pguid, guid))
                text = event_ics(event)
                if not text:
                    continue
                handle = handles.get(pguid)
                if handle is None:
                    title = titles.get(pguid, pguid or "Calendar")
                    name = _unique(title_component(title, "Calendar"), pguid, names)
                    handle = stack.enter_context(atomic_writer(safe_join(root, f"{name}.ics")))
                    handle.write(_calendar_header(title).encode("utf-8"))
                    handles[pguid] = handle
                    report.calendars.append(title)
                handle.write(text.encode("utf-8"))
                report.events += 1
            if progress is not None:
                progress("calendar events", report.events, 0)
        for handle in handles.values():
            handle.write(b"END:VCALENDAR\r\n")
    _write_marker(out, "calendars")
    return report


# -- contacts --------------------------------------------------------------------------------------


def _label(value: Any) -> str:
    """Apple's web labels (``MOBILE``, ``HOME_FAX``, ``IPHONE``) as the app shows them; custom labels kept."""
    label = str(value or "").strip()
    if label.upper() == "IPHONE":
        return "iPhone"
    return label.replace("_", " ").capitalize() if label.isupper() else label


def contact_vcf(contact: dict[str, Any], photo: bytes | None = None) -> str:
    """One contact of Apple's Contacts web API (``ContactsService.all``) as a vCard 3.0."""
    def get(key: str) -> str:
        return str(contact.get(key) or "").strip()

    def esc(value: str) -> str:
        return ical_escape(value)

    first, last, middle = get("firstName"), get("lastName"), get("middleName")
    full = " ".join(p for p in (get("prefix"), first, middle, last, get("suffix")) if p)
    if contact.get("isCompany") or not full:
        full = get("companyName") or full
    lines = ["BEGIN:VCARD\r\n", "VERSION:3.0\r\n", fold(f"PRODID:{PRODID}"),
             fold("N:" + ";".join(esc(v) for v in (last, first, middle, get("prefix"), get("suffix")))),
             fold(f"FN:{esc(full)}")]
    if get("nickName"):
        lines.append(fold(f"NICKNAME:{esc(get('nickName'))}"))
    if get("companyName") or get("department"):
        lines.append(fold(f"ORG:{esc(get('companyName'))};{esc(get('department'))}"))
    if get("jobTitle"):
        lines.append(fold(f"TITLE:{esc(get('jobTitle'))}"))
    item = 0
    for key, prop in (("phones", "TEL"), ("emailAddresses", "EMAIL"), ("urls", "URL"), ("streetAddresses", "ADR")):
        for entry in contact.get(key) or []:
            if not isinstance(entry, dict):
                continue
            value = entry.get("field")
            if prop == "ADR":
                if not isinstance(value, dict):
                    continue
                value = ";".join(esc(str(value.get(k) or "")) for k in
                                 ("", "", "street", "city", "state", "postalCode", "country"))
            elif not value:
                continue
            else:
                value = esc(str(value)) if prop != "URL" else str(value)
            item += 1
            extra = ";type=INTERNET" if prop == "EMAIL" else ""
            lines.append(fold(f"item{item}.{prop}{extra}:{value}"))
            if _label(entry.get("label")):
                lines.append(fold(f"item{item}.X-ABLabel:{esc(_label(entry.get('label')))}"))
    if get("birthday"):
        lines.append(f"BDAY:{get('birthday')}\r\n")
    if get("notes"):
        lines.append(fold(f"NOTE:{esc(get('notes'))}"))
    if photo:
        lines.append(fold("PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(photo).decode()))
    if get("contactId"):
        lines.append(fold(f"UID:{get('contactId')}"))
    lines.append("END:VCARD\r\n")
    return "".join(lines)


def _photo(session: Any, contact: dict[str, Any], report: DownloadReport) -> bytes | None:
    url = (contact.get("photo") or {}).get("url") if isinstance(contact.get("photo"), dict) else None
    if not url:
        return None
    try:
        response = session.get(url)
    except Exception as exc:  # a missing picture must not stop the contacts
        report.warnings.append(f"contact photo not downloaded ({type(exc).__name__})")
        return None
    if getattr(response, "status_code", 200) >= 400:
        report.warnings.append(f"contact photo not downloaded (HTTP {response.status_code})")
        return None
    return bytes(response.content or b"") or None


def download_contacts(contacts: Any, out: Path, progress: Progress | None = None,
                      report: DownloadReport | None = None) -> DownloadReport:
    """Every contact (``ContactsService.all``), with its photo, into ``iCloud Contacts/Contacts.vcf``."""
    report = report or DownloadReport(folder=out)
    root = safe_join(out, CONTACTS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    target = safe_join(root, "Contacts.vcf")
    with service_errors("Contacts"):
        try:
            people = contacts.all or []
        except (KeyError, ValueError, TypeError) as exc:  # pyicloud reads the answer without checking it
            raise IcloudError(f"Contacts: iCloud gave an unexpected answer (no {exc}); "
                              "the session may have expired: run  reclaim icloud login  again") from exc
        buffer = io.BytesIO()
        for contact in people:
            if isinstance(contact, dict):
                buffer.write(contact_vcf(contact, _photo(contacts.session, contact, report)).encode("utf-8"))
                report.contacts += 1
        _write_if_changed(target, buffer.getvalue(), report)
    if progress is not None:
        progress("contacts", report.contacts, 0)
    _write_marker(out, "contacts")
    return report
