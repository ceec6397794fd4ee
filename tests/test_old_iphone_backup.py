"""An iPhone 4's computer backup, end to end: ``reclaim recover`` on a Manifest.mbdb backup of iOS 4 gives its text
messages, calendar and Safari history in the report and the natural formats, and leaves the backup as it was.
The files it writes all get the permissions a plain ``open()`` gives."""

from __future__ import annotations

import csv
import hashlib
import json
import stat
from pathlib import Path

import icalendar
import pytest
from test_calendar_legacy import MEETING_START, build_database
from test_messages_legacy import JPEG, PRIYA, address_book, ios4_db
from test_safari_legacy import BBC, BBC_VISIT, PAGES, history_plist

from reclaim.cli import main
from reclaim.output import FILE_MODE
from reclaim.sample.builder import write_legacy_backup
from reclaim.sample.model import SAMPLE_DEVICE, SampleFile


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def iphone4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The backup (files flat beside Manifest.mbdb, as iTunes wrote them for iOS 4)."""
    root = tmp_path_factory.mktemp("iphone4")
    build_database(root / "Calendar.sqlitedb")
    files = [
        SampleFile("HomeDomain", "Library/SMS/sms.db", ios4_db(root / "sms.db")),
        SampleFile("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb", address_book(root / "ab.db")),
        SampleFile("MediaDomain", "Library/SMS/Parts/9d/14/3-1.jpg", JPEG),
        SampleFile("HomeDomain", "Library/Calendar/Calendar.sqlitedb", (root / "Calendar.sqlitedb").read_bytes()),
        SampleFile("HomeDomain", "Library/Safari/History.plist", history_plist(PAGES)),
    ]
    device = {**SAMPLE_DEVICE, "Product Type": "iPhone3,1", "Device Name": "Old iPhone"}
    return write_legacy_backup(root / "backup", files, device=device, product_version="4.3.3")


def test_recover_reads_an_ios4_backup_into_every_format(iphone4: Path, tmp_path: Path) -> None:
    before = _tree(iphone4)
    out = tmp_path / "report"
    assert main(["recover", str(iphone4), "-o", str(out)]) == 0
    assert _tree(iphone4) == before

    messages = {m["id"]: m for m in map(json.loads, (out / "json" / "messages.jsonl").read_text().splitlines())}
    first = messages["sms:1"]
    assert (first["text"], first["sender"], first["sender_id"]) == ("I'm waiting for you at the station",
                                                                    "Priya Shah", PRIYA)
    assert (first["date"], first["direction"], first["service"]) == ("2011-02-10T02:18:49Z", "incoming", "SMS")
    (picture,) = messages["sms:3"]["attachments"]
    sha = hashlib.sha256(JPEG).hexdigest()
    assert picture["sha256"] == sha
    assert hashlib.sha256((out / "media" / sha[:2] / f"{sha}.jpg").read_bytes()).hexdigest() == sha

    calendars = list(out.rglob("*.ics"))
    events = [e for path in calendars for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")]
    meeting = next(e for e in events if str(e["SUMMARY"]) == "Team meeting")
    assert int(meeting.decoded("DTSTART").timestamp()) == MEETING_START + 978_307_200  # 2001 epoch → Unix

    history = [row for path in out.rglob("*safari-history*.csv") for row in csv.DictReader(path.open())]
    bbc = next(row for row in history if row["url"] == BBC)
    assert bbc["date"] == BBC_VISIT and bbc["title"] == "BBC News - Home"

    index = (out / "index.html").read_text()
    assert "Old iPhone" in index and "4.3.3" in index
    listed = {line.split("  ", 1)[1] for line in (out / "manifest.sha256").read_text().splitlines()}
    assert "index.html" in listed and "json/messages.jsonl" in listed
    # Every file written the same way: as a plain open() would under the user's umask (none left private).
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()} == {FILE_MODE}
