"""The fast MBFile reader (strict bplist parse + shape templates) against plistlib.

Every blob is decoded both ways and compared field by field: blobs of the real corpus
backup, of the sample backups, generated ones of every shape (integer widths, missing
keys, keys, links, unicode paths), odd shapes the fast reader leaves to plistlib, and
blobs that must not be served by a stale template.
"""

from __future__ import annotations

import plistlib
import random
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reclaim.sources.mbfile as mbfile
from reclaim.errors import CorruptFile
from reclaim.sources import open_source
from reclaim.sources.bplist import BPlist, BPlistError
from reclaim.sources.itunes import ITunesBackup
from reclaim.sources.manifest_db import SCHEMA, ManifestDB, file_id
from reclaim.sources.mbfile import (
    MBFile,
    _parse_spans,
    decode_mbfile,
    decode_mbfile_plistlib,
    encode_mbfile,
    mbfile_fields,
)

INT_FIELDS = ("size", "mode", "mtime", "birth", "ctime", "inode", "uid", "gid", "protection_class", "flags")
KEYS = {
    "size": "Size", "mode": "Mode", "mtime": "LastModified", "birth": "Birth", "ctime": "LastStatusChange",
    "inode": "InodeNumber", "uid": "UserID", "gid": "GroupID", "protection_class": "ProtectionClass",
    "flags": "Flags",
}  # fmt: skip
NAMES = ["sms.db", "Photos.sqlite", "IMG_0001.HEIC", "Überraschung.jpg", "微信", "a", "", "Documents",
         "ChatStorage.sqlite", "Size", "Mode", "Target", "$null", "é" * 40, "x" * 300]  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_shapes() -> Iterator[None]:
    """Each test starts without templates, so it sees both the strict and the template path."""
    mbfile._SHAPES.clear()
    yield
    mbfile._SHAPES.clear()


def _int(rng: random.Random) -> int:
    """An integer of any width plistlib writes (1, 2, 4, 8 bytes; negative ones too)."""
    return rng.choice([0, 1, rng.randrange(256), rng.randrange(1 << 16), rng.randrange(1 << 32),
                       rng.randrange(1 << 62), -rng.randrange(1, 1 << 40), 501, 1_700_000_000])  # fmt: skip


def random_mbfile(rng: random.Random) -> MBFile:
    """An MBFile with random sizes, modes, times, classes, keys, links and paths."""
    kind = rng.choice(["file", "file", "dir", "link"])
    path = "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))
    return MBFile(
        size=_int(rng) if kind == "file" else 0,
        mode={"file": 0o100644, "dir": 0o40755, "link": 0o120755}[kind] | rng.choice([0, 0o600]),
        mtime=_int(rng),
        birth=rng.choice([None, _int(rng)]),
        ctime=rng.choice([None, _int(rng)]),
        inode=_int(rng),
        uid=rng.choice([None, 0, 501, _int(rng)]),
        gid=rng.choice([None, 0, 501]),
        protection_class=rng.choice([None, 0, 1, 2, 3, 4, 7]),
        flags=rng.choice([0, 1, _int(rng)]),
        relative_path=path,
        target=rng.choice(NAMES) if kind == "link" else None,
        encryption_key=rng.choice([None, rng.randbytes(44), rng.randbytes(4 + rng.randrange(60))]),
    )


def reshape(blob: bytes, rng: random.Random) -> bytes:
    """The same archive with keys dropped or moved, as other writers do (still a valid MBFile)."""
    archive = plistlib.loads(blob)
    objects = archive["$objects"]
    body = objects[1]
    for field in rng.sample(INT_FIELDS, rng.randint(0, 4)):
        body.pop(KEYS[field], None)
    if "EncryptionKey" in body and rng.random() < 0.5:  # NS.data as a UID reference (pyiosbackup)
        key_obj = objects[body["EncryptionKey"].data]
        objects.append(key_obj["NS.data"])
        key_obj["NS.data"] = plistlib.UID(len(objects) - 1)
    if rng.random() < 0.3:
        body["ExtendedAttributes"] = {"com.apple.assetsd.UUID": b"\x01" * 16}  # a key the reader ignores
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY, sort_keys=rng.random() < 0.5)


def assert_same(blob: bytes) -> MBFile:
    expected = decode_mbfile_plistlib(blob)
    assert decode_mbfile(blob) == expected
    assert decode_mbfile(blob) == expected  # second time through the template, if one was made
    return expected


def test_generated_blobs_equal_plistlib() -> None:
    rng = random.Random(7)
    blobs = []
    for _ in range(600):
        blob = encode_mbfile(random_mbfile(rng))
        blobs.append(blob)
        blobs.append(reshape(blob, rng))
    seen = {field: set() for field in mbfile.FIELDS}
    for blob in blobs:
        record = assert_same(blob)
        for field in mbfile.FIELDS:
            seen[field].add(type(getattr(record, field)))
    # the generator did reach every kind of value (so the comparison covered them)
    assert all(int in seen[f] for f in INT_FIELDS) and all(type(None) in seen[f] for f in INT_FIELDS[2:])
    assert {str, type(None)} <= seen["target"] and {bytes, type(None)} <= seen["encryption_key"]
    assert any("微信" in (decode_mbfile(b).relative_path or "") for b in blobs)


def test_same_shape_is_read_by_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    base = MBFile(size=60000, mode=0o100644, mtime=1_600_000_000, birth=1_500_000_000, ctime=1_600_000_001,
                  inode=123456, protection_class=3, flags=0, relative_path="Library/SMS/sms.db",
                  encryption_key=b"\x03\0\0\0" + bytes(40))  # fmt: skip
    first = encode_mbfile(base)
    assert_same(first)
    assert len(mbfile._SHAPES) == 1

    def no_strict_parse(blob: bytes) -> tuple:
        raise AssertionError("not served by the template")

    monkeypatch.setattr(mbfile, "_fields_slow", no_strict_parse)
    other = MBFile(size=65000, mode=0o100600, mtime=1_700_000_000, birth=1_400_000_000, ctime=1_700_000_002,
                   inode=654321, protection_class=4, flags=1, relative_path="Library/SMS/abc.db",
                   encryption_key=b"\x04\0\0\0" + b"k" * 40)  # fmt: skip
    got = decode_mbfile(encode_mbfile(other))
    assert got == decode_mbfile_plistlib(encode_mbfile(other))
    assert (got.size, got.mode, got.mtime, got.birth, got.ctime, got.inode, got.protection_class, got.flags) == (
        65000, 0o100600, 1_700_000_000, 1_400_000_000, 1_700_000_002, 654321, 4, 1)  # fmt: skip
    assert (got.relative_path, got.encryption_key) == ("Library/SMS/abc.db", b"\x04\0\0\0" + b"k" * 40)


def test_a_value_that_is_also_a_key_gets_no_template() -> None:
    # plistlib shares one string object between the key "Size" and a path "Size": the
    # path's bytes are then structure, and a path "Mode" of the same length must not
    # be read through a template made from it.
    for path in ("Size", "Mode", "Size", "Flag", "Mode"):
        record = assert_same(encode_mbfile(MBFile(size=5, mode=0o100644, mtime=9, relative_path=path)))
        assert record.relative_path == path and record.size == 5


def _archive(root: dict[str, Any], *extra: Any, top: Any = "default") -> bytes:
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)} if top == "default" else top,
        "$objects": ["$null", root, *extra],
    }
    if top is None:
        del archive["$top"]
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


ODD = {
    "float size": _archive({"Size": 12.0, "Mode": 0o100644}),
    "bool flags": _archive({"Size": 3, "Flags": True}),
    "16-byte integer": _archive({"Size": (1 << 63) + 5, "Mode": 0o100644}),
    "NS.string path": _archive({"Size": 1, "RelativePath": plistlib.UID(2)}, {"NS.string": "a/b.txt"}),
    "data as key": _archive({"Size": 1, "EncryptionKey": plistlib.UID(2)}, b"\x01\0\0\0" + bytes(40)),
    "path as data": _archive({"Size": 1, "RelativePath": plistlib.UID(2)}, "caf\u00e9".encode()),
    "no $top": _archive({"Size": 2, "Mode": 0o40755}, top=None),
    "UID out of range": _archive({"Size": 2, "RelativePath": plistlib.UID(99)}),
    "xml plist": plistlib.dumps({"$objects": ["$null", {"Size": 4}]}),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_fall_back_to_plistlib(name: str) -> None:
    blob = ODD[name]
    with pytest.raises((BPlistError, IndexError)):
        _parse_spans(blob)  # the fast reader declines ...
    expected = decode_mbfile_plistlib(blob)
    assert decode_mbfile(blob) == expected  # ... and plistlib answers
    assert expected.size in {1, 2, 3, 4, 12, (1 << 63) + 5}


def test_utf16_key_falls_back() -> None:
    blob = _archive({"Size": 3})
    patched = blob.replace(b"TSize", b"TSizf")  # make the ASCII key unknown ...
    assert decode_mbfile(patched).size == 0 == decode_mbfile_plistlib(patched).size
    utf16 = plistlib.dumps({"$objects": ["$null", {"Siz\u00e9": 3, "Size": 4}], "$top": {"root": plistlib.UID(1)}},
                           fmt=plistlib.FMT_BINARY)  # ... and a non-ASCII key: plistlib decides
    assert decode_mbfile(utf16) == decode_mbfile_plistlib(utf16) and decode_mbfile(utf16).size == 4


@pytest.mark.parametrize("blob", [b"", b"not a plist", b"bplist00" + bytes(40), b"bplist00\xd0" + bytes(31)])
def test_garbage_is_corrupt(blob: bytes) -> None:
    with pytest.raises(CorruptFile):
        decode_mbfile(blob)


def _either(decode: Any, blob: bytes) -> Any:
    try:
        return decode(blob)
    except CorruptFile:
        return CorruptFile


def test_truncated_and_damaged_blobs_never_misread() -> None:
    """Whenever both readers accept a damaged blob, they read the same fields.

    (The fast reader may also accept blobs whose damage is confined to objects MBFile does
    not use — class names, ``$version`` — which plistlib rejects as a whole.)
    """
    rng = random.Random(3)
    bases = []
    for _ in range(20):
        blob = encode_mbfile(random_mbfile(rng))
        bases += [blob, reshape(blob, rng)]
    for blob in bases:
        decode_mbfile(blob)  # templates exist for these shapes now
    damaged = [bases[0][:cut] for cut in range(len(bases[0]))]
    for _ in range(3000):
        blob = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        damaged.append(bytes(blob))
    compared = 0
    for blob in damaged:
        expected, got = _either(decode_mbfile_plistlib, blob), _either(decode_mbfile, blob)
        if expected is not CorruptFile:
            assert got == expected, blob.hex()
            compared += 1
    assert compared > 500  # damaged values that both readers accept: read alike


def test_template_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mbfile, "_MAX_TEMPLATES", 20)
    for length in range(1, 80):
        assert_same(encode_mbfile(MBFile(size=1, relative_path="p" * length)))
        assert len(mbfile._SHAPES) <= 21


def test_bplist_reader_rejects_out_of_range_references() -> None:
    blob = plistlib.dumps([1, "two", b"3"], fmt=plistlib.FMT_BINARY)
    plist = BPlist(blob)
    refs = plist.array(plist.top)
    assert [plist.integer(refs[0]), plist.string(refs[1]), plist.data(refs[2])] == [1, "two", b"3"]
    with pytest.raises(BPlistError):
        plist.integer(refs[1])
    with pytest.raises(BPlistError):
        plist.start(len(plist.offsets))


def _manifest_rows(db: Path) -> Iterator[tuple[str, str, bytes]]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        yield from conn.execute("SELECT domain, relativePath, file FROM Files WHERE file IS NOT NULL")
    finally:
        conn.close()


def _check_manifest(db: Path) -> int:
    count = 0
    for _, rel, blob in _manifest_rows(db):
        record = assert_same(blob)
        assert record.relative_path == rel
        count += 1
    return count


def test_sample_backups_equal_plistlib(sample_backup: Path, sample_backup_encrypted: Path) -> None:
    assert _check_manifest(sample_backup / "Manifest.db") > 100
    with open_source(sample_backup_encrypted, password="reclaim") as src:
        assert isinstance(src, ITunesBackup)
        db = src._manifest.path  # type: ignore[union-attr]  # the decrypted private copy
        assert _check_manifest(db) > 100
        keyed = [e for e in src.entries() if e.is_file]
        assert keyed and all(e.encryption_key and len(e.encryption_key) == 44 for e in keyed)
        plist = next(e for e in keyed if e.path.endswith(".plist"))
        assert src.read_bytes(plist).startswith(b"bplist00")  # per-file keys still unwrap


def test_corpus_encrypted_backup_equal_plistlib(corpus: Path) -> None:
    root = corpus / "encrypted-backups-pyiosbackup" / "encrypted_sqlite3_ios10_3"
    with open_source(root, password="0000") as src:
        assert isinstance(src, ITunesBackup)
        assert _check_manifest(src._manifest.path) == 1  # type: ignore[union-attr]
        ((_, _, blob),) = list(_manifest_rows(src._manifest.path))  # type: ignore[union-attr]
        record = decode_mbfile(blob)
        assert (record.size, record.mode, record.mtime, record.birth, record.uid, record.gid) == (
            9, 33261, 1628082463, 1627974948, 501, 501)  # fmt: skip
        assert record.protection_class is None and record.encryption_key is not None
        assert record.encryption_key[:4] == b"\x02\0\0\0" and len(record.encryption_key) == 44
        entry = src.get("MyTestDomain", "Media/Test.txt")
        assert entry is not None and src.read_bytes(entry) == b"Test data"


def _big_manifest(path: Path, rows: int) -> None:
    blob = encode_mbfile(MBFile(size=1234, mode=0o100644, mtime=1_700_000_000, relative_path="x"))
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT INTO Files VALUES (?, ?, ?, 1, ?)",
        ((file_id("HomeDomain", f"f/{i}"), "HomeDomain", f"f/{i}", blob) for i in range(rows)),
    )
    conn.commit()
    conn.close()


def test_listing_streams_in_constant_memory(tmp_path: Path) -> None:
    peaks = []
    for rows in (2_000, 20_000):
        db = tmp_path / f"{rows}.db"
        _big_manifest(db, rows)
        manifest = ManifestDB(db)
        tracemalloc.start()
        count = sum(1 for e in manifest.entries() if e.size == 1234)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        manifest.close()
        assert count == rows
    assert peaks[1] < peaks[0] * 2 + 200_000  # ten times the rows, about the same peak


def test_fields_tuple_matches_the_record() -> None:
    blob = encode_mbfile(MBFile(size=3, mode=0o120755, mtime=4, relative_path="l", target="../t"))
    fields = mbfile_fields(blob)
    assert fields == tuple(getattr(decode_mbfile_plistlib(blob), name) for name in mbfile.FIELDS)
    assert fields[mbfile.FIELDS.index("target")] == "../t"
