"""Keychain v3 items (AES key unwrap + AES-GCM with an empty IV + DER attributes).

No real keychain-backup.plist with a known password was available: the items are built
with :func:`encrypt_item`; the GCM code is checked against OpenSSL's AES-GCM.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reclaim.crypto.keychain import (
    _gcm,
    build_keychain,
    decrypt_item,
    decrypt_keychain,
    der_decode,
    der_encode,
    encrypt_item,
)
from reclaim.errors import CorruptFile
from reclaim.sources import open_source


def test_gcm_matches_openssl() -> None:
    key, nonce, data = os.urandom(32), os.urandom(12), os.urandom(1000)
    out, tag = _gcm(key, int.from_bytes(nonce + b"\0\0\0\1", "big"), data, None)
    assert out + tag == AESGCM(key).encrypt(nonce, data, None)
    plain, _ = _gcm(key, int.from_bytes(nonce + b"\0\0\0\1", "big"), out, tag)
    assert plain == data


def test_der_roundtrip() -> None:
    attrs = {
        "acct": "me",
        "v_Data": b"\x00secret",
        "port": 443,
        "sync": True,
        "cdat": datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
        "big": 2**40,
    }
    assert der_decode(der_encode(attrs)) == attrs


def test_item_roundtrip_and_tamper() -> None:
    keys = {6: os.urandom(32), 7: os.urandom(32)}
    blob = encrypt_item({"svce": "AirPort", "acct": "HomeNet", "v_Data": b"pw"}, 6, keys)
    assert blob[:4] == b"\x03\x00\x00\x00" and blob[4:8] == b"\x06\x00\x00\x00"
    assert decrypt_item(blob, keys) == (6, {"svce": "AirPort", "acct": "HomeNet", "v_Data": b"pw"})
    tampered = blob[:-20] + bytes([blob[-20] ^ 1]) + blob[-19:]
    with pytest.raises(CorruptFile, match=r"does not authenticate"):
        decrypt_item(tampered, keys)
    with pytest.raises(CorruptFile, match=r"class-7"):
        decrypt_item(encrypt_item({"a": "b"}, 7, keys), {6: keys[6]})


def test_sample_keychain_decrypts(sample_backup_encrypted: Path) -> None:
    with open_source(sample_backup_encrypted, password="reclaim") as src:
        entry = src.get("KeychainDomain", "keychain-backup.plist")
        assert entry is not None
        items = list(decrypt_keychain(src.read_bytes(entry), src.keybag.class_keys))  # type: ignore[attr-defined]
    wifi = {i.account: i.secret for i in items if i.service == "AirPort"}
    assert wifi == {"HomeNet-5G": b"correct-horse-battery", "Office Guest": b"Welcome2024!"}
    inet = [i for i in items if i.table == "inet"]
    assert inet[0].service == "accounts.example.com" and inet[0].attributes["port"] == 443


def test_build_keychain_tables() -> None:
    keys = {6: os.urandom(32)}
    data = build_keychain([("genp", 6, {"acct": "a", "v_Data": b"1"})], keys)
    assert [(i.table, i.account, i.secret) for i in decrypt_keychain(data, keys)] == [("genp", "a", b"1")]
