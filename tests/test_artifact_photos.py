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
