"""Unlocking password-protected Apple Notes (the scheme used from iOS 9 to iOS 16).

A locked note's row in ``ZICCLOUDSYNCINGOBJECT`` stores ``ZCRYPTOSALT``,
``ZCRYPTOITERATIONCOUNT`` and ``ZCRYPTOWRAPPEDKEY``; its ``ZICNOTEDATA`` row (or
the note row on older stores) stores ``ZCRYPTOINITIALIZATIONVECTOR``,
``ZCRYPTOTAG`` and the ciphertext in ``ZDATA``. Decryption, as documented by
apple_cloud_notes_parser's decrypter:

1. key-encrypting key = PBKDF2-HMAC-SHA256(UTF-8 password, salt, iterations), 16 bytes;
2. note key = RFC 3394 AES key unwrap of the wrapped key with that KEK -- the
   unwrap's built-in integrity check is what tells a wrong password apart;
3. plaintext = AES-GCM decrypt of the data with the note key, the stored IV
   (16 bytes, not the usual 12) and the 16-byte tag.

The plaintext is the same gzipped protobuf as an unlocked note: pass it to
:func:`reclaim.decoders.notes_proto.decode_note`.

Not handled: the iOS 17+ ``ICCryptoEncryptionObject`` format, where ``ZDATA``
is itself an NSKeyedArchiver plist with an account-key-wrapped 256-bit key
(:func:`unlock_note` reports it with a clear :class:`NoteCryptoError`).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from reclaim.errors import ReclaimError

__all__ = ["NoteCryptoError", "WrongNotePassword", "check_note_password", "derive_key", "unlock_note"]

KEY_LENGTH = 16


class WrongNotePassword(ReclaimError):
    """The password does not unlock this note (the wrapped key fails its integrity check)."""


class NoteCryptoError(ReclaimError):
    """A locked note's crypto fields are missing, malformed or damaged, or its format is unsupported."""


def derive_key(password: str, salt: bytes, iterations: int) -> bytes:
    """The 16-byte key-encrypting key: PBKDF2-HMAC-SHA256 over the UTF-8 password."""
    if not salt:
        raise NoteCryptoError("locked note has no crypto salt")
    if not isinstance(iterations, int) or iterations <= 0:
        raise NoteCryptoError(f"locked note has an unusable iteration count ({iterations!r})")
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes(salt), iterations, KEY_LENGTH)


def _unwrap(kek: bytes, wrapped_key: bytes) -> bytes:
    if not wrapped_key or len(wrapped_key) < 24 or len(wrapped_key) % 8:
        raise NoteCryptoError(f"wrapped key has an invalid length ({len(wrapped_key or b'')} bytes)")
    try:
        return aes_key_unwrap(kek, bytes(wrapped_key))
    except InvalidUnwrap:
        raise WrongNotePassword("wrong password for this locked note") from None


def check_note_password(password: str, salt: bytes, iterations: int, wrapped_key: bytes) -> bool:
    """True if ``password`` unwraps ``wrapped_key`` (a note's wrapped key or an account's verifier).

    Cheap compared with decrypting: use it to test candidate passwords once per
    account or note before calling :func:`unlock_note`.
    """
    try:
        _unwrap(derive_key(password, salt, iterations), wrapped_key)
    except WrongNotePassword:
        return False
    return True


def unlock_note(
    password: str,
    salt: bytes,
    iterations: int,
    wrapped_key: bytes,
    iv: bytes,
    tag: bytes,
    ciphertext: bytes,
) -> bytes:
    """Decrypt a password-protected note's data.

    Args:
        password: the note password as the user types it.
        salt: ``ZCRYPTOSALT``.
        iterations: ``ZCRYPTOITERATIONCOUNT``.
        wrapped_key: ``ZCRYPTOWRAPPEDKEY`` (24 bytes for a 128-bit key).
        iv: ``ZCRYPTOINITIALIZATIONVECTOR``.
        tag: ``ZCRYPTOTAG`` (the GCM authentication tag).
        ciphertext: ``ZICNOTEDATA.ZDATA`` of the locked note.

    Returns:
        The decrypted note data (a gzipped protobuf for note bodies).

    Raises:
        WrongNotePassword: the password is wrong.
        NoteCryptoError: a field is missing or malformed, the data is damaged
            (the key was right but the GCM tag does not verify), or the note
            uses the unsupported iOS 17+ encryption-object format.
    """
    if ciphertext is None or len(ciphertext) == 0:
        raise NoteCryptoError("locked note has no encrypted data")
    if bytes(ciphertext[:8]) == b"bplist00":
        raise NoteCryptoError(
            "locked note uses the iOS 17+ ICCryptoEncryptionObject format, which is not supported yet"
        )
    if not iv or not 8 <= len(iv) <= 128:
        raise NoteCryptoError(f"locked note has an invalid IV ({len(iv or b'')} bytes)")
    if not tag or len(tag) != 16:
        raise NoteCryptoError(f"locked note has an invalid GCM tag ({len(tag or b'')} bytes)")
    key = _unwrap(derive_key(password, salt, iterations), wrapped_key)
    try:
        return AESGCM(key).decrypt(bytes(iv), bytes(ciphertext) + bytes(tag), None)
    except InvalidTag:
        raise NoteCryptoError(
            "locked note data is damaged: the password is right but the data fails its check"
        ) from None
    except ValueError as exc:
        raise NoteCryptoError(f"locked note cannot be decrypted ({exc})") from exc
