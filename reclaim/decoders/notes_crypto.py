"""Unlocking password-protected Apple Notes: the iOS 9-16 scheme and the iOS 17+ encryption object.

**iOS 9-16 ("v1").** A locked note's row in ``ZICCLOUDSYNCINGOBJECT`` stores
``ZCRYPTOSALT``, ``ZCRYPTOITERATIONCOUNT`` and ``ZCRYPTOWRAPPEDKEY``; its
``ZICNOTEDATA`` row (or the note row on older stores) stores
``ZCRYPTOINITIALIZATIONVECTOR``, ``ZCRYPTOTAG`` and the ciphertext in ``ZDATA``:

1. key-encrypting key = PBKDF2-HMAC-SHA256(NFC UTF-8 password, salt, iterations), 16 bytes;
2. note key = RFC 3394 AES key unwrap of the wrapped key with that KEK -- the
   unwrap's built-in integrity check is what tells a wrong password apart;
3. plaintext = AES-GCM decrypt of the data with the note key, the stored IV
   (16 bytes, not the usual 12) and the 16-byte tag.

**iOS 17+ ("encryption object").** ``ZDATA`` (and a row's ``ZENCRYPTEDVALUESJSON``)
is an NSKeyedArchiver plist of class ``ICCryptoEncryptionObject`` with four
fields: ``metadata`` (a binary plist: ``cipherVersion``, ``objectIdentifier`` =
the note's ``ZIDENTIFIER``, ``accountKeyIdentifier``; its exact bytes are the
GCM additional authenticated data), ``unauthenticatedMetadata`` (a binary plist:
``passphraseSalt``, ``passphraseIterationCount``, ``passphraseHint``),
``wrappedEncryptionKey`` (RFC 3394, 40 bytes for a 256-bit key) and
``encryptedData`` (ciphertext, then a 32-byte IV, then the 16-byte tag). The
row's own ``ZCRYPTO*`` columns then hold random filler. ``cipherVersion`` says
where the key that unwraps ``wrappedEncryptionKey`` comes from:

- ``2`` (a custom notes password, "v1 neo"): PBKDF2-HMAC-SHA256(NFC UTF-8 password,
  32-byte salt, iterations), 32 bytes -- decrypted here with the user's password;
- ``1`` ("Use iPhone Passcode"): an account key kept in the (iCloud) keychain under
  ``accountKeyIdentifier``; no password opens it, so it is reported clearly;
- ``0``: the v1 cipher inside an object (not seen on real data; reported as unsupported).

Either way the plaintext is the same gzipped protobuf as an unlocked note: pass it
to :func:`reclaim.decoders.notes_proto.decode_note`. Layouts learnt from Apple's
NotesShared framework (class names ``ICCipherV1Neo``, ``ICCipherV2``,
``ICEncryptionMetadata``, ``ICEncryptionObject``).
"""

from __future__ import annotations

import hashlib
import plistlib
import unicodedata
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from reclaim.decoders.keyed_archive import KeyedArchiveError, unarchive
from reclaim.errors import ReclaimError
from reclaim.sources.bplist import BPlist, BPlistError

__all__ = [
    "CIPHER_PASSCODE",
    "CIPHER_PASSWORD",
    "CIPHER_V1",
    "EncryptionObject",
    "KeyCache",
    "NoteCryptoError",
    "WrongNotePassword",
    "check_note_password",
    "derive_key",
    "ensure_password_lock",
    "is_encryption_object",
    "open_encryption_object",
    "parse_encryption_object",
    "unlock_encryption_object",
    "unlock_note",
]

KEY_LENGTH = 16
#: ``cipherVersion`` values of an encryption object's metadata.
CIPHER_V1, CIPHER_PASSCODE, CIPHER_PASSWORD = 0, 1, 2
DEFAULT_ITERATIONS = 20_000  # what Notes itself falls back to for a missing count
_NEO_KEY, _NEO_IV, _TAG = 32, 32, 16


class WrongNotePassword(ReclaimError):
    """The password does not unlock this note (the wrapped key fails its integrity check)."""


class NoteCryptoError(ReclaimError):
    """A locked note's crypto fields are missing, malformed or damaged, or its format is unsupported."""


def _password_bytes(password: str) -> bytes:
    # Notes normalises to NFC before deriving, so "é" typed either way opens the note.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def derive_key(password: str, salt: bytes, iterations: int, length: int = KEY_LENGTH) -> bytes:
    """The key-encrypting key: PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 password.

    ``length`` is 16 for the iOS 9-16 scheme and 32 for a custom-password
    encryption object. An iteration count of 0 (some migrated rows) means Notes'
    default of 20,000.
    """
    if not salt or not isinstance(salt, bytes | bytearray | memoryview):
        raise NoteCryptoError("locked note has no crypto salt")
    if iterations == 0:
        iterations = DEFAULT_ITERATIONS
    if not isinstance(iterations, int) or iterations < 0:
        raise NoteCryptoError(f"locked note has an unusable iteration count ({iterations!r})")
    return hashlib.pbkdf2_hmac("sha256", _password_bytes(password), bytes(salt), iterations, length)


class KeyCache:
    """Derived keys by (password, salt, iterations, length), for one scan.

    Notes with a custom password share their account's salt, so PBKDF2 (tens of
    milliseconds) runs once per password instead of once per note. Keep one
    instance per scan; it lives only in memory.
    """

    def __init__(self) -> None:
        self._keys: dict[tuple[str, bytes, int, int], bytes] = {}

    def derive(self, password: str, salt: bytes, iterations: int, length: int = KEY_LENGTH) -> bytes:
        """:func:`derive_key`, computed once per distinct input."""
        key = (password, bytes(salt), iterations, length)
        if key not in self._keys:
            self._keys[key] = derive_key(password, salt, iterations, length)
        return self._keys[key]


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
    account or note before calling :func:`unlock_note`. The key length follows
    the wrapped key (24 bytes: iOS 9-16, 16-byte key; 40 bytes: 32-byte key).
    """
    length = _NEO_KEY if len(wrapped_key or b"") == 40 else KEY_LENGTH
    try:
        _unwrap(derive_key(password, salt, iterations, length), wrapped_key)
    except WrongNotePassword:
        return False
    return True


# -- iOS 17+ encryption objects -------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptionObject:
    """An ``ICCryptoEncryptionObject``: what is needed to open it, and whose it is."""

    cipher_version: int
    object_identifier: str
    account_key_identifier: str
    salt: bytes
    iterations: int
    hint: str
    wrapped_key: bytes
    encrypted_data: bytes
    authenticated_data: bytes

    @property
    def needs_passcode(self) -> bool:
        """Locked with "Use iPhone Passcode": the key is in the keychain, not derivable from a password."""
        return self.cipher_version == CIPHER_PASSCODE


def is_encryption_object(data: bytes | None) -> bool:
    """True if ``data`` looks like a serialised encryption object (a binary plist), not v1 ciphertext."""
    return bool(data) and bytes(data[:8]) == b"bplist00"


def _plist_dict(data: Any, what: str) -> dict[str, Any]:
    if data is None or data == b"":
        return {}
    if not isinstance(data, bytes):
        raise NoteCryptoError(f"locked note's {what} is not data")
    try:
        value = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError, TypeError) as exc:
        raise NoteCryptoError(f"locked note's {what} cannot be read ({exc})") from exc
    if not isinstance(value, dict):
        raise NoteCryptoError(f"locked note's {what} is not a dictionary")
    return value


def parse_encryption_object(data: bytes) -> EncryptionObject:
    """Read an ``ICCryptoEncryptionObject`` archive (iOS 17+ locked note data).

    Raises:
        NoteCryptoError: not such an archive, or a field is missing or malformed.
    """
    try:
        root = unarchive(bytes(data))
    except KeyedArchiveError as exc:
        raise NoteCryptoError(f"locked note data is not a readable encryption object ({exc})") from exc
    if not isinstance(root, dict):
        raise NoteCryptoError("locked note data is an archive, but not an encryption object")
    return _encryption_object(root.get("$class"), root.get("metadata"), root.get("wrappedEncryptionKey"),
                              root.get("encryptedData"), root.get("unauthenticatedMetadata"))


def _encryption_object(classname: Any, authenticated: Any, wrapped: Any, encrypted: Any,
                       unauthenticated: Any) -> EncryptionObject:
    """An encryption object from its archived fields, each checked."""
    if classname not in ("ICCryptoEncryptionObject", "ICEncryptionObject"):
        raise NoteCryptoError("locked note data is an archive, but not an encryption object")
    if not isinstance(authenticated, bytes) or not authenticated:
        raise NoteCryptoError("encryption object has no metadata")
    if not isinstance(wrapped, bytes) or not wrapped or not isinstance(encrypted, bytes) or not encrypted:
        raise NoteCryptoError("encryption object has no wrapped key or no data")
    meta = _plist_dict(authenticated, "encryption metadata")
    loose = _plist_dict(unauthenticated, "passphrase metadata")
    version = meta.get("cipherVersion")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NoteCryptoError("encryption object has no cipher version")
    salt = loose.get("passphraseSalt")
    iterations = loose.get("passphraseIterationCount")
    return EncryptionObject(
        cipher_version=version,
        object_identifier=str(meta.get("objectIdentifier") or ""),
        account_key_identifier=str(meta.get("accountKeyIdentifier") or ""),
        salt=salt if isinstance(salt, bytes) else b"",
        iterations=iterations if isinstance(iterations, int) and not isinstance(iterations, bool) else 0,
        hint=str(loose.get("passphraseHint") or ""),
        wrapped_key=wrapped,
        encrypted_data=encrypted,
        authenticated_data=authenticated,
    )


@dataclass(frozen=True)
class SealedFile:
    """An encryption object read from a file without its data, which stays where it is: the sealed
    data lies at ``[start, stop)`` of the file, followed by its IV and GCM tag."""

    obj: EncryptionObject  # its ``encrypted_data`` is only the IV and tag
    start: int
    stop: int
    iv: bytes
    tag: bytes


def locate_encryption_object(blob: Any) -> SealedFile:
    """Read an encryption object archive whose sealed data may be large (an iOS 17+ locked attachment):
    ``blob`` is the file mapped in memory (:mod:`mmap`), of which only the archive's structure and
    small fields are read.

    Raises:
        NoteCryptoError: not an archive this reader knows (the caller may read it whole instead),
            or a field is missing or malformed.
    """
    try:
        plist = BPlist(blob)
        top = plist.keyed(plist.top)
        objects = plist.array(top[b"$objects"])

        def field(fields: dict[bytes, int], key: bytes) -> int | None:
            ref = fields.get(key)
            uid = plist.uid(ref) if ref is not None else 0
            return objects[uid] if uid else None  # UID 0 is "$null"

        root = plist.keyed(objects[plist.uid(plist.keyed(top[b"$top"])[b"root"])])
        classname = plist.string(plist.keyed(objects[plist.uid(root[b"$class"])])[b"$classname"])
        small = {key: plist.data(ref) if (ref := field(root, key)) is not None else None
                 for key in (b"metadata", b"wrappedEncryptionKey", b"unauthenticatedMetadata")}
        sealed = field(root, b"encryptedData")
        start, stop = plist.data_span(sealed) if sealed is not None else (0, 0)
    except (BPlistError, KeyError, IndexError) as exc:
        raise NoteCryptoError(f"locked attachment is not an archive this reader knows ({exc})") from exc
    if stop - start < _NEO_IV + _TAG:
        raise NoteCryptoError(f"encryption object data is too short ({stop - start} bytes)")
    ends = bytes(blob[stop - _NEO_IV - _TAG:stop])
    obj = _encryption_object(classname, small[b"metadata"], small[b"wrappedEncryptionKey"], ends,
                             small[b"unauthenticatedMetadata"])
    return SealedFile(obj, start, stop - _NEO_IV - _TAG, ends[:_NEO_IV], ends[_NEO_IV:])


def encryption_object_key(password: str, obj: EncryptionObject, keys: KeyCache | None = None) -> bytes:
    """The key of an encryption object's data, unwrapped with the notes password.

    Raises:
        WrongNotePassword: the password is wrong.
        NoteCryptoError: the object cannot be opened with a password (iPhone-passcode lock, bad salt).
    """
    ensure_password_lock(obj)
    derive = keys.derive if keys is not None else derive_key
    return _unwrap(derive(password, obj.salt, obj.iterations, _NEO_KEY), obj.wrapped_key)


def open_encryption_object(key: bytes, obj: EncryptionObject) -> bytes:
    """Decrypt ``obj`` with the 32-byte key that wraps its key (the password-derived or account key).

    Raises:
        WrongNotePassword: ``key`` does not unwrap the object's key.
        NoteCryptoError: the data is too short or fails its GCM check.
    """
    data_key = _unwrap(key, obj.wrapped_key)
    blob = obj.encrypted_data
    if len(blob) < _NEO_IV + _TAG:
        raise NoteCryptoError(f"encryption object data is too short ({len(blob)} bytes)")
    ciphertext, iv, tag = blob[:-_NEO_IV - _TAG], blob[-_NEO_IV - _TAG:-_TAG], blob[-_TAG:]
    return _open_gcm(data_key, iv, ciphertext + tag, obj.authenticated_data)


def ensure_password_lock(obj: EncryptionObject) -> None:
    """Raise :class:`NoteCryptoError` unless a notes password can open ``obj`` (cipher version 2).

    Lets a caller explain an iPhone-passcode lock without asking for passwords.
    """
    if obj.cipher_version == CIPHER_PASSCODE:
        raise NoteCryptoError(
            "locked with the iPhone passcode (iOS 16+ \"Use iPhone Passcode\"): the key is kept in the "
            f"keychain as account key {obj.account_key_identifier or '?'}, so no note password can open it")
    if obj.cipher_version != CIPHER_PASSWORD:
        raise NoteCryptoError(f"locked note uses encryption-object cipher version {obj.cipher_version}, "
                              "which is not supported")
    if len(obj.salt) != 32:
        raise NoteCryptoError(f"locked note has an invalid passphrase salt ({len(obj.salt)} bytes, not 32)")
    if obj.iterations <= 0:
        raise NoteCryptoError(f"locked note has an unusable iteration count ({obj.iterations!r})")


def unlock_encryption_object(
    password: str,
    data: bytes | EncryptionObject,
    object_identifier: str | None = None,
    keys: KeyCache | None = None,
) -> bytes:
    """Decrypt an iOS 17+ encrypted blob (a note's ``ZDATA``) with the note password.

    Args:
        password: the notes password as the user types it.
        data: the serialised ``ICCryptoEncryptionObject`` (or an already parsed one).
        object_identifier: the ``ZIDENTIFIER`` of the row the blob belongs to; when
            given, a blob that names another object is refused (as Notes does).
        keys: a :class:`KeyCache` shared across notes of one scan.

    Raises:
        WrongNotePassword: the password is wrong.
        NoteCryptoError: malformed object, damaged data, an object that belongs to
            another note, or a note locked with the iPhone passcode (no password opens it).
    """
    obj = data if isinstance(data, EncryptionObject) else parse_encryption_object(data)
    if object_identifier and obj.object_identifier and obj.object_identifier != object_identifier:
        raise NoteCryptoError(
            f"locked note data belongs to another object ({obj.object_identifier}, not {object_identifier})")
    ensure_password_lock(obj)
    derive = keys.derive if keys is not None else derive_key
    return open_encryption_object(derive(password, obj.salt, obj.iterations, _NEO_KEY), obj)


# -- iOS 9-16 -----------------------------------------------------------------------------------


def unlock_note(
    password: str,
    salt: bytes,
    iterations: int,
    wrapped_key: bytes,
    iv: bytes,
    tag: bytes,
    ciphertext: bytes,
    *,
    object_identifier: str | None = None,
    keys: KeyCache | None = None,
) -> bytes:
    """Decrypt a password-protected note's data, whichever scheme locked it.

    Args:
        password: the note password as the user types it.
        salt: ``ZCRYPTOSALT``.
        iterations: ``ZCRYPTOITERATIONCOUNT``.
        wrapped_key: ``ZCRYPTOWRAPPEDKEY`` (24 bytes for a 128-bit key).
        iv: ``ZCRYPTOINITIALIZATIONVECTOR``.
        tag: ``ZCRYPTOTAG`` (the GCM authentication tag).
        ciphertext: ``ZICNOTEDATA.ZDATA`` of the locked note. An iOS 17+
            encryption object is recognised and opened with
            :func:`unlock_encryption_object` (the other fields are then filler).
        object_identifier: the note's ``ZIDENTIFIER`` (checked for iOS 17+ objects).
        keys: a :class:`KeyCache` shared across notes of one scan.

    Returns:
        The decrypted note data (a gzipped protobuf for note bodies).

    Raises:
        WrongNotePassword: the password is wrong.
        NoteCryptoError: a field is missing or malformed, the data is damaged
            (the key was right but the GCM tag does not verify), or the note
            cannot be opened with a password at all (iPhone-passcode lock).
    """
    for what, value in (("salt", salt), ("wrapped key", wrapped_key), ("IV", iv), ("tag", tag),
                        ("data", ciphertext)):
        if value is not None and not isinstance(value, bytes | bytearray | memoryview):
            raise NoteCryptoError(f"locked note's {what} is not binary data ({type(value).__name__})")
    if ciphertext is None or len(ciphertext) == 0:
        raise NoteCryptoError("locked note has no encrypted data")
    if is_encryption_object(ciphertext):
        return unlock_encryption_object(password, ciphertext, object_identifier, keys)
    if not iv or not 8 <= len(iv) <= 128:
        raise NoteCryptoError(f"locked note has an invalid IV ({len(iv or b'')} bytes)")
    if not tag or len(tag) != 16:
        raise NoteCryptoError(f"locked note has an invalid GCM tag ({len(tag or b'')} bytes)")
    derive = keys.derive if keys is not None else derive_key
    key = _unwrap(derive(password, salt, iterations), wrapped_key)
    return _open_gcm(key, bytes(iv), bytes(ciphertext) + bytes(tag), None)


def note_data_key(password: str, salt: bytes, iterations: int, wrapped_key: bytes, *,
                  keys: KeyCache | None = None) -> bytes:
    """The key of an iOS 9-16 locked note's data (or attachment), unwrapped with the note password.

    Raises:
        WrongNotePassword: the password is wrong.
        NoteCryptoError: the wrapped key is malformed.
    """
    if not isinstance(wrapped_key, bytes | bytearray | memoryview) or not wrapped_key:
        raise NoteCryptoError("locked note has no wrapped key")
    derive = keys.derive if keys is not None else derive_key
    return _unwrap(derive(password, bytes(salt or b""), iterations or 0), bytes(wrapped_key))


class DecryptingReader:
    """Reads a locked attachment's file (an iOS 9-16 one, or the data of an iOS 17+ archive), decrypting
    AES-GCM as it goes (never all in memory).

    The data's check (the GCM tag, kept in the database row) can only be made at the end: the last
    ``read`` raises :class:`NoteCryptoError` when it fails, so whoever stores the plain bytes must
    throw them away then (the case's media store does).
    """

    def __init__(self, raw: BinaryIO, key: bytes, iv: bytes, tag: bytes, *, associated: bytes | None = None,
                 length: int | None = None) -> None:
        if not iv or not 8 <= len(iv) <= 128:
            raise NoteCryptoError(f"locked attachment has an invalid IV ({len(iv or b'')} bytes)")
        if not tag or len(tag) != 16:
            raise NoteCryptoError(f"locked attachment has an invalid GCM tag ({len(tag or b'')} bytes)")
        self._raw = raw
        self._decryptor = Cipher(algorithms.AES(key), modes.GCM(bytes(iv), bytes(tag))).decryptor()
        if associated:
            self._decryptor.authenticate_additional_data(associated)
        self._left = length  # bytes of ciphertext still to read (None: up to the end of ``raw``)
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        if self._left is not None:
            size = min(size, self._left) if size > 0 else self._left
        chunk = self._raw.read(size if size > 0 else -1) if size != 0 else b""
        if self._left is not None:
            self._left -= len(chunk)
        plain = self._decryptor.update(chunk) if chunk else b""
        if not chunk or size <= 0 or self._left == 0:
            self._done = True
            try:
                plain += self._decryptor.finalize()
            except InvalidTag:
                raise NoteCryptoError(
                    "locked attachment is damaged: the password is right but the data fails its check") from None
        return plain


def _open_gcm(key: bytes, iv: bytes, sealed: bytes, associated: bytes | None) -> bytes:
    """AES-GCM decryption of a note's data once its key is unwrapped (so the password was right)."""
    try:
        return AESGCM(key).decrypt(iv, sealed, associated)
    except InvalidTag:
        raise NoteCryptoError(
            "locked note data is damaged: the password is right but the data fails its check"
        ) from None
    except ValueError as exc:
        raise NoteCryptoError(f"locked note cannot be decrypted ({exc})") from exc
