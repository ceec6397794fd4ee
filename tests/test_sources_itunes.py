"""Plain modern backups and their odd shapes: missing plists, truncated or missing files, lookups."""

from __future__ import annotations

import plistlib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from reclaim.errors import CorruptFile, NotASource
from reclaim.sample.builder import write_backup
from reclaim.sample.model import SampleFile
from reclaim.sources import MissingFile, MultipleBackups, detect_kind, open_source
from reclaim.sources.itunes import ITunesBackup
from reclaim.sources.manifest_db import ManifestDB, file_id
from reclaim.sources.mbfile import MBFile, decode_mbfile, encode_mbfile
from reclaim.sources.single import AppFolderSource, SingleFileSource
from reclaim.vfs import EntryKind


@pytest.fixture()
def small_backup(tmp_path: Path) -> Path:
    files = [
        SampleFile("HomeDomain", "Library/SMS/sms.db", b"SQLite format 3\x00" + bytes(4080)),
        SampleFile("HomeDomain", "Library/Preferences/a.plist", plistlib.dumps({"a": 1})),
        SampleFile("AppDomain-com.tencent.xin", "Documents/0123456789abcdef0123456789abcdef/DB/MM.sqlite", b"db"),
    ]
    return write_backup(tmp_path / "b", files)


def test_lookup_find_and_domains(small_backup: Path) -> None:
    with open_source(small_backup) as src:
        assert isinstance(src, ITunesBackup) and not src.legacy
        sms = src.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and sms.size == 4096 and sms.file_id == file_id("HomeDomain", "Library/SMS/sms.db")
        assert src.get("HomeDomain", "/Library/SMS/sms.db") == sms
        assert src.get("HomeDomain", "Library/SMS/nope.db") is None
        assert src.get("HomeDomain", "Library/SMS").kind is EntryKind.DIR  # type: ignore[union-attr]
        found = [e.path for e in src.files("AppDomain-*", "Documents/*/DB/MM.sqlite")]
        assert found == ["Documents/0123456789abcdef0123456789abcdef/DB/MM.sqlite"]
        assert [e.path for e in src.files(None, "Library/Pref*")] == ["Library/Preferences/a.plist"]
        assert src.domains() == ["AppDomain-com.tencent.xin", "HomeDomain"]
        assert src.info.extra["file_count"] == 3


@pytest.mark.parametrize(("domain", "path"), [
    ("AppDomain-com.tencent.xin", "Documents/*/DB/message_*.sqlite"), ("CameraRollDomain", "Media/DCIM/*"),
    ("AppDomain*", "*"), ("*Domain", "Library/*.plist"), ("HomeDomain", "Library/?ddress*/*"), (None, "*.sqlite"),
    ("AppDomain-com.tencent.xin", None), ("HomeDomain", "Library/[AS]*/*"), ("HomeDomain", "Library/[!A]*/*.db"),
])
def test_find_narrowed_in_sql_gives_what_matching_every_entry_gives(sample_backup: Path, domain: str | None,
                                                                     path: str | None) -> None:
    """Manifest.db is searched with the globs themselves (``*`` and ``?`` mean in SQLite's GLOB what they mean to
    fnmatch; a pattern with a class is matched in Python only), so rows that do not match are never parsed."""
    from reclaim.vfs import VirtualFS

    with open_source(sample_backup) as fs:
        found = sorted((e.domain, e.path) for e in fs.find(domain, path))
        assert found == sorted((e.domain, e.path) for e in VirtualFS.find(fs, domain, path))
        assert found


def test_entries_stream(small_backup: Path) -> None:
    with open_source(small_backup) as src:
        stream = src.entries()
        assert iter(stream) is stream  # a generator, not a list
        assert sum(1 for _ in stream) == 3 + 8  # files + folders (domain roots included)


def test_get_falls_back_to_the_path_index(small_backup: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    conn = sqlite3.connect(copy / "Manifest.db")
    conn.execute("UPDATE Files SET fileID = 'x' || fileID WHERE relativePath = 'Library/Preferences/a.plist'")
    conn.commit()
    conn.close()
    db = ManifestDB(copy / "Manifest.db")
    entry = db.get("HomeDomain", "Library/Preferences/a.plist")
    assert entry is not None and entry.file_id.startswith("x")
    db.close()


def test_missing_manifest_and_status_plists(small_backup: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    (copy / "Manifest.plist").unlink()
    (copy / "Status.plist").unlink()
    (copy / "Info.plist").unlink()
    with open_source(copy) as src:
        assert src.read_bytes(src.get("HomeDomain", "Library/Preferences/a.plist")) == plistlib.dumps({"a": 1})  # type: ignore[arg-type]
        assert src.info.device_name is None and not src.info.encrypted


def test_a_manifest_db_cut_before_its_first_page_ends_still_finds_files_by_name(small_backup: Path,
                                                                                tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    data = (copy / "Manifest.db").read_bytes()
    (copy / "Manifest.db").write_bytes(data[:2000])
    with open_source(copy) as src:
        assert src.info.warnings == [f"Manifest.db is damaged (cut short: 2,000 of its {len(data):,} bytes): 0 file "
                                     "entries were read from it; files whose entries are lost are found only by "
                                     "their names"]
        assert list(src.entries()) == []
        sms = src.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and sms.size == 4096 and sms.mtime is None
        assert src.read_bytes(sms) == b"SQLite format 3\x00" + bytes(4080)
        assert [e.path for e in src.find("HomeDomain", "Library/SMS/sms.db")] == ["Library/SMS/sms.db"]
        assert list(src.find("HomeDomain", "Library/SMS/*.db")) == []  # a pattern needs the lost index
        assert src.get("HomeDomain", "Library/SMS/nothing.db") is None


def test_a_damaged_manifest_db_gives_the_entries_left_in_it(sample_backup: Path, tmp_path: Path) -> None:
    import hashlib
    import os

    copy = tmp_path / "c"
    shutil.copytree(sample_backup, copy)
    manifest = copy / "Manifest.db"
    with sqlite3.connect(f"file:{manifest}?mode=ro&immutable=1", uri=True) as conn:
        every = {(d, p) for d, p in conn.execute("SELECT domain, relativePath FROM Files")}
    size = manifest.stat().st_size
    os.truncate(manifest, size // 2)
    before = hashlib.sha256(manifest.read_bytes()).hexdigest()
    with open_source(copy) as src:
        left = {(e.domain, e.path) for e in src.entries()}
        assert 0 < len(left) < len(every) and left <= every
        assert src.info.warnings == [f"Manifest.db is damaged (cut short: {size // 2:,} of its {size:,} bytes): "
                                     f"{len(left):,} file entries were read from it; files whose entries are lost "
                                     "are found only by their names"]
        lost = sorted((d, p) for d, p in every - left if (copy / file_id(d, p)[:2] / file_id(d, p)).is_file())
        assert lost
        for domain, path in lost:
            entry = src.get(domain, path)
            assert entry is not None and entry.kind is EntryKind.FILE
            fid = file_id(domain, path)
            assert src.read_bytes(entry) == (copy / fid[:2] / fid).read_bytes()
        scratch = src._manifest._scratch  # type: ignore[union-attr]
        assert scratch is not None and Path(scratch).is_dir()
    assert not Path(scratch).exists()  # the scratch copy goes with the source
    assert hashlib.sha256(manifest.read_bytes()).hexdigest() == before


def test_a_manifest_db_without_its_first_page_gives_every_entry(sample_backup: Path, tmp_path: Path) -> None:
    """Its list of tables was on that page: the records shaped like a ``Files`` row are picked out of the others
    (the backup looked encrypted, and was refused, although Manifest.plist says it is not)."""
    import hashlib

    copy = tmp_path / "c"
    shutil.copytree(sample_backup, copy)
    manifest = copy / "Manifest.db"
    with sqlite3.connect(f"file:{manifest}?mode=ro&immutable=1", uri=True) as conn:
        every = {(d, p, f) for d, p, f in conn.execute("SELECT domain, relativePath, flags FROM Files")}
    with manifest.open("r+b") as handle:
        handle.write(bytes(4096))
    before = hashlib.sha256(manifest.read_bytes()).hexdigest()
    with open_source(copy) as src:
        assert {(e.domain, e.path, 2 if e.kind is EntryKind.DIR else 1 if e.kind is EntryKind.FILE else 4)
                for e in src.entries()} == every
        assert src.info.warnings == [f"Manifest.db is damaged (its first page, which says where its tables are, is "
                                     f"lost): {len(every):,} file entries were read from it; files whose entries are "
                                     "lost are found only by their names"]
        assert list(src.find("AppDomain-com.tencent.xin", "Documents/*/DB/message_*.sqlite"))  # patterns work again
    assert hashlib.sha256(manifest.read_bytes()).hexdigest() == before


def _destroy_a_middle_files_page(manifest: Path) -> None:
    """Overwrite the middle leaf page of Manifest.db's ``Files`` table: a bad page deep in a file whose header is
    right, which SQLite meets only when a read reaches it."""
    with sqlite3.connect(f"file:{manifest}?mode=ro&immutable=1", uri=True) as conn:
        leaves = [n for n, kind in conn.execute("SELECT pageno, pagetype FROM dbstat WHERE name = 'Files'")
                  if kind == "leaf"]
    with open(manifest, "r+b") as handle:
        handle.seek((leaves[len(leaves) // 2] - 1) * 4096)
        handle.write(bytes(range(256)) * 16)


def test_damage_met_midway_through_manifest_db_goes_on_from_a_scratch_copy(sample_backup: Path,
                                                                          tmp_path: Path) -> None:
    """A bad page deep in a Manifest.db whose header is right: found only when a read reaches it, which then
    goes on from the entries left, each once."""
    copy = tmp_path / "c"
    shutil.copytree(sample_backup, copy)
    with sqlite3.connect(f"file:{copy / 'Manifest.db'}?mode=ro&immutable=1", uri=True) as conn:
        every = [(d, p) for d, p in conn.execute("SELECT domain, relativePath FROM Files")]
    _destroy_a_middle_files_page(copy / "Manifest.db")
    with open_source(copy) as src:
        assert src.info.warnings == []  # nothing seen yet
        read = [(e.domain, e.path) for e in src.entries()]
        assert len(read) == len(set(read)) and set(read) < set(every)
        assert len(every) - 30 < len(read)
        assert read == [k for k in every if k in set(read)]  # in the same order
        assert src.info.warnings and src.info.warnings[0].startswith("Manifest.db is damaged (database disk image "
                                                                     "is malformed): ")
        domain, path = next(k for k in every if k not in set(read) and
                            (copy / file_id(*k)[:2] / file_id(*k)).is_file())
        entry = src.get(domain, path)
        assert entry is not None and src.read_bytes(entry) == (copy / file_id(domain, path)[:2] /
                                                                file_id(domain, path)).read_bytes()


def test_damaged_property_lists_that_only_describe_the_backup_are_warnings(small_backup: Path,
                                                                           tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    for name in ("Info.plist", "Status.plist", "Manifest.plist"):
        (copy / name).write_bytes(b"bplist00\xff\x00garbage")
    with open_source(copy) as src:
        assert src.info.warnings == [
            "Info.plist is damaged (unreadable property list (InvalidFileException)): the device's name, model and "
            "phone number cannot be shown",
            "Status.plist is damaged (unreadable property list (InvalidFileException)): the backup's state cannot "
            "be shown",
            "Manifest.plist is damaged (unreadable property list (InvalidFileException)): the backup's date and "
            "apps cannot be shown"]
        assert src.info.device_name is None and not src.info.encrypted
        sms = src.get("HomeDomain", "Library/SMS/sms.db")
        assert sms is not None and src.read_bytes(sms) == b"SQLite format 3\x00" + bytes(4080)


def test_a_damaged_manifest_plist_is_refused_where_it_would_say_whether_files_are_encrypted(tmp_path: Path) -> None:
    from reclaim.sample.builder import write_legacy_backup

    old = write_legacy_backup(tmp_path / "old", [SampleFile("HomeDomain", "Library/SMS/sms.db", b"x")])
    (old / "Manifest.plist").write_bytes(b"not a plist")
    with pytest.raises(CorruptFile, match=r"Manifest\.plist: unreadable property list"):
        open_source(old)


def test_missing_hashed_file(small_backup: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    (copy / fid[:2] / fid).unlink()
    with open_source(copy) as src:
        entry = src.get("HomeDomain", "Library/SMS/sms.db")
        with pytest.raises(MissingFile, match=f"file {fid} of HomeDomain/Library/SMS/sms.db is missing"):
            src.open(entry)  # type: ignore[arg-type]
        with pytest.raises(FileNotFoundError):
            src.open(entry)  # type: ignore[arg-type]


def test_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotASource, match="not a backup"):
        open_source(tmp_path / "empty")
    with pytest.raises(NotASource, match="no such file"):
        open_source(tmp_path / "nothing")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotASource, match="not a backup"):
        open_source(tmp_path / "notes.txt")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "Info.plist").write_bytes(plistlib.dumps({}))
    (tmp_path / "half" / "Manifest.plist").write_bytes(plistlib.dumps({}))
    with pytest.raises(NotASource, match=r"no Manifest.db or Manifest.mbdb"):
        open_source(tmp_path / "half")


def test_folder_of_backups(small_backup: Path, tmp_path: Path) -> None:
    parent = small_backup.parent
    assert detect_kind(parent) == "backup-folder"
    with open_source(parent) as src:  # a single backup inside: opened directly
        assert src.location == small_backup
    shutil.copytree(small_backup, parent / "second")
    with pytest.raises(MultipleBackups) as info:
        open_source(parent)
    assert [p.name for p in info.value.candidates] == ["b", "second"]
    assert "holds 2 backups, choose one: b, second" in str(info.value)


def test_backup_file_paths_open_the_backup(small_backup: Path) -> None:
    with open_source(small_backup / "Manifest.db") as src:
        assert isinstance(src, ITunesBackup)


def test_mbfile_odd_shapes() -> None:
    blob = encode_mbfile(MBFile(size=9, mode=0o100644, mtime=5, encryption_key=b"\x04\0\0\0" + bytes(40)))
    archive = plistlib.loads(blob)
    body = archive["$objects"][1]
    key_obj = archive["$objects"][body["EncryptionKey"].data]
    # NS.data given as a UID reference, no ProtectionClass key: both seen in real backups.
    archive["$objects"].append(key_obj["NS.data"])
    key_obj["NS.data"] = plistlib.UID(len(archive["$objects"]) - 1)
    del body["ProtectionClass"]
    decoded = decode_mbfile(plistlib.dumps(archive, fmt=plistlib.FMT_BINARY))
    assert decoded.encryption_key == b"\x04\0\0\0" + bytes(40) and decoded.protection_class is None
    with pytest.raises(CorruptFile):
        decode_mbfile(b"not a plist")


def test_app_folder_and_single_database(tmp_path: Path, corpus: Path) -> None:
    docs = tmp_path / "Documents"
    (docs / "0123456789abcdef0123456789abcdef" / "DB").mkdir(parents=True)
    (docs / "0123456789abcdef0123456789abcdef" / "DB" / "MM.sqlite").write_bytes(b"SQLite format 3\x00")
    with open_source(docs) as src:
        assert isinstance(src, AppFolderSource)
        assert src.get("AppDomain-com.tencent.xin", "Documents/0123456789abcdef0123456789abcdef/DB/MM.sqlite")
    container = tmp_path / "container"
    (container / "Library").mkdir(parents=True)
    (container / ".com.apple.mobile_container_manager.metadata.plist").write_bytes(
        plistlib.dumps({"MCMMetadataIdentifier": "group.net.whatsapp.WhatsApp.shared"})
    )
    (container / "ChatStorage.sqlite").write_bytes(b"SQLite format 3\x00")
    with open_source(container) as src:
        assert src.get("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite")
    chinook = corpus / "sqlite-corpus" / "chinook.sqlite"
    with open_source(chinook) as src:
        assert isinstance(src, SingleFileSource)
        entry = src.get("UnknownDomain", "chinook.sqlite")
        assert entry is not None
        assert [s.path for s in src.sidecars(entry)] == ["chinook.sqlite-wal", "chinook.sqlite-journal"]
    sms = tmp_path / "sms.db"
    with sqlite3.connect(sms) as conn:  # a whole (tiny) database: a lone file cut in its first page is refused
        conn.execute("CREATE TABLE message(ROWID INTEGER PRIMARY KEY, text TEXT)")
    conn.close()
    with open_source(sms) as src:
        assert src.get("HomeDomain", "Library/SMS/sms.db") is not None


@pytest.mark.parametrize("encrypted", [False, True])
def test_entries_equal_the_plistlib_reading(
    encrypted: bool, sample_backup: Path, sample_backup_encrypted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Entry of the samples (files, folders, links, per-file keys) is the same with the fast MBFile
    reader and with plistlib."""
    import reclaim.sources.manifest_db as manifest_db
    from reclaim.sources.mbfile import FIELDS, decode_mbfile_plistlib

    backup = sample_backup_encrypted if encrypted else sample_backup
    with open_source(backup, password="reclaim") as src:
        fast = list(src.entries())
        fast_get = src.get("HomeDomain", "Library/SMS/sms.db")

    def plistlib_fields(blob: bytes) -> tuple:
        record = decode_mbfile_plistlib(blob)
        return tuple(getattr(record, name) for name in FIELDS)

    monkeypatch.setattr(manifest_db, "mbfile_fields", plistlib_fields)
    with open_source(backup, password="reclaim") as src:
        slow = list(src.entries())
        assert src.get("HomeDomain", "Library/SMS/sms.db") == fast_get is not None
    assert len(fast) > 300 and fast == slow
    assert sum(1 for e in fast if e.encryption_key) == (sum(1 for e in fast if e.is_file) if encrypted else 0)
    assert {e.kind for e in fast} == {EntryKind.FILE, EntryKind.DIR, EntryKind.LINK}
    assert any(e.target for e in fast) and all(e.mtime for e in fast if e.kind is EntryKind.FILE)


def test_a_lost_manifest_db_schema_prefers_the_live_files_row_to_a_stale_copy(
        small_backup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older backup's row for the same file, left on a freed page, comes first in the file: the live table's
    row (on a page its interior page points to) is the one kept."""
    from reclaim.sqlite import headless

    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    with sqlite3.connect(f"file:{small_backup / 'Manifest.db'}?mode=ro&immutable=1", uri=True) as conn:
        live = conn.execute("SELECT fileID, domain, relativePath, flags, file FROM Files WHERE fileID = ?",
                            (fid,)).fetchone()
    stale = [*live[:4], encode_mbfile(MBFile(size=3, mode=0o100644))]

    def pages(path: Path):  # (what leaf_records gives: the stale copy first, on a page nothing points to)
        yield 1, stale, False
        yield 2, list(live), True

    monkeypatch.setattr(headless, "leaf_records", pages)
    copy = tmp_path / "c"
    shutil.copytree(small_backup, copy)
    with (copy / "Manifest.db").open("r+b") as handle:
        handle.write(bytes(100))  # (the header alone: page 1's list of tables is read, so it is wiped too)
        handle.seek(100)
        handle.write(bytes(3996))
    with open_source(copy) as src:
        entry = src.get("HomeDomain", "Library/SMS/sms.db")
        assert entry is not None and entry.size == 4096


def test_damage_met_midway_through_manifest_db_is_on_the_reports_first_page(sample_backup: Path,
                                                                           tmp_path: Path) -> None:
    """Found only when the scan's reads reached it, the index's damage was in the log, not in the case's source
    (the report's first page, the web page's device line)."""
    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan
    from reclaim.case.store import CaseReader

    copy = tmp_path / "c"
    shutil.copytree(sample_backup, copy)
    _destroy_a_middle_files_page(copy / "Manifest.db")
    with open_source(copy) as src:
        assert src.info.warnings == []
        result = scan(src, tmp_path / "case", kinds=["apps", "wechat"], options=ScanOptions(recover_deleted=False))
    assert len(result.warnings) == 1 and result.warnings[0].startswith(
        "Manifest.db is damaged (database disk image is malformed): ")
    with CaseReader(tmp_path / "case") as case:
        assert case.source()["warnings"] == result.warnings
        assert case.source()["device_name"] == "Alex's iPhone"


def test_a_legacy_manifest_mbdb_cut_short_gives_its_entries_and_finds_the_rest_by_name(tmp_path: Path) -> None:
    """An iOS 5-9 backup whose Manifest.mbdb was cut in half was refused whole ("truncated at byte N")."""
    from reclaim.sample.builder import write_legacy_backup

    files = [SampleFile("HomeDomain", f"Library/Notes/note{n:02d}.txt", f"note {n}".encode()) for n in range(30)]
    backup = write_legacy_backup(tmp_path / "old", files)
    mbdb = backup / "Manifest.mbdb"
    mbdb.write_bytes(mbdb.read_bytes()[: mbdb.stat().st_size // 2])
    with open_source(backup) as src:
        listed = [e.path for e in src.files()]
        assert 5 < len(listed) < 30 and listed == [f"Library/Notes/note{n:02d}.txt" for n in range(len(listed))]
        (damage,) = src.damage_found()
        assert re.fullmatch(rf"Manifest\.mbdb is cut short or damaged from byte [\d,]+ on: {len(listed)} file entries "
                            "were read from it; files whose entries are lost are found only by their names", damage)
        lost = src.get("HomeDomain", "Library/Notes/note29.txt")  # its entry was in the lost half
        assert lost is not None and src.read_bytes(lost) == b"note 29"
        assert [e.path for e in src.find("HomeDomain", "Library/Notes/note28.txt")] == ["Library/Notes/note28.txt"]
        assert src.get("HomeDomain", "Library/Notes/nothing.txt") is None
