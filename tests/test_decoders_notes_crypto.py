"""Locked Apple Notes: round trips with notes we lock ourselves (iOS 9-16 and iOS 17+), and the real iOS 17 ones."""

from __future__ import annotations

import os
import plistlib
import sqlite3
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from reclaim.decoders import notes_crypto
from reclaim.decoders.notes_crypto import (
    CIPHER_PASSCODE,
    KeyCache,
    NoteCryptoError,
    WrongNotePassword,
    check_note_password,
    parse_encryption_object,
    unlock_encryption_object,
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
        (b"s" * 16, -1, b"\0" * 24, b"\0" * 16, b"\0" * 16, b"x"),
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
    # These notes are locked with "Use iPhone Passcode": the key is an account key kept in the
    # keychain, so no password can open them; that must be said clearly, not crash or say "wrong".
    for _title, salt, iterations, wrapped, iv, tag, data in rows:
        assert (len(salt), iterations, len(wrapped)) == (16, 0, 16)  # the old columns hold random filler
        with pytest.raises(NoteCryptoError, match="iPhone passcode"):
            unlock_note("password", salt, iterations, wrapped, iv, tag, data)
    # The account verifier goes through the same PBKDF2 + key unwrap path; sample passwords are wrong.
    salt, iterations, verifier, hint = account
    assert (iterations, hint) == (20000, "Who’s Password?")
    assert len(verifier) == 24
    assert not check_note_password("password", salt, iterations, verifier)


def test_real_ios17_encryption_objects_parse(tmp_path: Path) -> None:
    db = open_copy(tmp_path)
    try:
        rows = db.execute(
            "SELECT o.ZTITLE1, o.ZIDENTIFIER, d.ZDATA FROM ZICCLOUDSYNCINGOBJECT o "
            "JOIN ZICNOTEDATA d ON d.Z_PK = o.ZNOTEDATA WHERE o.ZISPASSWORDPROTECTED = 1 ORDER BY o.Z_PK"
        ).fetchall()
    finally:
        db.close()
    objects = {title: (identifier, parse_encryption_object(data)) for title, identifier, data in rows}
    assert len(objects) == 6
    for identifier, obj in objects.values():
        assert obj.cipher_version == CIPHER_PASSCODE and obj.needs_passcode
        assert obj.account_key_identifier == "98E55AA7-FDBC-4B0F-9131-C56FFFB12992"
        assert len(obj.wrapped_key) == 40  # RFC 3394 wrap of a 256-bit key
        assert len(obj.encrypted_data) >= 32 + 16 + 1  # ciphertext, 32-byte IV, 16-byte tag
        assert (obj.salt, obj.iterations) == (b"", 0)  # no passphrase: nothing to derive a key from
        assert plistlib.loads(obj.authenticated_data)["cipherVersion"] == 1
        with pytest.raises(NoteCryptoError, match="98E55AA7"):
            unlock_encryption_object("password", obj, identifier)
    identifier, ios17 = objects["iOS 17 Locked Note"]
    assert ios17.object_identifier == identifier == "BE57B2F8-A2DB-4B2D-8C22-9A6B71CF9F31"
    # notes locked on iOS 14-16 and re-wrapped on iOS 17 carry no object identifier in their metadata
    assert objects["iOS 14 Locked Note"][1].object_identifier == ""


# -- iOS 17+ encryption objects, sealed with independent primitives --------------------------------


def seal_ios17(password: str, plaintext: bytes, note_id: str, *, hint: str = "a hint",
               version: int = 2, salt: bytes | None = None) -> bytes:
    """An ICCryptoEncryptionObject archive as iOS 17 writes it for a custom notes password."""
    salt = os.urandom(32) if salt is None else salt
    main_key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=ITERATIONS).derive(
        unicodedata.normalize("NFC", password).encode("utf-8"))
    key, iv = os.urandom(32), os.urandom(32)
    authenticated = plistlib.dumps({"cipherVersion": version, "objectIdentifier": note_id}, fmt=plistlib.FMT_BINARY)
    loose = plistlib.dumps({"passphraseSalt": salt, "passphraseIterationCount": ITERATIONS, "passphraseHint": hint},
                           fmt=plistlib.FMT_BINARY)
    sealed = AESGCM(key).encrypt(iv, plaintext, authenticated)
    uid = plistlib.UID
    return plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)},
                           "$objects": ["$null", {"metadata": uid(2), "unauthenticatedMetadata": uid(3),
                                                  "wrappedEncryptionKey": uid(4), "encryptedData": uid(5),
                                                  "$class": uid(6)},
                                        authenticated, loose, aes_key_wrap(main_key, key),
                                        sealed[:-16] + iv + sealed[-16:],
                                        {"$classname": "ICCryptoEncryptionObject",
                                         "$classes": ["ICCryptoEncryptionObject", "NSObject"]}]},
                          fmt=plistlib.FMT_BINARY)


NOTE_ID = "0E5C7A52-3D5B-4C1E-9A43-6F1B2E8D7C90"


@pytest.mark.parametrize("password", sample_passwords())
def test_ios17_round_trip_with_sample_passwords(password: str) -> None:
    plaintext = (BLOBS / "url_gzipped.bin").read_bytes()
    blob = seal_ios17(password, plaintext, NOTE_ID, hint="the usual")
    filler = os.urandom(16)  # the row's old ZCRYPTO* columns are random on iOS 17: they must be ignored
    opened = unlock_note(password, filler, 0, filler, filler, filler, blob, object_identifier=NOTE_ID)
    assert decode_note(opened).links[0] == "https://en.m.wikipedia.org/wiki/Jim_Nettles"
    obj = parse_encryption_object(blob)
    assert (obj.cipher_version, obj.object_identifier, obj.hint, obj.iterations) == (2, NOTE_ID, "the usual",
                                                                                     ITERATIONS)


def test_ios17_wrong_password() -> None:
    blob = seal_ios17("correct horse", (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes(), NOTE_ID)
    with pytest.raises(WrongNotePassword, match="wrong password"):
        unlock_encryption_object("correct hors", blob, NOTE_ID)


def test_ios17_password_is_nfc_normalised() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    plaintext = (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes()
    blob = seal_ios17(composed, plaintext, NOTE_ID)
    assert unlock_encryption_object(decomposed, blob, NOTE_ID) == plaintext


def test_ios17_metadata_is_authenticated() -> None:
    """The metadata plist is the GCM additional data: swapping it makes the data fail its check."""
    plaintext = (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes()
    salt = os.urandom(32)
    blob = seal_ios17("pw", plaintext, NOTE_ID, salt=salt)
    other = parse_encryption_object(seal_ios17("pw", plaintext, "11111111-2222-3333-4444-555555555555", salt=salt))
    forged = notes_crypto.EncryptionObject(**{**parse_encryption_object(blob).__dict__,
                                              "authenticated_data": other.authenticated_data})
    with pytest.raises(NoteCryptoError, match="damaged"):
        unlock_encryption_object("pw", forged)
    with pytest.raises(NoteCryptoError, match="another object"):
        unlock_encryption_object("pw", blob, "11111111-2222-3333-4444-555555555555")


def test_ios17_key_cache_derives_once_per_password(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = notes_crypto.derive_key

    def counting(*args: object) -> bytes:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(notes_crypto, "derive_key", counting)
    salt = os.urandom(32)
    plaintext = (BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes()
    blobs = [seal_ios17("pw", plaintext, f"ID-{i}", salt=salt) for i in range(3)]
    keys = KeyCache()
    assert all(unlock_encryption_object("pw", b, f"ID-{i}", keys) == plaintext for i, b in enumerate(blobs))
    assert len(calls) == 1


@pytest.mark.parametrize(("blob", "message"), [
    (plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(1)},
                     "$objects": ["$null", {"NS.string": "x", "$class": plistlib.UID(2)},
                                  {"$classname": "NSString", "$classes": ["NSString", "NSObject"]}]},
                    fmt=plistlib.FMT_BINARY), "not an encryption object"),
    (b"bplist00 but not a plist", "not a readable encryption object"),
])
def test_ios17_malformed_objects(blob: bytes, message: str) -> None:
    with pytest.raises(NoteCryptoError, match=message):
        unlock_note("pw", b"s" * 16, 0, b"\0" * 16, b"\0" * 16, b"\0" * 16, blob)


def test_ios17_unsupported_cipher_and_bad_salt() -> None:
    plaintext = b"x"
    with pytest.raises(NoteCryptoError, match="cipher version 0"):
        unlock_encryption_object("pw", seal_ios17("pw", plaintext, NOTE_ID, version=0))
    with pytest.raises(NoteCryptoError, match="salt"):
        unlock_encryption_object("pw", seal_ios17("pw", plaintext, NOTE_ID, salt=os.urandom(16)))
