"""The photo exporter: capture-time names and mtimes, a JPEG beside each HEIC, every content once."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from reclaim.artifacts.base import KindStatus
from reclaim.artifacts.photos import PhotosArtifact
from reclaim.case.context import ScanContext
from reclaim.case.scan import _run_artifact
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.export import photos_files
from reclaim.sample.content import photos as sample
from reclaim.sample.model import SampleContext, SampleFile
from reclaim.sources.memory import MemoryFS


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    files = list(sample.files(SampleContext()))
    data = {f.path: f.data for f in files}
    # The same picture saved twice (a copy in another DCIM folder, not in the library): exported once.
    files.append(SampleFile("CameraRollDomain", "Media/DCIM/101APPLE/IMG_0099.JPG",
                            data["Media/DCIM/100APPLE/IMG_0003.JPG"]))
    root = tmp_path_factory.mktemp("export")
    writer = CaseWriter(root / "case")
    status = KindStatus("photos", "Photos and videos")
    _run_artifact(PhotosArtifact(), ScanContext(MemoryFS(files), writer.media, kind="photos"), writer, status)
    writer.set_status(status, "gallery", ("media",))
    writer.close()
    out = root / "out" / "photos"
    with CaseReader(root / "case") as case:
        written = photos_files.export(case, "photos", out)
    return out, written, data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_names_and_mtimes_are_the_capture_time(exported) -> None:
    out, _, data = exported
    # Taken 09:14:22 UTC in Barcelona (UTC+2): named with the time the phone showed.
    heic = out / "2024" / "2024-04-02 11.14.22 IMG_0016.HEIC"
    assert heic.read_bytes() == data["Media/DCIM/100APPLE/IMG_0016.HEIC"]
    taken = datetime(2024, 4, 2, 9, 14, 22, tzinfo=UTC).timestamp()
    assert heic.stat().st_mtime == taken
    jpeg = heic.with_name("2024-04-02 11.14.22 IMG_0016.jpg")
    with Image.open(jpeg) as img:
        assert (img.format, img.size) == ("JPEG", (320, 240))
    assert jpeg.stat().st_mtime == taken
    # The original name is kept when Photos knows one; a UTC+0 photo is named in UTC.
    assert (out / "2024" / "2024-03-15 20.10.00 IMG-20240315-WA0004.jpg").is_file()
    assert (out / "2024" / "2024-02-17 12.04.10 IMG_0008.MOV").is_file()


def test_every_content_once_and_every_heic_has_a_jpeg(exported) -> None:
    _, written, _ = exported
    assert all(p.is_file() for p in written) and len(set(written)) == len(written)
    media = [p for p in written if p.name != "albums.json"]
    digests = [sha(p) for p in media]
    assert len(digests) == len(set(digests))  # never two copies of the same content
    heics = [p for p in media if p.suffix == ".HEIC"]
    assert heics and all(p.with_suffix(".jpg").is_file() for p in heics)
    copies = [p for p in media if p.name.endswith(("DSC_0412.JPG", "IMG_0099.JPG"))]
    assert len(copies) == 1


def test_live_edit_deleted_and_thumbnail_only(exported) -> None:
    out, _, data = exported
    live = out / "2024" / "2024-02-03 14.30.21 IMG_0005.mov"
    assert live.read_bytes() == data["Media/DCIM/100APPLE/IMG_0005.MOV"]
    edit = out / "2024" / "2024-02-17 12.00.33 IMG_0007 (edited).jpg"
    assert edit.read_bytes() == data[
        "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0007/Adjustments/FullSizeRender.jpg"]
    assert (out / "Deleted" / "2024" / "2024-03-28 07.30.00 IMG_0015.HEIC").is_file()
    only = out / "Thumbnails only" / "2024" / "2024-04-02 14.45.41 IMG_0018 (thumbnail).jpg"
    assert only.read_bytes() == data["Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0018.HEIC/5005.JPG"]


def test_album_index(exported) -> None:
    out, _, _ = exported
    albums = json.loads((out / "albums.json").read_text(encoding="utf-8"))
    assert sorted(albums) == ["Barcelona 2024", "Hikes"]
    assert "2024/2024-04-02 11.14.22 IMG_0016.HEIC" in albums["Barcelona 2024"]
    assert len(albums["Barcelona 2024"]) == 6 and all((out / p).is_file() for p in albums["Barcelona 2024"])
