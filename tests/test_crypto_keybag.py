"""Keybag parsing, key derivation and the public password-check vectors (hashcat / John the Ripper)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reclaim.crypto.keybag import (
    UnknownKeybag,
    build_keybag,
    parse_itunes_hash,
    parse_keybag,
    verify_itunes_hash,
)
from reclaim.errors import WrongPassword

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "keybag-vectors" / "vectors.tsv"


def _vectors() -> list[tuple[str, str, str]]:
    with open(VECTORS, newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return [(row[3], row[4], row[5]) for row in rows]


VECTOR_ROWS = _vectors()
IDS = [f"{i}-{label.split(' (')[0].replace(' ', '_')}" for i, (label, _, _) in enumerate(VECTOR_ROWS)]


def test_all_eleven_vectors_parse() -> None:
    assert len(VECTOR_ROWS) == 11
    slow = 0
    for _label, _password, text in VECTOR_ROWS:
        h = parse_itunes_hash(text)
        assert len(h.wpky) == 40 and len(h.salt) == 20 and h.iterations == 10000
        assert (h.version == 10) == (h.dpic is not None)
        slow += h.dpic == 10_000_000
    assert slow == 4  # run one per test below so pytest -n 2 spreads them over both cores


@pytest.mark.parametrize(("label", "password", "text"), VECTOR_ROWS, ids=IDS)
def test_vector_verifies_with_its_password(label: str, password: str, text: str) -> None:
    assert verify_itunes_hash(text, password)


@pytest.mark.parametrize(("label", "password", "text"), VECTOR_ROWS, ids=IDS)
def test_vector_fails_with_a_wrong_password(label: str, password: str, text: str) -> None:
    assert not verify_itunes_hash(text, password + "x")


def test_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_itunes_hash("$itunes_backup$*10*zz")


def test_built_keybag_roundtrip_and_wrong_password() -> None:
    blob, keys = build_keybag("pw", iterations=1000, dpic=1000)
    bag = parse_keybag(blob)
    assert bag.version == 4 and bag.dpic == 1000 and bag.iterations == 1000 and len(bag.wrapped) == 11
    assert bag.unlock("pw", name="b") == keys
    assert bag.derived_key is not None and len(bag.derived_key) == 32
    again = parse_keybag(blob)
    assert again.unlock(derived_key=bag.derived_key) == keys
    with pytest.raises(WrongPassword, match=r"^wrong password for backup b$"):
        parse_keybag(blob).unlock("nope", name="b")
    legacy, _ = build_keybag("pw", iterations=1000, dpic=None)
    assert parse_keybag(legacy).dpic is None and parse_keybag(legacy).version == 3


def test_unknown_keybag_version_is_one_clear_error() -> None:
    blob, _ = build_keybag("pw", iterations=1000, dpic=1000, version=9)
    with pytest.raises(UnknownKeybag, match=r"unknown keybag version 9"):
        parse_keybag(blob)
    with pytest.raises(UnknownKeybag):
        parse_keybag(b"VERS\x00\x00\x00\x04\x00\x00")
