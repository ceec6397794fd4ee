"""Keychain items of ``KeychainDomain/keychain-backup.plist`` (encrypted backups only).

The plist holds arrays ``genp`` (passwords), ``inet`` (internet passwords, Wi-Fi is a
``genp`` of service ``AirPort``), ``cert`` and ``keys``; each item's ``v_Data`` is a
version-3 blob::

    u32 version (3), u32 protection class, u32 wrapped-key length, wrapped key,
    AES-256-GCM ciphertext, 16-byte tag

(little-endian). The wrapped key unwraps (RFC 3394) with the keybag's class key; GCM
uses an empty IV (so J0 = 0, as Apple's ``ks_crypt`` does) and no additional data; the
plaintext is a DER ``SET`` of ``SEQUENCE { UTF8String name, value }`` attributes, the
secret being ``v_Data``.

**Verification status:** the layout follows iphone-dataprotection's keychain reader;
no real keychain-backup.plist with a known password was available, so the tests use
items built by :func:`encrypt_item` (the same code path the sample backup uses).
"""

from __future__ import annotations

import os
import plistlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from reclaim.errors import CorruptFile

ITEM_CLASSES = ("genp", "inet", "cert", "keys")


# GCM with an empty IV ----------------------------------------------------------------------

_R = 0xE1000000000000000000000000000000


def _gf_mult(x: int, y: int) -> int:
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _ghash(h: int, data: bytes) -> int:
    y = 0
    for i in range(0, len(data), 16):
        block = data[i : i + 16].ljust(16, b"\0")
        y = _gf_mult(y ^ int.from_bytes(block, "big"), h)
    return y


def _gcm(key: bytes, j0: int, data: bytes, tag: bytes | None) -> tuple[bytes, bytes]:
    """AES-GCM from a pre-counter block ``j0``, no AAD: returns (output, tag).

    ``tag`` given: decrypt and verify; ``None``: encrypt. (Written out because OpenSSL
    does not accept the zero-length IV the keychain uses.)
    """
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    h = int.from_bytes(ecb.update(bytes(16)), "big")
    ek_j0 = int.from_bytes(ecb.update(j0.to_bytes(16, "big")), "big")
    counter = (j0 & ~0xFFFFFFFF) | ((j0 + 1) & 0xFFFFFFFF)
    ctr = Cipher(algorithms.AES(key), modes.CTR(counter.to_bytes(16, "big"))).encryptor()
    out = ctr.update(data) + ctr.finalize()
    cipher = data if tag is not None else out
    padded = cipher + bytes(-len(cipher) % 16) + struct.pack(">QQ", 0, len(cipher) * 8)
    computed = (_ghash(h, padded) ^ ek_j0).to_bytes(16, "big")
    if tag is not None and computed != tag:
        raise CorruptFile("keychain item does not authenticate (wrong key or damaged item)")
    return out, computed


def _gcm_empty_iv(key: bytes, data: bytes, tag: bytes | None) -> tuple[bytes, bytes]:
    """AES-GCM with a zero-length IV: GHASH of an empty IV makes J0 = 0^128."""
    return _gcm(key, 0, data, tag)


# DER ---------------------------------------------------------------------------------------


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_encode(value: Any) -> bytes:
    """DER for the types keychain attributes use (str, bytes, int, bool, datetime, dict, list)."""
    if isinstance(value, bool):
        return b"\x01\x01" + (b"\xff" if value else b"\x00")
    if isinstance(value, int):
        raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
        return b"\x02" + _der_len(len(raw)) + raw
    if isinstance(value, bytes):
        return b"\x04" + _der_len(len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return b"\x0c" + _der_len(len(raw)) + raw
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y%m%d%H%M%S.000Z").encode()
        return b"\x18" + _der_len(len(text)) + text
    if isinstance(value, dict):
        body = b"".join(
            sorted(der_encode([k, v]) for k, v in value.items())  # DER sets are sorted
        )
        return b"\x31" + _der_len(len(body)) + body
    if isinstance(value, list | tuple):
        body = b"".join(der_encode(v) for v in value)
        return b"\x30" + _der_len(len(body)) + body
    raise TypeError(f"cannot DER-encode {type(value).__name__}")


def _der_read(data: bytes, pos: int) -> tuple[Any, int]:
    if pos + 2 > len(data):
        raise CorruptFile("truncated DER in keychain item")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        nbytes = length & 0x7F
        length = int.from_bytes(data[pos : pos + nbytes], "big")
        pos += nbytes
    body = data[pos : pos + length]
    if len(body) != length:
        raise CorruptFile("truncated DER in keychain item")
    end = pos + length
    if tag in (0x30, 0x31):
        items = []
        p = 0
        while p < len(body):
            item, p = _der_read(body, p)
            items.append(item)
        if tag == 0x31 and all(isinstance(i, list) and len(i) == 2 and isinstance(i[0], str) for i in items):
            return {i[0]: i[1] for i in items}, end
        return items, end
    if tag == 0x01:
        return body != b"\x00", end
    if tag == 0x02:
        return int.from_bytes(body, "big", signed=True), end
    if tag in (0x0C, 0x13, 0x16):
        return body.decode("utf-8", "replace"), end
    if tag == 0x18:
        text = body.decode("ascii", "replace")
        for fmt in ("%Y%m%d%H%M%S.%fZ", "%Y%m%d%H%M%SZ"):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC), end
            except ValueError:
                continue
        return text, end
    return body, end  # OCTET STRING and anything else: raw bytes


def der_decode(data: bytes) -> Any:
    """Decode one DER value (sets of (name, value) pairs become dicts)."""
    value, _ = _der_read(data, 0)
    return value


# Items -------------------------------------------------------------------------------------


@dataclass(slots=True)
class KeychainItem:
    """One decrypted keychain item: its table (genp/inet/…), class and attributes."""

    table: str
    protection_class: int
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def secret(self) -> bytes | None:
        """The protected data (a password, a key): attribute ``v_Data``."""
        value = self.attributes.get("v_Data")
        return value if isinstance(value, bytes) else None

    @property
    def account(self) -> str | None:
        return self.attributes.get("acct") if isinstance(self.attributes.get("acct"), str) else None

    @property
    def service(self) -> str | None:
        value = self.attributes.get("svce") or self.attributes.get("srvr")
        return value if isinstance(value, str) else None


def decrypt_item(blob: bytes, class_keys: dict[int, bytes]) -> tuple[int, dict[str, Any]]:
    """Decrypt one ``v_Data`` blob with the unlocked class keys: (protection class, attributes)."""
    if len(blob) < 12 + 16:
        raise CorruptFile("keychain item too short")
    version, clas, wrapped_len = struct.unpack_from("<III", blob, 0)
    clas &= 0xF
    if version != 3:
        raise CorruptFile(f"keychain item version {version} is not supported (only version 3)")
    wrapped = blob[12 : 12 + wrapped_len]
    body, tag = blob[12 + wrapped_len : -16], blob[-16:]
    class_key = class_keys.get(clas)
    if class_key is None:
        raise CorruptFile(f"no class-{clas} key for a keychain item")
    try:
        key = aes_key_unwrap(class_key, wrapped)
    except (InvalidUnwrap, ValueError):
        raise CorruptFile(f"keychain item key (class {clas}) does not unwrap") from None
    plain, _ = _gcm_empty_iv(key, body, tag)
    attributes = der_decode(plain)
    if not isinstance(attributes, dict):
        raise CorruptFile("keychain item is not an attribute set")
    return clas, attributes


def encrypt_item(attributes: dict[str, Any], clas: int, class_keys: dict[int, bytes]) -> bytes:
    """The version-3 ``v_Data`` blob of an item (the inverse of :func:`decrypt_item`)."""
    key = os.urandom(32)
    wrapped = aes_key_wrap(class_keys[clas], key)
    cipher, tag = _gcm_empty_iv(key, der_encode(attributes), None)
    return struct.pack("<III", 3, clas, len(wrapped)) + wrapped + cipher + tag


def decrypt_keychain(plist_data: bytes, class_keys: dict[int, bytes]) -> Iterator[KeychainItem]:
    """Every item of a (decrypted) keychain-backup.plist; unreadable items raise :class:`CorruptFile`."""
    try:
        keychain = plistlib.loads(plist_data)
    except Exception as exc:
        raise CorruptFile(f"keychain-backup.plist is unreadable ({exc.__class__.__name__})") from None
    for table in ITEM_CLASSES:
        for raw in keychain.get(table, []) or []:
            blob = raw.get("v_Data") if isinstance(raw, dict) else None
            if not isinstance(blob, bytes):
                continue
            clas, attributes = decrypt_item(blob, class_keys)
            yield KeychainItem(table, clas, attributes)


def build_keychain(items: list[tuple[str, int, dict[str, Any]]], class_keys: dict[int, bytes]) -> bytes:
    """A keychain-backup.plist holding ``(table, class, attributes)`` items (for the sample)."""
    tables: dict[str, list[dict[str, bytes]]] = {t: [] for t in ITEM_CLASSES}
    for n, (table, clas, attributes) in enumerate(items, 1):
        tables[table].append(
            {
                "v_Data": encrypt_item(attributes, clas, class_keys),
                "v_PersistentRef": table.encode() + struct.pack("<Q", n),
            }
        )
    return plistlib.dumps(tables, fmt=plistlib.FMT_BINARY)
