"""The camera roll over AFC: ``reclaim device-photos`` and :class:`AfcSource`, against the emulated phone."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from emulator import EmulatedDevice
from emulator.fixtures import attached, small_backup, tree_digests

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sources import open_source
from reclaim.sources.device import AfcSource, TransferProgress, copy_photos


@pytest.fixture(scope="module")
def phone_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_backup(tmp_path_factory.mktemp("phone") / "backup", {("HomeDomain", "Library/a.txt"): b"a"})


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """A phone's /var/mobile/Media with two photos, a Photos library file, a recording and music."""
    root = tmp_path / "media"
    files = {
        "DCIM/100APPLE/IMG_0001.HEIC": b"\x00\x00\x00\x18ftypheic" + os.urandom(200_000),
        "DCIM/100APPLE/IMG_0002.MOV": b"\x00\x00\x00\x14ftypqt  " + os.urandom(3_000_000),
        "PhotoData/Photos.sqlite": b"SQLite format 3\x00" + bytes(4080),
        "Recordings/Memo.m4a": b"memo",
        "iTunes_Control/Music/F00/song.mp3": b"music",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        os.utime(root / rel, (1_700_000_000, 1_700_000_000))
    return root


def test_device_photos_copies_the_camera_roll_and_resumes(phone_data: Path, media: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, media=media)
    out = tmp_path / "out"
    seen: list[TransferProgress] = []
    with attached(phone) as (_, conn):
        first = copy_photos(None, out, seen.append, conn=conn)
        again = copy_photos(None, out, conn=conn)
        (media / "DCIM/100APPLE/IMG_0003.JPG").write_bytes(b"\xff\xd8\xff new")
        (out / "private/var/mobile/Media/DCIM/100APPLE/IMG_0002.MOV").write_bytes(b"cut short")
        third = copy_photos(None, out, conn=conn)

    copied = out / "private/var/mobile/Media"
    assert first.folder == copied
    assert (first.copied, first.skipped) == (3, 0)
    assert first.bytes == 3_200_024 + 4096
    expected = {k: v for k, v in tree_digests(media).items() if k.startswith(("DCIM/", "PhotoData/"))}
    assert tree_digests(copied) == expected
    assert int((copied / "DCIM/100APPLE/IMG_0001.HEIC").stat().st_mtime) == 1_700_000_000
    assert seen[-1].done and seen[-1].files == 3 and seen[-1].bytes == first.bytes
    assert (again.copied, again.skipped) == (0, 3)
    # only the new photo and the damaged copy are fetched again
    assert (third.copied, third.skipped) == (2, 2)
    assert tree_digests(copied)["DCIM/100APPLE/IMG_0002.MOV"] == tree_digests(media)["DCIM/100APPLE/IMG_0002.MOV"]
    assert not list(copied.rglob("*.part"))
    # reclaim reads the copy as a file-system extraction
    with open_source(out) as fs:
        assert fs.get("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0003.JPG") is not None


def test_afc_source_maps_media_to_backup_domains(phone_data: Path, media: Path) -> None:
    with attached(EmulatedDevice(phone_data, media=media)) as (_, conn), AfcSource(conn=conn) as fs:
        assert fs.info.kind == "device-afc" and fs.info.device_name == "Alex's iPhone"
        files = {(e.domain, e.path): e for e in fs.entries() if e.is_file}
        assert set(files) == {
            ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.HEIC"),
            ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.MOV"),
            ("CameraRollDomain", "Media/PhotoData/Photos.sqlite"),
            ("MediaDomain", "Media/Recordings/Memo.m4a"),
        }
        entry = files[("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.MOV")]
        assert entry.size == 3_000_012 and entry.mtime == 1_700_000_000
        with fs.open(entry) as stream:
            digest = hashlib.sha256()
            while chunk := stream.read(65536):
                digest.update(chunk)
        assert digest.hexdigest() == hashlib.sha256((media / "DCIM/100APPLE/IMG_0002.MOV").read_bytes()).hexdigest()
        assert fs.get("MediaDomain", "Media/Recordings/Memo.m4a") is not None
        assert fs.get("MediaDomain", "Media/iTunes_Control/Music/F00/song.mp3") is None


def test_photos_kind_reads_the_phone_directly(sample_backup: Path, tmp_path: Path) -> None:
    """The sample phone's camera roll served over AFC gives the same photos as its backup."""
    media = tmp_path / "media"
    with open_source(sample_backup) as fs:
        for entry in fs.files("CameraRollDomain", "Media/*"):
            target = media / entry.path.removeprefix("Media/")
            target.parent.mkdir(parents=True, exist_ok=True)
            fs.copy_to(entry, target)
            if entry.mtime is not None:
                os.utime(target, (entry.mtime, entry.mtime))
    options = ScanOptions(recover_deleted=False)
    with open_source(sample_backup) as fs:
        scan(fs, tmp_path / "from-backup", kinds=["photos"], options=options)
    with attached(EmulatedDevice(sample_backup, media=media)) as (_, conn), AfcSource(conn=conn) as fs:
        scan(fs, tmp_path / "from-phone", kinds=["photos"], options=options)
    with CaseReader(tmp_path / "from-backup") as a, CaseReader(tmp_path / "from-phone") as b:
        def photos(case: CaseReader) -> list[tuple[object, ...]]:
            return sorted((r["filename"], r["taken"], tuple(r["albums"]), (r["media"] or {}).get("sha256"))
                          for r in case.records("photos"))

        expected = photos(a)
        assert photos(b) == expected
        assert len(expected) >= 3 and any(sha for *_, sha in expected)
