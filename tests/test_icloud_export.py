"""Apple's Data & Privacy export: zips split in parts, read into the same records as the phone's kinds.

The export here is built in the test from the layout documented in docs/icloud.md (no real
export is public); what is asserted is what a person would check: names, numbers, dates
in UTC, albums, a photo's SHA-256, and that hostile zip members never get through.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sources.privacy_export import EXPORT_DOMAIN, looks_like_export, open_privacy_export

KINDS = ["icloud-contacts", "icloud-calendar", "icloud-reminders", "icloud-photos", "icloud-drive"]
HEADER = "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\r\n"


def _jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "JPEG")
    return out.getvalue()


PHOTO_1 = _jpeg((255, 0, 0))
PHOTO_2 = _jpeg((0, 255, 0))
PHOTO_3 = _jpeg((0, 0, 255))
PHOTO_4 = _jpeg((9, 9, 9))

VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iCloud Web Address Book//EN\r\n"
    "N:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nORG:Analytical Engines Ltd;Research;\r\nTITLE:Engineer\r\n"
    "item1.TEL;type=pref:+44 20 7946 0018\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:ada@example.org\r\n"
    "ADR;type=HOME;type=pref:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom\r\n"
    "BDAY:1815-12-10\r\nNOTE:First programmer\r\nPHOTO;ENCODING=b;TYPE=JPEG:"
    + __import__("base64").b64encode(PHOTO_4).decode() + "\r\n"
    "UID:11111111-2222-3333-4444-555555555555\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:Acme Plumbing\r\nORG:Acme Plumbing;\r\n"
    "TEL;type=WORK:0800 123 456\r\nUID:acme-1\r\nEND:VCARD\r\n"
)

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//iCloud//EN
X-WR-CALNAME:Home
BEGIN:VTIMEZONE
TZID:Europe/London
END:VTIMEZONE
BEGIN:VEVENT
UID:event-1@example
DTSTART;TZID=Europe/London:20240615T140000
DTEND;TZID=Europe/London:20240615T153000
SUMMARY:Dentist
LOCATION:High Street 5
DESCRIPTION:Bring the forms
RRULE:FREQ=YEARLY
ORGANIZER;CN=Ada Lovelace:mailto:ada@example.org
ATTENDEE;CN=Charles Babbage;PARTSTAT=ACCEPTED:mailto:charles@example.org
BEGIN:VALARM
TRIGGER:-PT30M
ACTION:DISPLAY
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:event-2@example
DTSTART;VALUE=DATE:20241225
DTEND;VALUE=DATE:20241226
SUMMARY:Christmas
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")

REMINDERS = """BEGIN:VCALENDAR
VERSION:2.0
X-WR-CALNAME:Groceries
BEGIN:VTODO
UID:todo-1
SUMMARY:Buy milk
DUE:20240502T090000Z
PRIORITY:1
CREATED:20240501T080000Z
END:VTODO
BEGIN:VTODO
UID:todo-2
SUMMARY:Semi-skimmed
RELATED-TO:todo-1
STATUS:COMPLETED
COMPLETED:20240502T100000Z
END:VTODO
END:VCALENDAR
""".replace("\n", "\r\n")


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A downloaded export: two photo parts, contacts, calendars and reminders, Drive, a hostile notes zip."""
    folder = tmp_path / "Apple export"
    folder.mkdir()
    p1, p2 = "iCloud Photos Part 1 of 2", "iCloud Photos Part 2 of 2"
    _zip(folder / f"{p1}.zip", {
        f"{p1}/Photos/IMG_0001.JPG": PHOTO_1,
        f"{p1}/Photos/IMG_0002.JPG": PHOTO_2,
        f"{p1}/Photos/IMG_0002.MOV": b"\x00\x00\x00\x14ftypqt  live",
        f"{p1}/Photos/Photo Details.csv": HEADER
        + 'IMG_0001.JPG,AQck1,yes,no,no,"Saturday June 4,2022 12:11 PM GMT",10,"Saturday June 4,2022 12:12 PM GMT"\r\n'
        + 'IMG_0002.JPG,AQck2,no,no,no,"Sunday June 5,2022 9:05 AM GMT",1,"Sunday June 5,2022 9:06 AM GMT"\r\n',
        f"{p1}/Albums/Holiday1.csv": "Images\r\nIMG_0001.JPG\r\n",
        f"{p1}/Albums/Holiday2.csv": "Images\r\nIMG_0003.JPG\r\n",
        f"{p1}/Albums/Summer 2022.csv": "Images\r\nIMG_0001.JPG\r\nIMG_0002.JPG\r\n",
    })
    _zip(folder / f"{p2}.zip", {
        f"{p2}/Photos/IMG_0003.JPG": PHOTO_3,
        f"{p2}/Photos/IMG_0004.JPG": PHOTO_4,
        f"{p2}/Photos/Photo Details.csv": HEADER
        + 'IMG_0003.JPG,AQck3,no,yes,no,"Monday December 25,2023 11:59 PM GMT",0,"x"\r\n'
        + 'IMG_0004.JPG,AQck4,no,no,yes,"Tuesday January 2,2024 1:00 AM GMT",0,"x"\r\n',
    })
    _zip(folder / "iCloud Contacts.zip", {"iCloud Contacts/iCloud Contacts.vcf": VCARDS})
    _zip(folder / "iCloud Calendars and Reminders.zip", {
        "iCloud Calendars and Reminders/Calendars/Home.ics": CALENDAR,
        "iCloud Calendars and Reminders/Reminders/Groceries.ics": REMINDERS,
    })
    _zip(folder / "iCloud Drive.zip", {"iCloud Drive/Documents/Taxes/report.pdf": b"%PDF-1.4 report"})
    with zipfile.ZipFile(folder / "iCloud Notes.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../escape.txt", b"outside")
        archive.writestr("/etc/passwd-copy", b"absolute")
        with archive.open("iCloud Notes/bomb.bin", "w") as member:
            for _ in range(40):
                member.write(bytes(1 << 20))
    (folder / "readme.txt").write_text("not part of the export")
    return folder


def test_export_is_recognised_and_unsafe_members_refused(export: Path, tmp_path: Path) -> None:
    assert looks_like_export(export)
    assert looks_like_export(export / "iCloud Photos Part 2 of 2.zip")
    assert not looks_like_export(tmp_path / "nothing")
    with open_privacy_export(export) as fs:
        paths = {e.path for e in fs.files()}
        assert all(e.domain == EXPORT_DOMAIN for e in fs.entries())
        assert "iCloud Photos Part 2 of 2/Photos/IMG_0003.JPG" in paths
        assert not any("escape" in p or "passwd" in p or "bomb" in p for p in paths)
        assert len(fs.skipped) == 3
        assert any("zip bomb" in s for s in fs.skipped)
        entry = fs.get(EXPORT_DOMAIN, "iCloud Drive/Documents/Taxes/report.pdf")
        assert entry is not None and fs.read_bytes(entry) == b"%PDF-1.4 report"
    # one part opened by name brings its sibling parts
    with open_privacy_export(export / "iCloud Photos Part 1 of 2.zip") as fs:
        assert fs.get(EXPORT_DOMAIN, "iCloud Photos Part 2 of 2/Photos/IMG_0004.JPG") is not None
        assert fs.get(EXPORT_DOMAIN, "iCloud Drive/Documents/Taxes/report.pdf") is None


@pytest.fixture
def case(export: Path, tmp_path: Path) -> Path:
    with open_privacy_export(export) as fs:
        result = scan(fs, tmp_path / "case", kinds=KINDS)
    counts = {k.kind: (k.live, k.deleted) for k in result.kinds}
    # The export's records join the same kinds as a backup's, so the report shows them in one place.
    assert counts == {"contacts": (2, 0), "calendar": (2, 0), "reminders": (2, 0), "photos": (3, 1),
                      "icloud-drive": (1, 0)}
    return tmp_path / "case"


def test_contacts_from_the_vcards(case: Path) -> None:
    with CaseReader(case) as reader:
        contacts = {r["name"]: r for r in reader.records("contacts")}
        ada = contacts["Ada Lovelace"]
        assert (ada["first"], ada["last"], ada["organization"], ada["department"], ada["job_title"]) == (
            "Ada", "Lovelace", "Analytical Engines Ltd", "Research", "Engineer")
        assert ada["phones"] == [{"label": "Mobile", "value": "+44 20 7946 0018"}]
        assert ada["emails"] == [{"label": "Home", "value": "ada@example.org"}]
        assert ada["addresses"][0]["value"] == "12 St James's Square, London, SW1Y 4JH, United Kingdom"
        assert ada["birthday"] == "1815-12-10" and ada["note"] == "First programmer"
        assert ada["photo"]["sha256"] == hashlib.sha256(PHOTO_4).hexdigest()
        assert ada["id"] == "contacts:icloud:11111111-2222-3333-4444-555555555555"
        assert contacts["Acme Plumbing"]["phones"] == [{"label": "Work", "value": "0800 123 456"}]


def test_events_and_reminders_from_the_icalendar_files(case: Path) -> None:
    with CaseReader(case) as reader:
        events = {r["title"]: r for r in reader.records("calendar")}
        reminders = {r["title"]: r for r in reader.records("reminders")}
    dentist = events["Dentist"]
    assert dentist["start"] == "2024-06-15T13:00:00Z" and dentist["end"] == "2024-06-15T14:30:00Z"  # BST → UTC
    assert (dentist["timezone"], dentist["calendar"], dentist["location"], dentist["notes"]) == (
        "Europe/London", "Home", "High Street 5", "Bring the forms")
    assert dentist["rrule"] == "FREQ=YEARLY"
    assert dentist["organizer"]["email"] == "ada@example.org"
    assert dentist["attendees"] == [{"name": "Charles Babbage", "email": "charles@example.org", "status": "ACCEPTED"}]
    assert dentist["alarms"] == [{"at": None, "minutes": 30}]
    christmas = events["Christmas"]
    assert christmas["all_day"] and christmas["start"] == "2024-12-25T00:00:00Z" and christmas["availability"] == "free"
    milk = reminders["Buy milk"]
    assert (milk["list"], milk["due"], milk["priority_label"], milk["completed"]) == (
        "Groceries", "2024-05-02T09:00:00Z", "high", False)
    sub = reminders["Semi-skimmed"]
    assert sub["completed"] and sub["completed_at"] == "2024-05-02T10:00:00Z" and sub["parent"] == "Buy milk"


def test_photos_with_capture_dates_albums_and_deleted(case: Path) -> None:
    with CaseReader(case) as reader:
        photos = {r["filename"]: r for r in reader.records("photos")}
        assert set(photos) == {"IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG", "IMG_0004.JPG"}
        one = photos["IMG_0001.JPG"]
        assert one["taken"] == "2022-06-04T12:11:00Z" and one["favorite"] and not one["hidden"]
        assert sorted(one["albums"]) == ["Holiday", "Summer 2022"]  # Holiday1/Holiday2 are chunks of one album
        assert one["media"]["sha256"] == hashlib.sha256(PHOTO_1).hexdigest()
        two = photos["IMG_0002.JPG"]
        assert two["media_type"] == "live" and two["live_video"]["size"] == 16 and two["albums"] == ["Summer 2022"]
        assert photos["IMG_0003.JPG"]["hidden"] and photos["IMG_0003.JPG"]["albums"] == ["Holiday"]
        assert photos["IMG_0003.JPG"]["taken"] == "2023-12-25T23:59:00Z"
        gone = photos["IMG_0004.JPG"]
        assert gone["deleted"] and gone["note"] == "in Recently Deleted"
        assert reader.records  # the case is complete


def test_drive_files_keep_their_folders(case: Path) -> None:
    with CaseReader(case) as reader:
        (item,) = list(reader.records("icloud-drive"))
    assert (item["name"], item["folder"], item["size"]) == ("report.pdf", "Documents/Taxes", 15)
    assert item["file"]["sha256"] == hashlib.sha256(b"%PDF-1.4 report").hexdigest()
    assert datetime.fromisoformat(item["modified"].replace("Z", "+00:00")).tzinfo == UTC


def test_an_export_zip_cut_short_gives_its_whole_members(export: Path) -> None:
    """A download of one part that stopped: the part was refused ("not a readable zip") and with it the export;
    its members before the cut are read, and the export says the part is cut short."""
    part = export / "iCloud Photos Part 2 of 2.zip"
    with zipfile.ZipFile(part) as archive:
        first = archive.infolist()[0]
        assert first.filename.endswith("IMG_0003.JPG")
        cut = first.header_offset + 30 + len(first.filename) + first.compress_size + 10  # into the second member
    part.write_bytes(part.read_bytes()[:cut])
    drive = export / "iCloud Drive.zip"
    renamed = drive.with_name("drive-download.zip")  # no part name: told by what its members are called
    renamed.write_bytes(drive.read_bytes()[:-30])  # its end (the list of members) lost
    drive.unlink()
    assert looks_like_export(renamed)
    with open_privacy_export(export) as fs:
        assert sorted(fs.info.warnings) == [
            f"{name} is cut short or damaged (its list of members is lost): 1 whole members were found from their own "
            "headers; the files after them are missing" for name in ("drive-download.zip", part.name)]
        photo = fs.get(EXPORT_DOMAIN, "iCloud Photos Part 2 of 2/Photos/IMG_0003.JPG")
        assert photo is not None and fs.read_bytes(photo) == PHOTO_3
        assert fs.get(EXPORT_DOMAIN, "iCloud Photos Part 2 of 2/Photos/IMG_0004.JPG") is None
        report = fs.get(EXPORT_DOMAIN, "iCloud Drive/Documents/Taxes/report.pdf")
        assert report is not None and fs.read_bytes(report) == b"%PDF-1.4 report"


def test_a_damaged_member_of_an_export_zip_is_one_clear_error(export: Path) -> None:
    """Bits flipped inside a photo's data: reading it is one error naming the zip and the member (it was zipfile's
    "Bad CRC-32", which stopped the kind); the other members still read."""
    from reclaim.errors import CorruptFile

    part = export / "iCloud Photos Part 2 of 2.zip"
    data = bytearray(part.read_bytes())
    with zipfile.ZipFile(part) as archive:
        first = archive.infolist()[0]
    data[first.header_offset + 30 + len(first.filename) + first.compress_size // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    with open_privacy_export(export) as fs:
        photo = fs.get(EXPORT_DOMAIN, "iCloud Photos Part 2 of 2/Photos/IMG_0003.JPG")
        with pytest.raises(CorruptFile, match=r"iCloud Photos Part 2 of 2.zip: iCloud Photos Part 2 of 2/Photos/"
                                              r"IMG_0003.JPG.*damaged in the archive"):
            fs.read_bytes(photo)
        report = fs.get(EXPORT_DOMAIN, "iCloud Drive/Documents/Taxes/report.pdf")
        assert fs.read_bytes(report) == b"%PDF-1.4 report"
