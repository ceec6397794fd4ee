"""vCard export: the sample address book scanned into a case, written as vCard 3.0 and CSV."""

from __future__ import annotations

import base64
import csv
import hashlib
import stat
from pathlib import Path

import pytest
import vobject

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export import vcard
from reclaim.output import FILE_MODE
from reclaim.sample.content import contacts as sample
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseReader, Path, list[Path]]:
    root = tmp_path_factory.mktemp("vcard")
    scan(MemoryFS(sample.files(SampleContext())), root / "case", kinds=["contacts"],
         options=ScanOptions(recover_deleted=False))
    case = CaseReader(root / "case")
    out = root / "out" / "contacts"
    return case, out, vcard.export(case, "contacts", out)


def test_every_card_reparses_with_vobject(exported: tuple[CaseReader, Path, list[Path]]) -> None:
    case, out, files = exported
    raw = (out / "contacts.vcf").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cards = list(vobject.readComponents(raw.decode("utf-8")))
    assert len(cards) == case.count("contacts") == len(sample.PEOPLE) + 3
    by_name = {c.fn.value: c for c in cards}
    sam = by_name["Sam Carter"]
    assert sam.version.value == "3.0"
    assert [(t.value, t.params.get("TYPE")) for t in sam.contents["tel"]] == [("07700 900456", ["CELL"])]
    assert sam.bday.value == "1991-06-15" and sam.note.value == "Likes climbing; allergic to nuts"
    assert sam.categories.value == ["Family"]
    photo = sam.photo.value
    ref = next(r for r in case.records("contacts") if r["name"] == "Sam Carter")["photo"]
    assert hashlib.sha256(photo).hexdigest() == ref["sha256"] and photo[:3] == b"\xff\xd8\xff"
    priya = by_name["Priya Patel"]
    assert sorted(t.value for t in priya.contents["tel"]) == ["+44 20 7946 0321", "+44 7700 900789"]
    assert priya.org.value == ["Northwind Ltd"] and priya.title.value == "Architect"
    leo = by_name["Leo King"]
    gym = [t for t in leo.contents["tel"] if t.group]
    assert [t.value for t in gym] == ["+44 7700 900112"]
    assert [x.value for x in leo.contents["x-ablabel"]] == ["Gym"]
    wang = by_name["王小明"]
    assert (wang.n.value.family, wang.n.value.given) == ("王", "小明")
    apple = by_name["Apple Inc."]
    assert apple.adr.value.city == "Cupertino" and apple.url.value == "http://www.apple.com"
    assert by_name["Isla Ward"].bday.value == "1604-04-12"
    assert (out / "cards" / "Sam Carter.vcf").read_bytes().startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert len(files) == 2 + len(cards)


def test_escaping_and_folding() -> None:
    text = vcard.card({"name": "A, B; C", "first": "A, B; C", "note": "line one\nline two \\ end",
                       "phones": [{"label": "Mobile", "value": "+1 555"}]},
                      photo=b"\xff\xd8\xff" + bytes(300), photo_mime="image/jpeg")
    (parsed,) = vobject.readComponents(text)
    assert parsed.fn.value == "A, B; C"
    assert parsed.note.value == "line one\nline two \\ end"
    assert base64.b64decode(base64.b64encode(parsed.photo.value)) == b"\xff\xd8\xff" + bytes(300)
    assert "NOTE:line one\\nline two \\\\ end" in text.replace("\r\n ", "")
    assert vcard.fold("X:" + "é" * 60).count("\r\n ") == 1  # folded at 75 octets, not inside "é"


def test_contacts_csv(exported: tuple[CaseReader, Path, list[Path]]) -> None:
    _, out, _ = exported
    with open(out / "contacts.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == vcard.CSV_COLUMNS
    mum = next(r for r in rows if r["name"] == "Mum")
    assert mum["phones"] == "Mobile: 07700 900345; Home: 01632 960001"
    assert mum["addresses"] == "Home: 12 Orchard Lane, Bristol, BS1 4DJ, United Kingdom"
    assert mum["groups"] == "Family"


def test_card_files_named_as_before_and_reexport(tmp_path: Path) -> None:
    """Single-card files: unsafe names made safe (a '/' stays in the one file name, a name of dots is
    not a hidden file), the same name twice numbered, owner-only permissions, and a second export
    into the same folder."""
    from reclaim.case.store import CaseWriter

    records = [{"name": "AC/DC", "first": "AC/DC"}, {"name": "Zoë: \"Z\"", "first": "Zoë"},
               {"name": "Sam", "first": "Sam"}, {"name": "sam", "first": "sam"},
               {"name": "..", "organization": ".."}, {"name": "Gone", "first": "Gone", "deleted": True}]
    from reclaim.artifacts.contacts import Contact

    case_dir = tmp_path / "case"
    writer = CaseWriter(case_dir)
    for n, values in enumerate(records):
        writer.add(Contact(id=f"contacts:{n}", **values))
    writer.close()
    case = CaseReader(case_dir)
    out = tmp_path / "out"
    files = vcard.export(case, "contacts", out)
    names = sorted(str(p.relative_to(out)) for p in files[2:])
    assert names == ["cards/AC-DC.vcf", "cards/Gone (deleted).vcf", "cards/Sam.vcf", "cards/Zoë_ _Z_.vcf",
                     "cards/contact.vcf", "cards/sam (2).vcf"]
    for path in files[2:]:
        assert path.read_bytes().startswith(b"BEGIN:VCARD\r\n") and stat.S_IMODE(path.stat().st_mode) == FILE_MODE
    assert sorted(p.name for p in out.iterdir()) == ["cards", "contacts.csv", "contacts.vcf"]  # no temp folder
    (out / "cards" / "Sam.vcf").write_bytes(b"stale")
    (out / "cards" / "kept.vcf").write_bytes(b"from an earlier export")
    again = vcard.export(case, "contacts", out)
    assert [str(p) for p in again] == [str(p) for p in files]
    assert (out / "cards" / "Sam.vcf").read_bytes().startswith(b"BEGIN:VCARD")
    assert (out / "cards" / "kept.vcf").read_bytes() == b"from an earlier export"
    assert sorted(p.name for p in out.iterdir()) == ["cards", "contacts.csv", "contacts.vcf"]


def test_interrupted_export_leaves_no_cards_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reclaim.artifacts.contacts import Contact
    from reclaim.case.store import CaseWriter

    writer = CaseWriter(tmp_path / "case")
    for n in range(3):
        writer.add(Contact(id=f"contacts:{n}", name=f"P{n}", first=f"P{n}"))
    writer.close()
    calls = []

    def failing(contact: dict, photo: bytes | None = None, photo_mime: str = "") -> str:
        calls.append(contact["name"])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return "BEGIN:VCARD\r\nEND:VCARD\r\n"

    monkeypatch.setattr(vcard, "card", failing)
    with pytest.raises(RuntimeError):
        vcard.export(CaseReader(tmp_path / "case"), "contacts", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_fold_ascii_lines_as_octets() -> None:
    """ASCII lines are cut by characters; that must be exactly the cut at 75 (then 74) octets."""

    def by_octets(line: str) -> str:
        data, parts, start, limit = line.encode(), [], 0, 75
        while start < len(data):
            parts.append(data[start : start + limit].decode())
            start, limit = start + limit, 74
        return "\r\n ".join(parts) + "\r\n"

    for n in (1, 74, 75, 76, 149, 150, 151, 1000, 4096):
        line = "".join(chr(33 + i % 90) for i in range(n))
        assert vcard.fold(line) == by_octets(line)
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(bytes(range(256)) * 40).decode()
    assert all(len(part) <= 75 for part in vcard.fold(photo).split("\r\n"))


def test_no_contacts_no_cards_folder(tmp_path: Path) -> None:
    from reclaim.case.store import CaseWriter

    CaseWriter(tmp_path / "case").close()
    files = vcard.export(CaseReader(tmp_path / "case"), "contacts", tmp_path / "out")
    assert [p.name for p in files] == ["contacts.vcf", "contacts.csv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["contacts.csv", "contacts.vcf"]
