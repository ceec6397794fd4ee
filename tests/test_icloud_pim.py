"""``reclaim icloud download`` of Notes, Reminders, Contacts and Calendars, through pyicloud's real services.

pyicloud's ``NotesService``, ``RemindersService``, ``ContactsService`` and ``CalendarService`` run
unmodified on a ``requests`` session whose transport answers like iCloud. Notes and Reminders
answer from the sanitised CloudKit responses in the corpus (icloud-responses/notes and
/reminders, pyicloud's own fixtures; the note with a real body is the rendering fixture's, put
back into CloudKit's wire form). Made here and marked: a "Recently Deleted" copy of the
synthetic note, a completed copy of the synthetic reminder, and all of Contacts and Calendars
(the corpus has no recorded answers for them: the shapes follow pyicloud's ``contacts.py`` and
``calendar.py`` and the fields Apple's web apps send). No network. What is asserted is what a
person checks in the case after ``reclaim scan`` of the downloaded folder.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image
from requests.adapters import BaseAdapter

from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.icloud import pim
from reclaim.icloud.download import MARKER, IcloudError
from reclaim.sources.icloud_download import open_icloud_download

ROOT = "https://p00-ckdatabasews.icloud.example"
CONTACTS_ROOT = "https://p00-contactsws.icloud.example"
CALENDAR_ROOT = "https://p00-calendarws.icloud.example"
KINDS = ["icloud-notes", "icloud-reminders", "icloud-contacts", "icloud-calendar"]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


PHOTO = _jpeg()

# Made here (no recorded Contacts answers): the shape of /co/startup and /co/contacts that
# pyicloud's ContactsService reads (prefToken, syncToken, contacts[]).
CONTACTS = [
    {"contactId": "C0FFEE-1", "firstName": "Ada", "lastName": "Lovelace", "companyName": "Analytical Engines",
     "jobTitle": "Engineer", "phones": [{"label": "MOBILE", "field": "+44 20 7946 0018"}],
     "emailAddresses": [{"label": "HOME", "field": "ada@example.org"}],
     "streetAddresses": [{"label": "HOME", "field": {"street": "12 St James's Square", "city": "London",
                                                      "postalCode": "SW1Y 4JH", "country": "United Kingdom"}}],
     "birthday": "1815-12-10", "notes": "First programmer; wrote notes, G", "isCompany": False,
     "photo": {"url": "https://photos.icloud.example/ada.jpg"}},
    {"contactId": "C0FFEE-2", "companyName": "Acme Plumbing", "isCompany": True,
     "phones": [{"label": "Emergency line", "field": "0800 123 456"}]},
]
# Made here (no recorded Calendar answers): /ca/allcollections and /ca/events as pyicloud's
# CalendarService reads them (Collection[], Event[] with Apple's 7-element date lists).
CALENDARS = [{"guid": "home", "title": "Home"}, {"guid": "work", "title": "Work"}]
EVENTS = {
    (2024, 6): [
        {"pGuid": "home", "guid": "EVT-1", "title": "Dentist", "tz": "Europe/London", "allDay": False,
         "duration": 45, "startDate": ["20240615", 2024, 6, 15, 14, 0, 840],
         "endDate": ["20240615", 2024, 6, 15, 14, 45, 555], "location": "12 High St, Bath",
         "description": "Bring the form", "createdDate": ["20240601", 2024, 6, 1, 9, 30, 570]},
        {"pGuid": "work", "guid": "EVT-2", "title": "Offsite", "tz": "", "allDay": True, "duration": 1440,
         "startDate": ["20240620", 2024, 6, 20, 0, 0, 0], "endDate": ["20240620", 2024, 6, 20, 0, 0, 0]},
    ],
}


def _load(corpus: Path, name: str) -> dict[str, Any]:
    return json.loads((corpus / "icloud-responses" / name).read_text("utf-8"))


def _rendered_note(corpus: Path) -> dict[str, Any]:
    """The rendering fixture's note (a real gzipped Notes body) in CloudKit's wire form."""
    note = _load(corpus, "notes/note_rendering_fixture.json")["note"]
    fields = {name: {"type": "ENCRYPTED_BYTES", "value": value["__bytes__"]}
              for name, value in note["fields"].items() if isinstance(value, dict) and "__bytes__" in value}
    modified = datetime.fromisoformat(note["fields"]["ModificationDate"])
    fields["ModificationDate"] = {"type": "TIMESTAMP", "value": int(modified.timestamp() * 1000)}
    fields["Deleted"] = {"type": "INT64", "value": 0}
    fields["Folder"] = {"type": "REFERENCE", "value": {"recordName": "DefaultFolder-CloudKit", "action": "VALIDATE"}}
    return {"recordName": note["recordName"], "recordType": "Note", "recordChangeTag": "rendered",
            "zoneID": {"zoneName": "Notes", "zoneType": "REGULAR_CUSTOM_ZONE"}, "fields": fields}


class RecordedICloud(BaseAdapter):
    """Answers the four services' requests; ``refuse`` maps a URL part to an HTTP status to answer instead."""

    def __init__(self, corpus: Path, refuse: dict[str, int] | None = None) -> None:
        super().__init__()
        self.refuse = refuse or {}
        self.requests: list[str] = []
        self.bodies: list[str] = []  # the record lookups' request bodies
        changes = _load(corpus, "notes/notes_changes_zone_response.json")["zones"][0]["records"]
        lookup = _load(corpus, "notes/notes_lookup_note_response.json")["records"]
        folders = _load(corpus, "notes/notes_query_folders_response.json")["records"]
        deleted = json.loads(json.dumps(lookup[0]))  # made here: the synthetic note, in Recently Deleted
        deleted["recordName"] = "Note/NOTE-DELETED"
        deleted["fields"]["Deleted"]["value"] = 1
        deleted["fields"]["TitleEncrypted"]["value"] = "Old shopping list"
        self.note_changes = [*changes, _rendered_note(corpus), deleted]
        self.note_pool = {r["recordName"]: r for r in [*lookup, *folders, _rendered_note(corpus), deleted]}
        self.lists = _load(corpus, "reminders/reminders_query_lists_response.json")["records"]
        reminders = _load(corpus, "reminders/reminders_query_reminders_response.json")["records"]
        done = json.loads(json.dumps(reminders[0]))  # made here: the same reminder, completed
        done["recordName"] = "Reminder/REM-DONE"
        done["fields"]["Completed"]["value"] = 1
        done["fields"]["CompletionDate"] = {"type": "TIMESTAMP", "value": 1735830000000}
        self.reminders = [*reminders, done]

    def _cloudkit(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        if "com.apple.notes" in url:
            if "/changes/zone" in url:
                types = body["zones"][0].get("desiredRecordTypes") or []
                records = [r for r in self.note_changes if not types or r.get("recordType", types[0]) in types]
                return {"zones": [{"zoneID": {"zoneName": "Notes", "zoneType": "REGULAR_CUSTOM_ZONE"},
                                   "syncToken": "notes-zone-sync-token-fixture", "moreComing": False,
                                   "records": records}]}
            if "/records/lookup" in url:
                names = [r["recordName"] for r in body.get("records", [])]
                return {"records": [self.note_pool[n] for n in names if n in self.note_pool]}
            return {"records": []}
        if "/changes/zone" in url:
            types = body["zones"][0].get("desiredRecordTypes") or []
            records = self.lists if types == ["List"] else []
            return {"zones": [{"zoneID": {"zoneName": "Reminders", "zoneType": "REGULAR_CUSTOM_ZONE"},
                               "syncToken": "reminders-zone-sync-token-fixture", "moreComing": False,
                               "records": records}]}
        if body.get("query", {}).get("recordType") == "reminderList":
            return {"records": self.reminders, "syncToken": "reminders-query-reminders-sync-token-fixture"}
        return {"records": []}

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, bytes]:
        url = request.url or ""
        for part, status in self.refuse.items():
            if part in url:
                return status, b'{"reason": "refused"}'
        path = urlparse(url).path
        if url.startswith(ROOT):
            return 200, json.dumps(self._cloudkit(url, json.loads(request.body or b"{}"))).encode()
        if path == "/co/startup":
            return 200, b'{"prefToken": "pref", "syncToken": "sync"}'
        if path == "/co/contacts":
            return 200, json.dumps({"contacts": CONTACTS}).encode()
        if url.startswith("https://photos.icloud.example/"):
            return 200, PHOTO
        if path == "/ca/allcollections":
            return 200, json.dumps({"Collection": CALENDARS}).encode()
        if path == "/ca/events":
            query = dict(p.split("=", 1) for p in urlparse(url).query.split("&"))
            start = datetime.strptime(query["startDate"], "%Y-%m-%d")
            return 200, json.dumps({"Event": EVENTS.get((start.year, start.month), [])}).encode()
        return 404, b"{}"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(f"{request.method} {request.url}")
        if "/records/lookup" in (request.url or ""):
            self.bodies.append(str(request.body))
        status, body = self._answer(request)
        response = requests.Response()
        response.status_code = status
        response.url = request.url or ""
        response.request = request
        response.headers["Content-Type"] = "application/json"
        response.raw = io.BytesIO(body)
        return response

    def close(self) -> None:
        pass


def _services(adapter: RecordedICloud) -> SimpleNamespace:
    from pyicloud.services.calendar import CalendarService
    from pyicloud.services.contacts import ContactsService
    from pyicloud.services.notes import NotesService
    from pyicloud.services.reminders import RemindersService

    session = requests.Session()
    session.mount("https://", adapter)
    session.service = SimpleNamespace(data={"dsInfo": {"dsid": "12345"}})  # type: ignore[attr-defined]
    params = {"dsid": "12345"}
    return SimpleNamespace(notes=NotesService(ROOT, session, params), reminders=RemindersService(ROOT, session, params),
                           contacts=ContactsService(CONTACTS_ROOT, session, params),
                           calendar=CalendarService(CALENDAR_ROOT, session, params))


def _download(api: SimpleNamespace, out: Path) -> dict[str, Any]:
    return {"notes": pim.download_notes(api.notes, out), "reminders": pim.download_reminders(api.reminders, out),
            "contacts": pim.download_contacts(api.contacts, out),
            "calendars": pim.download_calendars(api.calendar, out, date(2024, 5, 1), date(2024, 7, 31))}


def test_notes_reminders_contacts_calendars_end_up_in_the_case(corpus: Path, tmp_path: Path) -> None:
    adapter = RecordedICloud(corpus)
    out = tmp_path / "icloud"
    reports = _download(_services(adapter), out)
    assert (reports["notes"].notes, reports["reminders"].reminders, reports["contacts"].contacts,
            reports["calendars"].events) == (3, 2, 2, 2)
    # the synthetic fixture's body is not a Notes protobuf: its preview is kept, and the user told
    assert any("Synthetic note" in w and "preview" in w for w in reports["notes"].warnings)
    assert json.loads((out / MARKER).read_text())["parts"] == ["calendars", "contacts", "notes", "reminders"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "iCloud Calendars/Home.ics", "iCloud Calendars/Work.ics", "iCloud Contacts/Contacts.vcf",
        "iCloud Notes/Notes Details.csv", "iCloud Notes/Notes/pyicloud notes service test.txt",
        "iCloud Notes/Recently Deleted/Old shopping list.txt", "iCloud Notes/Synthetic Folder/Synthetic note.txt",
        "iCloud Reminders/Synthetic List.ics",
        "reclaim-icloud.json"]

    with open_icloud_download(out) as fs:
        scan(fs, tmp_path / "case", kinds=KINDS)
    with CaseReader(tmp_path / "case") as reader:
        notes = {r["title"]: r for r in reader.records("notes")}
        reminders = {r["id"]: r for r in reader.records("reminders")}
        contacts = {r["name"]: r for r in reader.records("contacts")}
        events = {r["title"]: r for r in reader.records("calendar")}

    rendered = notes["pyicloud notes service test"]
    assert rendered["text"].startswith("pyicloud notes service test\n\nApple Notes Guide v1\n")
    assert "This is bold text." in rendered["text"] and "\ufffc" not in rendered["text"]
    # its folder is not in the recorded answers: "Notes", the app's default folder
    assert rendered["folder"] == "Notes" and rendered["modified"].startswith("2025-12-12T01:32:14")
    assert rendered["deleted"] is False and rendered["uid"] == "NOTE_RECORD_0001"
    synthetic = notes["Synthetic note"]
    assert (synthetic["text"], synthetic["modified"]) == ("Synthetic snippet", "2025-01-02T00:00:00Z")
    assert synthetic["folder"] == "Synthetic Folder"  # named by the recorded folder record
    old = notes["Old shopping list"]
    assert old["deleted"] is True and old["folder"] == "Recently Deleted"

    open_one, done = reminders["reminders:icloud:REM-FIXTURE"], reminders["reminders:icloud:REM-DONE"]
    assert (open_one["title"], open_one["notes"], open_one["list"]) == ("Fixture Reminder", "Fixture notes",
                                                                         "Synthetic List")
    assert open_one["due"] == "2025-01-03T00:00:00Z" and open_one["completed"] is False
    assert done["completed"] is True and done["completed_at"] == "2025-01-02T15:00:00Z"

    ada = contacts["Ada Lovelace"]
    assert ada["phones"] == [{"label": "Mobile", "value": "+44 20 7946 0018"}]
    assert ada["emails"] == [{"label": "Home", "value": "ada@example.org"}]
    assert ada["addresses"][0]["city"] == "London" and ada["birthday"] == "1815-12-10"
    assert ada["note"] == "First programmer; wrote notes, G" and ada["photo"] is not None
    assert contacts["Acme Plumbing"]["phones"] == [{"label": "Emergency line", "value": "0800 123 456"}]

    dentist = events["Dentist"]
    # 14:00 in London in June is 13:00 UTC
    assert (dentist["start"], dentist["end"]) == ("2024-06-15T13:00:00Z", "2024-06-15T13:45:00Z")
    assert (dentist["calendar"], dentist["timezone"], dentist["location"]) == ("Home", "Europe/London",
                                                                               "12 High St, Bath")
    offsite = events["Offsite"]
    assert offsite["all_day"] is True and offsite["calendar"] == "Work" and offsite["start"] == "2024-06-20T00:00:00Z"


def test_rerun_skips_unchanged_notes_and_rewrites_nothing(corpus: Path, tmp_path: Path) -> None:
    adapter = RecordedICloud(corpus)
    out = tmp_path / "icloud"
    _download(_services(adapter), out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.txt")}
    adapter.requests.clear()
    adapter.bodies.clear()
    again = _download(_services(adapter), out)
    assert (again["notes"].notes, again["notes"].skipped) == (0, 3)
    assert adapter.bodies and not any("TextDataEncrypted" in body for body in adapter.bodies)  # no body again
    assert again["reminders"].unchanged == 1 and again["contacts"].unchanged == 1
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.txt")} == before
    assert not list(out.rglob(".reclaim-*"))  # no temporary file left behind


@pytest.mark.parametrize(("refused", "status", "message"), [
    ("com.apple.notes", 401, "Notes: iCloud refused access .*Advanced Data Protection"),
    ("com.apple.reminders", 503, "Reminders: iCloud answered with an error"),
    ("/co/startup", 421, "Contacts: iCloud gave an unexpected answer .*reclaim icloud login"),
])
def test_refusals_become_one_line(corpus: Path, tmp_path: Path, refused: str, status: int, message: str) -> None:
    api = _services(RecordedICloud(corpus, refuse={refused: status}))
    call = {"com.apple.notes": lambda: pim.download_notes(api.notes, tmp_path),
            "com.apple.reminders": lambda: pim.download_reminders(api.reminders, tmp_path),
            "/co/startup": lambda: pim.download_contacts(api.contacts, tmp_path)}[refused]
    with pytest.raises(IcloudError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
    assert not (tmp_path / "iCloud Notes" / "Notes Details.csv").exists()


def test_service_not_enabled_and_expired_session(tmp_path: Path) -> None:
    from pyicloud.exceptions import PyiCloudAuthRequiredException, PyiCloudServiceNotActivatedException

    with pytest.raises(IcloudError, match="Notes: not enabled for this Apple ID"), pim.service_errors("Notes"):
        raise PyiCloudServiceNotActivatedException("Webservice not available: ckdatabasews")
    expired = PyiCloudAuthRequiredException("ada@example.org", requests.Response())
    with pytest.raises(IcloudError, match="session has expired; run  reclaim icloud login"), \
            pim.service_errors("Calendars"):
        raise expired


def test_cli_picks_parts_like_the_existing_flags() -> None:
    import argparse

    from reclaim.commands.icloud import add_arguments, selected_parts

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    base = ["download", "--apple-id", "a@b.c", "-o", "x"]
    assert selected_parts(parser.parse_args(base)) == ["photos", "notes", "reminders", "contacts", "calendars"]
    assert selected_parts(parser.parse_args([*base, "--drive"])) == ["drive"]
    assert selected_parts(parser.parse_args([*base, "--photos", "--notes"])) == ["photos", "notes"]
    assert selected_parts(parser.parse_args([*base, "--no-photos", "--no-contacts"])) == [
        "notes", "reminders", "calendars"]


def test_vcard_and_ical_text_are_escaped_and_folded() -> None:
    card = pim.contact_vcf({"firstName": "Zoë", "lastName": "O'Neil;Smith", "notes": "a,b\nc" + "é" * 80})
    assert "N:O'Neil\\;Smith;Zoë;;;\r\n" in card
    lines = card.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "NOTE:a\\,b\\nc" in card.replace("\r\n ", "")  # unfolded, the value is escaped


def test_cli_download_prints_one_line_per_refused_part(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from pyicloud.exceptions import PyiCloudServiceNotActivatedException

    from reclaim.cli import main

    services = _services(RecordedICloud(corpus))

    class Account:  # what sign_in returns: pyicloud's service properties, Notes not enabled
        reminders, contacts, calendar = services.reminders, services.contacts, services.calendar

        @property
        def notes(self) -> Any:
            raise PyiCloudServiceNotActivatedException("Webservice not available: ckdatabasews")

    monkeypatch.setattr("reclaim.commands.icloud.sign_in", lambda apple_id, folder: Account())
    out = tmp_path / "icloud"
    code = main(["icloud", "download", "--apple-id", "a@example.org", "-o", str(out), "--no-photos",
                 "--calendar-years", "3"])
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())  # rich wraps long lines
    assert code == 1 and "Traceback" not in printed
    assert "Notes: not enabled for this Apple ID" in printed
    assert "Reminders: 2 in 1 lists" in printed and "Contacts: 2" in printed
    assert (out / "iCloud Reminders" / "Synthetic List.ics").is_file()
