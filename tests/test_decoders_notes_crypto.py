"""Locked Apple Notes: round trips with notes we lock ourselves, and the real iOS 17 locked notes."""

from __future__ import annotations

import os
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from reclaim.decoders.notes_crypto import (
    NoteCryptoError,
    WrongNotePassword,
    check_note_password,
    unlock_note,
)
from reclaim.decoders.notes_proto import decode_note
from reclaim.errors import ReclaimError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PASSWORDS = CORPUS / "notes-protobuf" / "password_examples"
BLOBS = CORPUS / "notes-protobuf" / "exported_blobs"
NOTES_ZIP = CORPUS / "ileapp" / "cases" / "notes" / "testdata.notes.notes.josh_ios17_ffs.zip"

ITERATIONS = 2_000  # real notes use 20,000+; fewer keeps the suite fast with the same maths


def sample_passwords() -> list[str]:
    out = []
    for path in sorted(PASSWORDS.iterdir()):
        out.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line)
    return out


@dataclass
class Locked:
    salt: bytes
    iterations: int
    wrapped_key: bytes
    iv: bytes
    tag: bytes
    ciphertext: bytes


def lock(password: str, plaintext: bytes) -> Locked:
    """Encrypt like Notes does, with independent primitives (cryptography's PBKDF2 and key wrap)."""
    salt = os.urandom(16)
    kek = PBKDF2HMAC(algorithm=hashes.SHA256(), length=16, salt=salt, iterations=ITERATIONS).derive(
        password.encode("utf-8")
    )
    note_key = AESGCM.generate_key(bit_length=128)
    iv = os.urandom(16)
    sealed = AESGCM(note_key).encrypt(iv, plaintext, None)
    return Locked(salt, ITERATIONS, aes_key_wrap(kek, note_key), iv, sealed[-16:], sealed[:-16])


def test_sample_passwords_have_odd_characters() -> None:
    passwords = sample_passwords()
    assert "numera e le iloa e sesi" in passwords
    assert any(ord(ch) > 0xFFFF or 0xFE00 <= ord(ch) <= 0xFE0F for p in passwords for ch in p)  # emoji
    assert len(passwords) >= 7


@pytest.mark.parametrize("password", sample_passwords())
def test_round_trip_with_sample_passwords(password: str) -> None:
    plaintext = (BLOBS / "url_gzipped.bin").read_bytes()
    locked = lock(password, plaintext)
    opened = unlock_note(
        password, locked.salt, locked.iterations, locked.wrapped_key, locked.iv, locked.tag, locked.ciphertext
    )
    assert opened == plaintext
    body = decode_note(opened)
    assert body.title == "Link test"
    assert body.links[0] == "https://en.m.wikipedia.org/wiki/Jim_Nettles"
    assert check_note_password(password, locked.salt, locked.iterations, locked.wrapped_key)


def test_wrong_password() -> None:
    locked = lock("emoji ❤️ pass", (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes())
    with pytest.raises(WrongNotePassword) as caught:
        unlock_note(
            "emoji ❤ pass", locked.salt, ITERATIONS, locked.wrapped_key, locked.iv, locked.tag, locked.ciphertext
        )
    assert isinstance(caught.value, ReclaimError)
    assert "wrong password" in str(caught.value)
    assert not check_note_password("", locked.salt, ITERATIONS, locked.wrapped_key)


def test_damaged_ciphertext_is_not_reported_as_wrong_password() -> None:
    password = "password"
    locked = lock(password, (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes())
    damaged = bytes([locked.ciphertext[0] ^ 1]) + locked.ciphertext[1:]
    with pytest.raises(NoteCryptoError, match="damaged"):
        unlock_note(password, locked.salt, ITERATIONS, locked.wrapped_key, locked.iv, locked.tag, damaged)


@pytest.mark.parametrize(
    ("salt", "iterations", "wrapped", "iv", "tag", "data"),
    [
        (b"", 1000, b"\0" * 24, b"\0" * 16, b"\0" * 16, b"x"),
        (b"s" * 16, 0, b"\0" * 24, b"\0" * 16, b"\0" * 16, b"x"),
        (b"s" * 16, 1000, b"\0" * 16, b"\0" * 16, b"\0" * 16, b"x"),
        (b"s" * 16, 1000, b"\0" * 24, b"", b"\0" * 16, b"x"),
        (b"s" * 16, 1000, b"\0" * 24, b"\0" * 16, b"\0" * 3, b"x"),
        (b"s" * 16, 1000, b"\0" * 24, b"\0" * 16, b"\0" * 16, b""),
    ],
)
def test_malformed_fields_raise_clear_errors(
    salt: bytes, iterations: int, wrapped: bytes, iv: bytes, tag: bytes, data: bytes
) -> None:
    with pytest.raises(NoteCryptoError):
        unlock_note("pw", salt, iterations, wrapped, iv, tag, data)


def open_copy(tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(NOTES_ZIP) as archive:
        names = [n for n in archive.namelist() if "/NoteStore.sqlite" in n]
        assert names, "zip has no NoteStore.sqlite"
        for name in names:
            target = tmp_path / Path(name).name
            target.write_bytes(archive.read(name))
    return sqlite3.connect(f"file:{tmp_path / 'NoteStore.sqlite'}?mode=ro", uri=True)


def test_real_ios17_locked_notes(tmp_path: Path) -> None:
    db = open_copy(tmp_path)
    try:
        rows = db.execute(
            "SELECT o.ZTITLE1, o.ZCRYPTOSALT, o.ZCRYPTOITERATIONCOUNT, o.ZCRYPTOWRAPPEDKEY, "
            "d.ZCRYPTOINITIALIZATIONVECTOR, d.ZCRYPTOTAG, d.ZDATA "
            "FROM ZICCLOUDSYNCINGOBJECT o JOIN ZICNOTEDATA d ON d.Z_PK = o.ZNOTEDATA "
            "WHERE o.ZISPASSWORDPROTECTED = 1 ORDER BY o.Z_PK"
        ).fetchall()
        account = db.execute(
            "SELECT ZCRYPTOSALT, ZCRYPTOITERATIONCOUNT, ZCRYPTOVERIFIER, ZPASSWORDHINT "
            "FROM ZICCLOUDSYNCINGOBJECT WHERE ZCRYPTOVERIFIER IS NOT NULL"
        ).fetchone()
    finally:
        db.close()
    assert "iOS 17 Locked Note" in [row[0] for row in rows]
    assert len(rows) == 6
    # The password of this public image is not published: every locked note here uses the
    # iOS 17 ICCryptoEncryptionObject format, which must be reported clearly, not crash.
    for _title, salt, iterations, wrapped, iv, tag, data in rows:
        with pytest.raises(NoteCryptoError, match="iOS 17"):
            unlock_note("password", salt, iterations, wrapped, iv, tag, data)
    # The account verifier goes through the same PBKDF2 + key unwrap path; sample passwords are wrong.
    salt, iterations, verifier, hint = account
    assert (iterations, hint) == (20000, "Who’s Password?")
    assert len(verifier) == 24
    assert not check_note_password("password", salt, iterations, verifier)
