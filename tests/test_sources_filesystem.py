"""Full file-system extractions (folder, zip, tar) mapped to backup domains, on real iLEAPP data."""

from __future__ import annotations

import hashlib
import plistlib
import tarfile
import zipfile
from pathlib import Path

import pytest

from reclaim.sources import open_source
from reclaim.sources.domains import map_var_path, split_var_root
from reclaim.sources.filesystem import FileSystemSource
from reclaim.vfs import EntryKind

ADDRESSBOOK = "ileapp/cases/addressBook/testdata.addressBook.addressBook.josh_ios15_ffs.zip"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_addressbook_zip_maps_to_homedomain(corpus: Path) -> None:
    zpath = corpus / ADDRESSBOOK
    with zipfile.ZipFile(zpath) as zf:
        expected = zf.read("filesystem2/mobile/Library/AddressBook/AddressBook.sqlitedb-wal")
    with open_source(zpath) as src:
        assert isinstance(src, FileSystemSource)
        db = src.get("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb")
        wal = src.get("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb-wal")
        assert db is not None and wal is not None
        assert db.size == 327680 and wal.size == 2463792
        assert _sha(src.read_bytes(wal)) == _sha(expected)
        assert [s.path for s in src.sidecars(db)] == ["Library/AddressBook/AddressBook.sqlitedb-wal"]
        assert src.info.kind == "zip"
        with src.sqlite("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb") as conn:
            names = {r[0] for r in conn.execute("SELECT First || ' ' || Last FROM ABPerson")}
        assert "Josh Hickman" in names


def test_leading_slash_private_var_zip(corpus: Path) -> None:
    path = corpus / "ileapp/cases/addressBook/testdata.addressBook.addressBook.mvs_ios_2023.zip"
    with open_source(path) as src:
        entry = src.get("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb")
        assert entry is not None and entry.size == 4096
        assert entry.file_id == "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"


@pytest.mark.parametrize(
    ("zip_name", "domain", "path"),
    [
        ("notes/testdata.notes.notes.josh_ios17_ffs.zip", "AppDomainGroup-group.com.apple.notes", "NoteStore.sqlite"),
        (
            "whatsApp/testdata.whatsApp.whatsAppMessages.josh_ios15_ffs.zip",
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "ChatStorage.sqlite",
        ),
        (
            "safariCache/testdata.safariCache.safariCache.josh_ios17_ffs.zip",
            "AppDomain-com.apple.mobilesafari",
            "Library/Caches/com.apple.mobilesafari/Cache.db",
        ),
        ("voicemail/testdata.voicemail.voicemail.josh_ios15_ffs.zip", "HomeDomain", "Library/Voicemail/voicemail.db"),
    ],
)
def test_containers_without_metadata_are_recognised(corpus: Path, zip_name: str, domain: str, path: str) -> None:
    with open_source(corpus / "ileapp/cases" / zip_name) as src:
        entry = src.get(domain, path)
        assert entry is not None and entry.kind is EntryKind.FILE
        with src.open(entry) as stream:
            assert stream.read(16) == b"SQLite format 3\x00"


def test_domain_mapping_table() -> None:
    def ids(folder: str, uuid: str) -> str:
        return {"A": "com.tencent.xin", "G": "group.com.tencent.xin"}.get(uuid, uuid)

    cases = {
        "mobile/Library/SMS/sms.db": ("HomeDomain", "Library/SMS/sms.db"),
        "mobile/Library/SMS/Attachments/ab/x.jpg": ("MediaDomain", "Library/SMS/Attachments/ab/x.jpg"),
        "mobile/Media/DCIM/100APPLE/IMG_0001.HEIC": ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.HEIC"),
        "mobile/Media/PhotoData/Photos.sqlite": ("CameraRollDomain", "Media/PhotoData/Photos.sqlite"),
        "mobile/Media/Recordings/r.m4a": ("MediaDomain", "Media/Recordings/r.m4a"),
        "mobile/Containers/Data/Application/A/Documents/x": ("AppDomain-com.tencent.xin", "Documents/x"),
        "mobile/Containers/Shared/AppGroup/G/y": ("AppDomainGroup-group.com.tencent.xin", "y"),
        "containers/Shared/SystemGroup/S/z": ("SysSharedContainerDomain-S", "z"),
        "root/Library/Caches/locationd/cache.plist": ("RootDomain", "Library/Caches/locationd/cache.plist"),
        "preferences/SystemConfiguration/com.apple.wifi.plist": (
            "SystemPreferencesDomain",
            "SystemConfiguration/com.apple.wifi.plist",
        ),
        "wireless/Library/CallHistory/call_history.db": ("WirelessDomain", "Library/CallHistory/call_history.db"),
        "Keychains/keychain-2.db": ("KeychainDomain", "keychain-2.db"),
        "Managed Preferences/mobile/x.plist": ("ManagedPreferencesDomain", "mobile/x.plist"),
        "db/timezone/localtime": ("DatabaseDomain", "timezone/localtime"),
        "mobile/Library/Health/healthdb.sqlite": ("HealthDomain", "Health/healthdb.sqlite"),
        "somewhere/else": ("FileSystemDomain", "private/var/somewhere/else"),
    }
    for var_path, expected in cases.items():
        assert map_var_path(var_path, ids) == expected, var_path
    assert split_var_root("filesystem2/mobile/Library/x") == ("filesystem2", "mobile/Library/x")
    assert split_var_root("/private/var/mobile/Media") == ("private/var", "mobile/Media")
    assert split_var_root("System/Library/x") is None


def _make_tree(root: Path) -> None:
    var = root / "fs" / "private" / "var"
    app = var / "mobile/Containers/Data/Application/11111111-2222-3333-4444-555555555555"
    (app / "Library/Preferences").mkdir(parents=True)
    (app / ".com.apple.mobile_container_manager.metadata.plist").write_bytes(
        plistlib.dumps({"MCMMetadataIdentifier": "com.example.app", "MCMMetadataContentClass": 2})
    )
    (app / "Library/Preferences/com.example.app.plist").write_bytes(b"prefs")
    (var / "mobile/Library/SMS").mkdir(parents=True)
    (var / "mobile/Library/SMS/sms.db").write_bytes(b"SQLite format 3\x00" + b"\0" * 100)
    (var / "mobile/Media/DCIM/100APPLE").mkdir(parents=True)
    (var / "mobile/Media/DCIM/100APPLE/IMG_0001.JPG").write_bytes(b"\xff\xd8jpeg")
    (var / "mobile/Library/link").symlink_to("/etc/passwd")


def test_folder_and_tar_extractions(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "fs", arcname="fs")
    for source_path in (tmp_path / "fs", tmp_path / "x.tar.gz"):
        with open_source(source_path) as src:
            prefs = src.get("AppDomain-com.example.app", "Library/Preferences/com.example.app.plist")
            assert prefs is not None and src.read_bytes(prefs) == b"prefs"
            photo = src.get("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG")
            assert photo is not None and src.read_bytes(photo) == b"\xff\xd8jpeg"
            link = src.get("HomeDomain", "Library/link")
            assert link is not None and link.kind is EntryKind.LINK and link.target == "/etc/passwd"
            assert src.get("HomeDomain", "../../../etc/passwd") is None
            assert "com.example.app" in src.info.apps
            assert {e.domain for e in src.files()} == {
                "AppDomain-com.example.app",
                "HomeDomain",
                "CameraRollDomain",
                "FileSystemDomain",
            } or {e.domain for e in src.files()} == {"AppDomain-com.example.app", "HomeDomain", "CameraRollDomain"}
            # a folder's plain files can be read in place; an archive member or a link cannot
            sms = src.get("HomeDomain", "Library/SMS/sms.db")
            assert sms is not None
            if source_path.is_dir():
                assert src.local_path(sms) == source_path / "private/var/mobile/Library/SMS/sms.db"
            else:
                assert src.local_path(sms) is None
            assert src.local_path(link) is None


@pytest.mark.parametrize("members", [[], ["photos/a.txt", "readme.md"]], ids=["empty", "no-iphone-paths"])
@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_archive_without_an_iphone_file_system_is_refused(tmp_path: Path, members: list[str], fmt: str) -> None:
    """Like a folder with nothing recognisable: one clear error, not a scan that finds every kind missing."""
    from reclaim.errors import NotASource

    path = tmp_path / f"holiday.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name in members:
                archive.writestr(name, "hello")
    else:
        with tarfile.open(path, "w") as archive:
            for name in members:
                src = tmp_path / "member"
                src.write_text("hello")
                archive.add(src, arcname=name)
    with pytest.raises(NotASource, match="no iPhone file system inside"):
        open_source(path)


@pytest.mark.parametrize("mode", ["", "gz"], ids=["tar", "tar.gz"])
def test_a_tar_extraction_cut_short_gives_every_file_before_the_cut(corpus: Path, tmp_path: Path, mode: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A download or copy of a big extraction that stopped: the archive was refused whole ("unexpected end of
    data"); the members before the cut are read, the source says what happened, a member the cut went through
    is one clear error."""
    import io
    import random

    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan

    path = tmp_path / f"extraction.tar{'.' + mode if mode else ''}"
    with zipfile.ZipFile(corpus / "ileapp/cases/whatsApp/testdata.whatsApp.whatsAppMessages.josh_ios15_ffs.zip") \
            as whatsapp, tarfile.open(path, f"w:{mode}") as tar:
        for info in whatsapp.infolist():
            data = whatsapp.read(info)
            member = tarfile.TarInfo(info.filename)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        for n in range(4):  # pictures that come after it: random bytes, which no compression shrinks
            data = random.Random(n).randbytes(150_000)
            member = tarfile.TarInfo(f"filesystem2/mobile/Media/DCIM/100APPLE/IMG_000{n}.JPG")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 3 // 4])
    with open_source(path) as src:
        assert src.info.warnings and src.info.warnings[0].startswith(f"{path.name} is cut short or damaged after its "
                                                                     "first ")
        photos = sorted(e.path for e in src.files() if e.path.startswith("Media/DCIM/"))
        assert 1 <= len(photos) < 4
        assert src.read_bytes(src.get("CameraRollDomain", photos[0])) == random.Random(0).randbytes(150_000)
        result = scan(src, tmp_path / "case", kinds=["whatsapp"], options=ScanOptions(recover_deleted=False))
    assert result.kinds[0].live == 32 and result.warnings == src.info.warnings
    from reclaim.cli import main

    capsys.readouterr()
    main(["extract", str(path), "-o", str(tmp_path / "files")])
    assert f"reclaim: warning: {path.name} is cut short or damaged after its first " in capsys.readouterr().err
    written = sorted((tmp_path / "files").rglob("*.JPG"))
    assert written and all(f.read_bytes() == random.Random(int(f.stem[-1])).randbytes(150_000) for f in written)
    path.write_bytes(whole[:8_000 if mode else 100_000])  # the cut goes through the chat database
    with open_source(path) as src:
        result = scan(src, tmp_path / "case2", kinds=["whatsapp"], options=ScanOptions(recover_deleted=False))
    assert result.kinds[0].live == 0 and "ChatStorage.sqlite: this member is cut short or damaged in the archive" \
        in result.kinds[0].reason
