"""Photos and videos: the sample camera roll with its iOS 17 Photos.sqlite, live and deleted items."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.photos import PhotosArtifact
from reclaim.case.context import ScanContext, ScanOptions
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.sample.content import photos as sample
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import VirtualFS


def scan(fs: VirtualFS, case: Path, options: ScanOptions | None = None) -> CaseReader:
    writer = CaseWriter(case)
    status = KindStatus("photos", "Photos and videos")
    _run_artifact(PhotosArtifact(), ScanContext(fs, writer.media, options, kind="photos"), writer, status)
    writer.set_status(status, "gallery", ("media",))
    writer.close()
    assert status.reason == ""
    return CaseReader(case)


@pytest.fixture(scope="module")
def sample_files() -> list[SampleFile]:
    return list(sample.files(SampleContext()))


@pytest.fixture(scope="module")
def library(sample_files: list[SampleFile], tmp_path_factory: pytest.TempPathFactory):
    case = scan(MemoryFS(sample_files), tmp_path_factory.mktemp("photos"))
    records = {r["filename"]: r for r in case.records("photos")}
    yield case, records, {f.path: f.data for f in sample_files}
    case.close()


def sha(data: Any) -> str:
    return hashlib.sha256(data).hexdigest()


def test_capture_date_place_and_albums(library) -> None:
    _, records, _ = library
    beach = records["IMG_0016.HEIC"]
    assert beach["taken"] == "2024-04-02T09:14:22Z" and beach["date"] == beach["taken"]
    assert beach["timezone_offset"] == 7200
    assert (beach["latitude"], beach["longitude"]) == (41.40363, 2.17436)
    assert beach["albums"] == ["Barcelona 2024"] and beach["media_type"] == "photo"
    assert (beach["width"], beach["height"]) == (320, 240)
    assert records["IMG_0025.HEIC"]["albums"] == ["Hikes"]
    assert records["IMG_0009.HEIC"]["latitude"] is None  # -180 means "no location"
    assert records["IMG_0013.JPG"]["original_filename"] == "IMG-20240315-WA0004.jpg"
    assert {n for n, r in records.items() if r["favorite"]} == {"IMG_0001.HEIC", "IMG_0007.HEIC", "IMG_0011.HEIC",
                                                                "IMG_0028.HEIC"}
    assert [n for n, r in records.items() if r["hidden"]] == ["IMG_0014.HEIC"]


def test_heic_original_and_its_jpeg_preview(library) -> None:
    case, records, files = library
    for name, size in (("IMG_0016.HEIC", (320, 240)), ("IMG_0017.HEIC", (240, 320))):
        media = records[name]["media"]
        original = files[f"Media/DCIM/100APPLE/{name}"]
        assert media["sha256"] == sha(original) and media["mime"] == "image/heic"
        assert case.media_path(media["sha256"]).read_bytes() == original
        assert media["preview_mime"] == "image/jpeg"
        with Image.open(io.BytesIO(case.media_path(media["preview"]).read_bytes())) as jpeg:
            assert (jpeg.format, jpeg.size) == ("JPEG", size)
    assert records["IMG_0003.JPG"]["media"]["preview"] is None  # a JPEG needs no copy


def test_videos_live_photo_and_edit(library) -> None:
    _, records, files = library
    video = records["IMG_0008.MOV"]
    assert (video["media_type"], video["duration"], video["media"]["mime"]) == ("video", 3.0, "video/quicktime")
    assert records["IMG_0020.MP4"]["media"]["mime"] == "video/mp4"
    live = records["IMG_0005.HEIC"]
    assert live["media_type"] == "live"
    assert live["live_video"]["sha256"] == sha(files["Media/DCIM/100APPLE/IMG_0005.MOV"])
    assert "IMG_0005.MOV" not in records  # the Live Photo's video is part of the photo, not an item of its own
    edited = records["IMG_0007.HEIC"]
    render = files["Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0007/Adjustments/FullSizeRender.jpg"]
    assert edited["edited"] is True and edited["edited_media"]["sha256"] == sha(render)
    assert edited["media"]["sha256"] == sha(files["Media/DCIM/100APPLE/IMG_0007.HEIC"])


def test_recently_deleted_missing_and_carved(library) -> None:
    case, records, files = library
    trashed = [n for n, r in records.items() if r["deleted"] and r["provenance"]["area"] == "app"]
    assert trashed == ["IMG_0015.HEIC", "IMG_0023.HEIC"]
    assert records["IMG_0015.HEIC"]["trashed_date"] == "2024-04-17T07:30:00Z"
    assert records["IMG_0015.HEIC"]["media"]["missing"] is False  # still on the phone until purged
    # Original gone, thumbnail kept: the row is live (iCloud may hold the original).
    gone = records["IMG_0018.HEIC"]
    assert gone["deleted"] is False and gone["media"]["missing"] is True and gone["albums"] == ["Barcelona 2024"]
    thumb = files["Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0018.HEIC/5005.JPG"]
    assert gone["thumbnail"]["sha256"] == sha(thumb) and gone["thumbnail"]["role"] == "thumbnail"
    # Deleted for good: the row is carved back from Photos.sqlite, the thumbnail shows what it was.
    carved = records["IMG_0019.HEIC"]
    assert carved["deleted"] is True and carved["provenance"]["area"] in ("freeblock", "unallocated")
    assert carved["taken"] == "2024-04-02T13:05:12Z" and carved["latitude"] == 41.40363
    thumb = files["Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0019.HEIC/5005.JPG"]
    assert carved["thumbnail"]["sha256"] == sha(thumb)
    assert case.count("photos") == 31 and case.count("photos", deleted=True) == 3


def test_without_the_database_files_and_thumbnails_still_count(sample_files, tmp_path: Path) -> None:
    files = [f for f in sample_files if not f.path.endswith("Photos.sqlite")]
    with scan(MemoryFS(files), tmp_path / "case", ScanOptions(recover_deleted=False)) as case:
        records = {r["filename"]: r for r in case.records("photos")}
    assert records["IMG_0016.HEIC"]["in_library"] is False and records["IMG_0016.HEIC"]["media"]["preview"]
    assert records["IMG_0008.MOV"]["media_type"] == "video"
    orphans = sorted(n for n, r in records.items() if r["deleted"])
    assert orphans == ["IMG_0018.HEIC", "IMG_0019.HEIC"]  # only their thumbnails are left
    assert records["IMG_0019.HEIC"]["provenance"]["area"] == "thumbnail"
    assert records["IMG_0019.HEIC"]["thumbnail"]["missing"] is False


def test_sample_backup_through_open_source(sample_backup: Path, tmp_path: Path) -> None:
    with open_source(sample_backup) as fs, scan(fs, tmp_path / "case") as case:
        records = {r["filename"]: r for r in case.records("photos")}
        assert len(records) == 31
        assert records["IMG_0016.HEIC"]["albums"] == ["Barcelona 2024"]
        assert records["IMG_0019.HEIC"]["deleted"] is True


def test_people_shown_in_each_photo(library) -> None:
    case, records, _ = library
    anna = {n for n, r in records.items() if "Anna Berg" in r["people"]}
    assert anna == {"IMG_0001.HEIC", "IMG_0002.HEIC", "IMG_0015.HEIC", "IMG_0016.HEIC", "IMG_0017.HEIC"}
    beach = records["IMG_0016.HEIC"]
    assert beach["people"] == ["Sam Carter", "Anna Berg"]  # left to right
    assert [(f["name"], f["x"], f["y"], f["size"]) for f in beach["faces"]] == [
        ("Sam Carter", 0.30, 0.47, 0.17), ("Anna Berg", 0.70, 0.45, 0.18), ("", 0.88, 0.60, 0.06)]
    assert records["IMG_0025.HEIC"]["people"] == ["Leo King", "Sam Carter"]
    assert records["IMG_0027.HEIC"]["people"] == [] and len(records["IMG_0027.HEIC"]["faces"]) == 1  # unnamed
    assert records["IMG_0015.HEIC"]["deleted"] is True  # in Recently Deleted, Anna still on it
    assert records["IMG_0009.HEIC"]["people"] == [] and records["IMG_0009.HEIC"]["faces"] == []
    found = {r["filename"] for r in case.search("Anna", kinds=["photos"])}
    assert found == anna
    assert {r["filename"] for r in case.search("Leo King", kinds=["photos"])} == {"IMG_0025.HEIC"}


def test_original_name_and_importing_app(library) -> None:
    case, records, _ = library
    assert (records["IMG_0013.JPG"]["original_filename"], records["IMG_0013.JPG"]["imported_by"]) == (
        "IMG-20240315-WA0004.jpg", "WhatsApp")
    assert (records["IMG_0003.JPG"]["original_filename"], records["IMG_0003.JPG"]["imported_by"]) == (
        "DSC_0412.JPG", "Files")
    assert records["IMG_0001.HEIC"]["imported_by"] == "Camera (back)"  # ZIMPORTEDBY 1, no app recorded
    assert records["IMG_0004.PNG"]["imported_by"] == ""  # a screenshot: ZIMPORTEDBY 0 says nothing sure
    assert {r["filename"] for r in case.search("WhatsApp", kinds=["photos"])} == {"IMG_0013.JPG", "IMG_0020.MP4"}


def _altered_library(sample_files: list[SampleFile], tmp_path: Path, *sql: str) -> list[SampleFile]:
    """The sample with its Photos.sqlite changed by ``sql`` (another iOS release's schema)."""
    import sqlite3

    path = tmp_path / "Photos.sqlite"
    db = next(f for f in sample_files if f.path.endswith("Photos.sqlite"))
    path.write_bytes(db.data)
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return [SampleFile(f.domain, f.path, path.read_bytes(), mtime=f.mtime) if f is db else f for f in sample_files]


@pytest.mark.parametrize("sql", [
    # iOS 14-16: the face's links are ZASSET and ZPERSON (renamed ZASSETFORFACE/ZPERSONFORFACE in iOS 17)
    ("ALTER TABLE ZDETECTEDFACE RENAME COLUMN ZASSETFORFACE TO ZASSET",
     "ALTER TABLE ZDETECTEDFACE RENAME COLUMN ZPERSONFORFACE TO ZPERSON"),
    # a person merged into another keeps its faces pointing at it; the name is the target's
    ("INSERT INTO ZPERSON (Z_PK, Z_ENT, Z_OPT, ZFULLNAME, ZMERGETARGETPERSON) VALUES (9, 50, 1, '', 1)",
     "UPDATE ZDETECTEDFACE SET ZPERSONFORFACE = 9 WHERE ZPERSONFORFACE = 1"),
])
def test_people_across_schema_versions(sample_files, tmp_path: Path, sql: tuple[str, ...]) -> None:
    files = _altered_library(sample_files, tmp_path, *sql)
    with scan(MemoryFS(files), tmp_path / "case", ScanOptions(recover_deleted=False)) as case:
        records = {r["filename"]: r for r in case.records("photos")}
    assert {n for n, r in records.items() if "Anna Berg" in r["people"]} == {
        "IMG_0001.HEIC", "IMG_0002.HEIC", "IMG_0015.HEIC", "IMG_0016.HEIC", "IMG_0017.HEIC"}
    assert records["IMG_0016.HEIC"]["people"] == ["Sam Carter", "Anna Berg"]


def test_library_without_people_tables(sample_files, tmp_path: Path) -> None:
    files = _altered_library(sample_files, tmp_path, "DROP TABLE ZDETECTEDFACE", "DROP TABLE ZPERSON",
                             "ALTER TABLE ZADDITIONALASSETATTRIBUTES DROP COLUMN ZIMPORTEDBYDISPLAYNAME")
    with scan(MemoryFS(files), tmp_path / "case", ScanOptions(recover_deleted=False)) as case:
        records = {r["filename"]: r for r in case.records("photos")}
    assert len(records) == 31 and all(r["people"] == [] and r["faces"] == [] for r in records.values())
    assert records["IMG_0013.JPG"]["imported_by"] == "net.whatsapp.WhatsApp"  # the bundle id is left
