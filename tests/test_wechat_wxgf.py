"""WeChat ``wxgf`` pictures: the container is read and its HEVC picture becomes a JPEG preview.

The files are built here from real HEVC encodes (libx265 through PyAV) in the layout public
converters describe; no real WeChat wxgf file is public, so that layout itself is not proven.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image

from reclaim.artifacts.wechat import wxgf
from reclaim.artifacts.wechat.service import save_photos
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.sample.model import SampleFile
from reclaim.sources.memory import MemoryFS


def test_pyav_can_build_hevc_test_pictures() -> None:
    """The pictures below are real x265 encodes: PyAV's PyPI wheels (what .ci/run installs) carry libx265."""
    assert "libx265" in av.codecs_available and "hevc" in av.codecs_available

DOMAIN = "AppDomain-com.tencent.xin"
OWNER = "wxid_owner0001"
FRIEND = "wxid_friend0001"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    img = Image.new("RGB", (width, height))
    img.putdata([(x * 4, y * 5, 128) for y in range(height) for x in range(width)])
    return img


def hevc(img: Image.Image) -> bytes:
    """One picture encoded by x265: an Annex-B bitstream (VPS, SPS, PPS, slices)."""
    encoder = av.CodecContext.create("libx265", "w")
    encoder.width, encoder.height, encoder.pix_fmt = img.width, img.height, "yuv420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"x265-params": "log-level=none"}
    frame = av.VideoFrame.from_image(img).reformat(format="yuv420p")
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


def container(*streams: bytes, header: bytes = b"\x01\x02\x03\x04\x05\x06\x07") -> bytes:
    """``wxgf``, header length, header bytes, then each stream behind its 4-byte big-endian length."""
    out = b"wxgf" + bytes([5 + len(header)]) + header
    return out + b"".join(len(s).to_bytes(4, "big") + s for s in streams)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    pa, pb = a.convert("RGB").tobytes(), b.convert("RGB").tobytes()
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


def test_still_picture_becomes_the_same_picture_as_jpeg() -> None:
    original = gradient()
    stream = hevc(original)
    data = container(stream)
    assert stream.startswith(b"\x00\x00\x00\x01")
    assert wxgf.partitions(data) == [wxgf.Partition(16, len(stream))]
    jpeg = wxgf.to_jpeg(data)
    assert jpeg is not None and jpeg.startswith(b"\xff\xd8\xff")
    with Image.open(io.BytesIO(jpeg)) as img:
        assert (img.format, img.size) == ("JPEG", (64, 48))
        assert mean_difference(img, original) < 8  # lossy twice (HEVC, JPEG), but the same picture


def test_animation_shows_its_first_colour_frame() -> None:
    mask, red = hevc(Image.new("RGB", (64, 48), (255, 255, 255))), hevc(Image.new("RGB", (64, 48), (220, 20, 20)))
    blue = hevc(Image.new("RGB", (64, 48), (20, 20, 220)))
    data = container(mask, red, mask, blue)
    parts = wxgf.partitions(data)
    assert [p.size for p in parts] == [len(mask), len(red), len(mask), len(blue)]
    assert wxgf.picture(data) == parts[1]
    jpeg = wxgf.to_jpeg(data)
    assert jpeg is not None
    with Image.open(io.BytesIO(jpeg)) as img:
        r, g, b = img.convert("RGB").getpixel((32, 24))
        assert r > 180 and g < 60 and b < 60


def test_what_is_not_a_wxgf_picture() -> None:
    assert wxgf.partitions(b"wxgf" + bytes(range(60)) * 4) == []  # no HEVC start code behind a length
    assert wxgf.to_jpeg(b"wxgf" + bytes(range(60)) * 4) is None
    assert wxgf.partitions(b"\xff\xd8\xff\xe0" + bytes(100)) == []
    truncated = container(hevc(gradient()))[:-100]  # the length no longer fits: not a partition
    assert wxgf.partitions(truncated) == []
    with pytest.raises(ValueError):
        wxgf.to_jpeg(container(b"\x00\x00\x00\x01\x40\x01" + bytes(200)))  # a start code, then garbage


def _account(tmp_path: Path, picture: bytes) -> list[SampleFile]:
    path = tmp_path / "message_1.sqlite"
    conn = sqlite3.connect(path)
    table = f"Chat_{md5(FRIEND)}"
    conn.execute(f"CREATE TABLE {table}(CreateTime INTEGER, Des INTEGER, ImgStatus INTEGER,"
                 " MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT, MesSvrID INTEGER, Message TEXT,"
                 " Status INTEGER, TableVer INTEGER, Type INTEGER)")
    conn.execute(f"INSERT INTO {table}(MesLocalID, CreateTime, Des, MesSvrID, Message, Type) VALUES (?,?,?,?,?,?)",
                 (7, 1_700_000_000, 1, 77, '<msg><img md5="abc" length="1"/></msg>', 3))
    conn.commit()
    conn.close()
    root = f"Documents/{md5(OWNER)}"
    return [SampleFile(DOMAIN, f"{root}/DB/message_1.sqlite", path),
            SampleFile(DOMAIN, f"{root}/Img/{md5(FRIEND)}/7.pic", picture)]


def test_scan_keeps_the_wxgf_and_adds_its_jpeg(tmp_path: Path) -> None:
    data = container(hevc(gradient()))
    case_dir = tmp_path / "case"
    scan(MemoryFS(_account(tmp_path, data)), case_dir, kinds=["wechat"])
    case = CaseReader(case_dir)
    (record,) = list(case.records("wechat"))
    (ref,) = record["attachments"]
    assert (ref["name"], ref["mime"], ref["role"]) == ("7.wxgf", "image/x-wechat-wxgf", "full")
    assert ref["sha256"] == hashlib.sha256(data).hexdigest()  # the original, unchanged
    assert case.media_path(ref["sha256"]).read_bytes() == data
    assert ref["preview_mime"] == "image/jpeg" and "JPEG" in ref["note"]
    with Image.open(case.media_path(ref["preview"])) as img:
        assert (img.format, img.size) == ("JPEG", (64, 48))
        assert mean_difference(img, gradient()) < 8
    result = save_photos(case, tmp_path / "photos")
    assert (len(result.written), result.unsupported) == (1, 0)
    assert result.written[0].suffix == ".jpg"
    assert result.written[0].read_bytes() == case.media_path(ref["preview"]).read_bytes()
