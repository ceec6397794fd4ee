"""Contacts: the real iOS 15 address book (against iLEAPP's recorded output) and the sample address book."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.artifacts._phone import ContactIndex, handle_key, person_name
from reclaim.artifacts.contacts import Contact, ContactsArtifact, birthday_text, clean_label
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.store import MediaStore
from reclaim.sample.content import contacts as sample
from reclaim.sample.model import SampleContext
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS

CASES = "ileapp/cases/addressBook"
RESULTS = "ileapp/results/addressBook"


def extract(fs, tmp: Path, recover: bool = True) -> tuple[list[Contact], ScanContext]:
    ctx = ScanContext(fs, MediaStore(tmp), ScanOptions(recover_deleted=recover), kind="contacts")
    return list(ContactsArtifact().extract(ctx)), ctx


def ileapp_rows(corpus: Path, image: str) -> list[dict]:
    data = json.loads(next((corpus / RESULTS).glob(f"*{image}*.json")).read_text(encoding="utf-8"))
    return [dict(zip(data["headers"], row, strict=True)) for row in data["data"]]


def _labelled(items: list[dict]) -> str | None:
    """Our list of {label, value} in iLEAPP's "Label: value" joined form (a missing label is a space)."""
    if not items:
        return None
    return "\r".join(f"{i['label'] or ' '}: {i['value']}" for i in items)


def test_josh_ios15_matches_ileapp_row_for_row(corpus: Path, tmp_path: Path) -> None:
    fs = open_source(next((corpus / CASES).glob("*josh_ios15*.zip")))
    contacts, ctx = extract(fs, tmp_path, recover=False)
    expected = ileapp_rows(corpus, "josh_ios15")
    assert len(contacts) == len(expected) == 9
    for ours, theirs in zip(contacts, expected, strict=True):
        assert ours.first == (theirs["First Name"] or "")
        assert ours.last == (theirs["Last Name"] or "")
        assert ours.organization == (theirs["Company"] or "")
        assert ours.created == datetime.fromtimestamp(theirs["Creation Date"], UTC)
        assert ours.modified == datetime.fromtimestamp(theirs["Modification Date"], UTC)
        assert ours.store == theirs["Storage Place"]
        assert _labelled(ours.phones) == theirs["Phone Numbers"]
        assert _labelled(ours.emails) == theirs["Email addresses"]
        assert _labelled(ours.urls) == theirs["URL"]
        # iLEAPP joins the address parts in key order with " - "; we keep them by name.
        if theirs["Addresses"]:
            (address,) = ours.addresses
            assert theirs["Addresses"] == "Work: " + " - ".join(
                address[k] for k in ("street", "zip", "city", "country_code", "state", "country"))
        assert (ours.photo is not None) == (theirs["Thumbnail"] is not None)
    assert ctx.warnings == []
    josh = next(c for c in contacts if c.name == "Josh Hickman")
    assert josh.phones == [{"label": "Mobile", "value": "(919) 579-0479"},
                           {"label": "TextNow", "value": "(919) 391-2507"}]
    apple = next(c for c in contacts if c.organization == "Apple Inc.")
    assert apple.name == "Apple Inc." and apple.addresses[0]["city"] == "Cupertino"
    me = next(c for c in contacts if c.is_me)
    assert me.name == "This Is DFIR"
    assert me.photo is not None and me.photo.mime == "image/png" and me.photo.size == 208637
    stored = (tmp_path / "media" / me.photo.sha256[:2] / me.photo.sha256).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == me.photo.sha256


def test_mvs_wal_only_address_book_is_empty(corpus: Path, tmp_path: Path) -> None:
    fs = open_source(next((corpus / CASES).glob("*mvs_ios_2023*.zip")))
    contacts, _ = extract(fs, tmp_path, recover=False)
    assert contacts == [] == ileapp_rows(corpus, "mvs_ios_2023")


@pytest.fixture(scope="module")
def sample_fs() -> MemoryFS:
    return MemoryFS(list(sample.files(SampleContext())))


@pytest.fixture(scope="module")
def sample_contacts(sample_fs: MemoryFS, tmp_path_factory: pytest.TempPathFactory) -> list[Contact]:
    contacts, ctx = extract(sample_fs, tmp_path_factory.mktemp("contacts"))
    assert ctx.warnings == []
    return contacts


def test_sample_live_cards(sample_contacts: list[Contact]) -> None:
    live = [c for c in sample_contacts if not c.deleted]
    assert len(live) == 1 + len(sample.PEOPLE) + 2  # owner, people, two WAL-only cards still alive
    by_name = {c.name: c for c in live}
    assert by_name["Alex Morgan"].is_me
    sam = by_name["Sam Carter"]
    assert sam.phones == [{"label": "Mobile", "value": "07700 900456"}]
    assert sam.birthday == "1991-06-15" and sam.groups == ["Family"]
    assert sam.photo is not None and sam.photo.mime == "image/jpeg"
    assert by_name["王小明"].first == "小明" and by_name["王小明"].note == "大学同学"
    assert "فاطمة الزهراء" in by_name
    assert by_name["Isla Ward"].birthday == "--04-12"
    assert by_name["Leo King"].phones[1] == {"label": "Gym", "value": "+44 7700 900112"}
    assert by_name["Mum"].addresses[0]["value"] == "12 Orchard Lane, Bristol, BS1 4DJ, United Kingdom"
    assert by_name["Nina Kowalski"].emails == [{"label": "Home", "value": "nina.k@example.pl"}]  # only in the WAL


def test_sample_deleted_cards(sample_contacts: list[Contact]) -> None:
    deleted = {c.name: c for c in sample_contacts if c.deleted}
    temp = deleted["Temp Contact"]  # added and deleted again after the last checkpoint
    assert temp.provenance is not None and temp.provenance.area.startswith("wal")
    assert temp.phones == [{"label": "Mobile", "value": "07700 900654"}]
    jordan = deleted["Jordan Blake"]  # deleted from the main file: its bytes are in free space
    assert [handle_key(p["value"]) for p in jordan.phones] == [handle_key("07700 900987")]
    assert [e["value"] for e in jordan.emails] == ["jordan.blake@example.com"]
    assert jordan.provenance is not None and jordan.provenance.area in {"freeblock", "unallocated", "freelist"}
    landlord = deleted["Old Landlord"]  # its ABPerson row is overwritten; its search-index row survives
    assert [handle_key(p["value"]) for p in landlord.phones] == [handle_key("07700 900876")]
    assert not {"Sam Carter", "Alex Morgan"} & set(deleted)


def test_contact_index_matches_numbers_and_emails(sample_fs: MemoryFS) -> None:
    index = ContactIndex.load(ScanContext(sample_fs, None))
    assert index.owner == "Alex Morgan"
    assert index.name("+447700900456") == "Sam Carter"  # saved as "07700 900456"
    assert index.name("tel:+44 (0)7700 900789") == "Priya Patel"
    assert index.name("HENRY.FOX@icloud.example") == "Henry Fox"
    assert index.name("+18006927753") == "Apple Inc."  # saved as 1-800-MY-APPLE
    assert index.name("+447700900011") is None
    assert index.display("+447700900011") == "+447700900011"


def test_helpers() -> None:
    assert clean_label("_$!<HomePage>!$_") == "HomePage" and clean_label("TextNow") == "TextNow"
    assert birthday_text("-112276800") == "1997-06-11"
    assert birthday_text(None) is None
    assert person_name("小明", "王") == "王小明"
    assert person_name(organization="Apple Inc.") == "Apple Inc."
    assert handle_key("(919) 579-0479") == handle_key("+1 919 579 0479") == "195790479"


def test_contact_index_is_read_once_per_source(sample_fs: MemoryFS) -> None:
    first = ContactIndex.load(ScanContext(sample_fs, None))
    assert ContactIndex.load(ScanContext(sample_fs, None)) is first  # messages, calls ... share it
    other = MemoryFS(list(sample.files(SampleContext())))
    again = ContactIndex.load(ScanContext(other, None))
    assert again is not first and again.names == first.names and again.owner == "Alex Morgan"
    assert ContactIndex.load(ScanContext(MemoryFS([]), None)).names == {}
