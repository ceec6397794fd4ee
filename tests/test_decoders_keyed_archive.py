"""Generic NSKeyedArchiver unarchiving (real payloads and hand-built edge cases)."""

from __future__ import annotations

import plistlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.decoders.keyed_archive import KeyedArchiveError, is_keyed_archive, unarchive

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAYLOADS = CORPUS / "imessage-bodies" / "imessage-exporter"
UID = plistlib.UID


def archive(objects: list, root: int = 1) -> bytes:
    return plistlib.dumps(
        {"$archiver": "NSKeyedArchiver", "$version": 100000, "$top": {"root": UID(root)}, "$objects": objects},
        fmt=plistlib.FMT_BINARY,
    )


def test_real_rich_link_archive() -> None:
    root = unarchive((PAYLOADS / "url_message" / "URL.plist").read_bytes())
    assert root["$class"] == "RichLink"
    assert root["richLinkMetadata"]["title"] == "Christopher Sardegna"
    assert root["richLinkMetadata"]["URL"] == "https://chrissardegna.com/"
    assert root["richLinkMetadata"]["icons"][0]["URL"] == "https://chrissardegna.com/favicon.ico"


def test_real_dates_are_utc() -> None:
    root = unarchive((PAYLOADS / "collaboration_message" / "Freeform.plist").read_bytes())
    created = root["richLinkMetadata"]["collaborationMetadata"]["creationDate"]
    assert created.tzinfo is UTC
    assert created.replace(microsecond=0) == datetime(2023, 1, 12, 1, 20, 43, tzinfo=UTC)


def test_foundation_classes() -> None:
    objects = [
        "$null",
        {
            "$class": UID(2),
            "NS.keys": [UID(3), UID(4), UID(5), UID(6)],
            "NS.objects": [UID(7), UID(8), UID(10), UID(11)],
        },
        {"$classname": "NSMutableDictionary", "$classes": ["NSMutableDictionary", "NSDictionary", "NSObject"]},
        "when",
        "link",
        "blob",
        "none",
        {"$class": UID(12), "NS.time": 0.5},
        {"$class": UID(13), "NS.base": UID(0), "NS.relative": UID(9)},
        "https://example.com/a",
        {"$class": UID(14), "NS.data": b"\x00\x01"},
        UID(0),
        {"$classname": "NSDate", "$classes": ["NSDate", "NSObject"]},
        {"$classname": "NSURL", "$classes": ["NSURL", "NSObject"]},
        {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]},
    ]
    assert unarchive(archive(objects)) == {
        "when": datetime(2001, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
        "link": "https://example.com/a",
        "blob": b"\x00\x01",
        "none": None,
    }


def test_cycles_are_safe() -> None:
    # An array that contains itself, and a custom object pointing back at its parent.
    objects = [
        "$null",
        {"$class": UID(2), "NS.objects": [UID(1), UID(3)]},
        {"$classname": "NSMutableArray", "$classes": ["NSMutableArray", "NSArray", "NSObject"]},
        {"$class": UID(4), "parent": UID(1), "me": UID(3)},
        {"$classname": "Node", "$classes": ["Node", "NSObject"]},
    ]
    root = unarchive(archive(objects))
    assert root[0] is root
    assert root[1]["$class"] == "Node"
    assert root[1]["parent"] is root
    assert root[1]["me"] is root[1]


def test_plain_plist_passes_through() -> None:
    data = plistlib.dumps({"a": [1, 2], "when": datetime(2020, 1, 2, 3, 4, 5)}, fmt=plistlib.FMT_BINARY)
    assert not is_keyed_archive(plistlib.loads(data))
    assert unarchive(data) == {"a": [1, 2], "when": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)}


@pytest.mark.parametrize("data", [b"", b"not a plist", b"bplist00\x00\x01"])
def test_garbage_raises(data: bytes) -> None:
    with pytest.raises(KeyedArchiveError):
        unarchive(data)


def test_dangling_reference_raises() -> None:
    with pytest.raises(KeyedArchiveError, match="outside"):
        unarchive(archive(["$null"], root=7))


def test_self_referencing_plain_dict() -> None:
    root = unarchive(archive(["$null", {"me": UID(1), "n": 3}]))
    assert root["me"] is root
    assert root["n"] == 3


def test_mutated_real_archives_only_raise_keyed_archive_error() -> None:
    rng = random.Random(7)
    for path in sorted(PAYLOADS.glob("*/*.plist")):
        data = path.read_bytes()
        for _ in range(40):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 5)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            try:
                unarchive(bytes(mutated))
            except KeyedArchiveError:
                pass
