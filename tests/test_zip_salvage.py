"""A zip extraction cut short (its list of members, at its end, lost): every whole member is read again from its
own header, deflated, stored, streamed (sizes after the data) or ZIP64, and the extraction scans."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.errors import CorruptFile
from reclaim.sources import open_source
from reclaim.sources.zip_salvage import _directory, _Member, _Spliced

WHATSAPP = "ileapp/cases/whatsApp/testdata.whatsApp.whatsAppMessages.josh_ios15_ffs.zip"
PICTURES = [(f"filesystem2/mobile/Media/DCIM/100APPLE/IMG_000{n}.JPG", random.Random(n).randbytes(150_000))
            for n in range(4)]


class _Unseekable(io.RawIOBase):
    """Where a streaming zipper writes (it then puts each member's sizes after its data)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.data += data
        return len(data)


def _extraction(corpus: Path, how: str) -> bytes:
    """The real WhatsApp extraction's files, then four pictures, zipped ``how``."""
    with zipfile.ZipFile(corpus / WHATSAPP) as whatsapp:
        files = [(info.filename, whatsapp.read(info)) for info in whatsapp.infolist()] + PICTURES
    if how == "streamed":
        sink = _Unseekable()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in files:
                with out.open(name, "w", force_zip64=True) as member:
                    member.write(data)
        return bytes(sink.data)
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if how == "stored" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as out:
        for name, data in files:
            with out.open(name, "w", force_zip64=how == "zip64") as member:
                member.write(data)
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["deflated", "stored", "streamed", "zip64"])
def test_a_zip_extraction_cut_short_gives_every_whole_member(corpus: Path, tmp_path: Path, how: str) -> None:
    whole = _extraction(corpus, how)
    path = tmp_path / "extraction.zip"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(path)
    with open_source(path) as src:
        (warning,) = src.info.warnings
        assert warning.startswith("extraction.zip is cut short or damaged (its list of members is lost): ")
        pictures = {e.path: src.read_bytes(e) for e in src.files() if e.path.startswith("Media/DCIM/")}
        assert 1 <= len(pictures) < 4
        assert all(data == dict(PICTURES)[f"filesystem2/mobile/{name}"] for name, data in pictures.items())
        result = scan(src, tmp_path / "case", kinds=["whatsapp"], options=ScanOptions(recover_deleted=False))
    assert result.kinds[0].live == 32 and result.warnings == [warning]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_zip_cut_inside_its_first_member_is_refused_in_one_line(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "extraction.zip"
    path.write_bytes(_extraction(corpus, "deflated")[:5000])
    with pytest.raises(CorruptFile, match=r"extraction\.zip: not a readable zip archive \(File is not a zip file\)"):
        open_source(path)


def test_a_directory_past_4_gib_is_written_as_zip64() -> None:
    """Members beyond 4 GiB (a real extraction's) need ZIP64 fields, which zipfile reads back."""
    name = b"private/var/mobile/Library/SMS/sms.db"
    content = b"SQLite format 3\x00" + bytes(100)
    offset = 5 << 30
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, zipfile.crc32(content), len(content),
                        len(content), len(name), 0) + name + content

    class Far(io.RawIOBase):  # the member at 5 GiB, zeros before it (never read)
        position = 0

        def readable(self) -> bool:
            return True

        def seek(self, target: int, whence: int = 0) -> int:
            self.position = target
            return target

        def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
            start = self.position - offset
            data = local[start:start + len(buffer)] if start >= 0 else bytes(min(len(buffer), -start))
            buffer[:len(data)] = data
            self.position += len(data)
            return len(data)

    end = offset + len(local)
    member = _Member(offset, 0, 0, 0, 0x21, zipfile.crc32(content), len(content), len(content), name, b"")
    archive = zipfile.ZipFile(io.BufferedReader(_Spliced(Far(), end, _directory([member], end))))  # type: ignore[arg-type]
    (info,) = archive.infolist()
    assert (info.filename, info.header_offset, info.file_size) == (name.decode(), offset, len(content))
    assert archive.read(info) == content


def _tar(corpus: Path, mode: str) -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(corpus / WHATSAPP) as whatsapp, tarfile.open(fileobj=buffer, mode=f"w:{mode}") as tar:
        for name, data in [(i.filename, whatsapp.read(i)) for i in whatsapp.infolist()] + PICTURES:
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["deflated", "stored", "streamed", "tar", "tar.gz"])
def test_archives_cut_or_damaged_anywhere_give_one_line_errors_only(corpus: Path, tmp_path: Path, how: str) -> None:
    """Cut at 40 places and bits flipped at 40 others: opening and reading every member either works or is a
    ReclaimError naming what is wrong (a bad CRC, a broken stream, an unknown method were tracebacks)."""
    from reclaim.errors import ReclaimError

    whole = _tar(corpus, how[4:]) if how.startswith("tar") else _extraction(corpus, how)
    rng = random.Random(how)
    damaged = [whole[:cut] for cut in sorted(rng.sample(range(len(whole)), 40))]
    for _ in range(40):
        data = bytearray(whole)
        for _ in range(3):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        damaged.append(bytes(data))
    path = tmp_path / f"extraction.{how if how.startswith('tar') else 'zip'}"
    outcomes = {"read": 0, "refused": 0}
    for data in damaged:
        path.write_bytes(data)
        try:
            with open_source(path) as src:
                for entry in src.files():
                    try:
                        src.read_bytes(entry)
                        outcomes["read"] += 1
                    except ReclaimError:
                        outcomes["refused"] += 1
        except ReclaimError:
            outcomes["refused"] += 1
    assert outcomes["read"] > 0 and outcomes["refused"] > 0


def test_a_damaged_member_of_a_whole_zip_costs_only_what_needs_it(corpus: Path, tmp_path: Path) -> None:
    """Bits flipped inside the chat database's compressed data: WhatsApp says so in one line; the pictures
    still read (it stopped the kind with "BadZipFile: Bad CRC-32", a traceback in the log)."""
    whole = bytearray(_extraction(corpus, "deflated"))
    path = tmp_path / "extraction.zip"
    with zipfile.ZipFile(io.BytesIO(bytes(whole))) as archive:
        chat = next(i for i in archive.infolist() if i.filename.endswith("ChatStorage.sqlite"))
    start = chat.header_offset + 30 + len(chat.filename.encode()) + len(chat.extra)
    whole[start + chat.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(whole))
    with open_source(path) as src:
        assert all(src.read_bytes(e) for e in src.files() if e.path.startswith("Media/DCIM/"))
        result = scan(src, tmp_path / "case", kinds=["whatsapp"], options=ScanOptions(recover_deleted=False))
    (status,) = result.kinds
    assert status.live == 0
    assert "ChatStorage.sqlite: this member is cut short or damaged in the archive" in status.reason


def test_a_list_of_members_zipfile_cannot_use_is_read_from_the_members_own_headers(corpus: Path,
                                                                                   tmp_path: Path) -> None:
    """A byte flipped in the list of members ("version needed" no zip tool knows: zipfile raises
    NotImplementedError, a traceback): the members are read from their own headers, and the damage said."""
    data = bytearray(_extraction(corpus, "deflated"))
    first_entry = data.index(b"PK\x01\x02")
    data[first_entry + 6] = 255  # version needed to extract: 25.5
    path = tmp_path / "extraction.zip"
    path.write_bytes(bytes(data))
    with open_source(path) as src:
        pictures = [e for e in src.files() if e.path.startswith("Media/DCIM/")]
        assert sorted(hashlib.sha256(src.read_bytes(e)).hexdigest() for e in pictures) == sorted(
            hashlib.sha256(data).hexdigest() for _, data in PICTURES)
        assert any("list of members is lost" in w for w in src.damage_found())


def test_a_member_flagged_encrypted_by_damage_is_one_clear_error(corpus: Path, tmp_path: Path) -> None:
    """The "encrypted" bit flipped on in a picture's entry: reading it is one error naming it (zipfile asked for a
    password: a RuntimeError traceback); the other members still read."""
    data = bytearray(_extraction(corpus, "deflated"))
    target = next(name for name, _ in PICTURES if name.endswith("IMG_0000.JPG")).encode()
    entry = data.index(b"PK\x01\x02")  # the list of members: the entry naming the picture
    while data[entry + 46:entry + 46 + len(target)] != target:
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 8] |= 0x01  # general purpose flags: encrypted
    path = tmp_path / "extraction.zip"
    path.write_bytes(bytes(data))
    with open_source(path) as src:
        pictures = {e.path.rsplit("/", 1)[1]: e for e in src.files() if e.path.startswith("Media/DCIM/")}
        with pytest.raises(CorruptFile, match=r"IMG_0000\.JPG.*damaged in the archive"):
            src.read_bytes(pictures["IMG_0000.JPG"])
        assert src.read_bytes(pictures["IMG_0001.JPG"]) == PICTURES[1][1]


def test_a_tar_xz_damaged_inside_its_stream_gives_the_members_before_the_damage(corpus: Path,
                                                                               tmp_path: Path) -> None:
    """xz's own error (LZMAError: "Corrupt input data") was a traceback from ``reclaim files``: the members before
    the damage come, and the damage is said."""
    path = tmp_path / "extraction.tar.xz"
    whole = bytearray(_tar(corpus, "xz"))
    for at in range(len(whole) * 3 // 4, len(whole) * 3 // 4 + 64):
        whole[at] ^= 0xFF
    path.write_bytes(bytes(whole))
    with open_source(path) as src:
        assert [e.path for e in src.files() if e.path.endswith("ChatStorage.sqlite")]  # (the first members)
        assert any("cut short or damaged" in w for w in src.damage_found())
