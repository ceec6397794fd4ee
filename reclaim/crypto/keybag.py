"""The backup keybag: password → key derivation → class keys.

``Manifest.plist``'s ``BackupKeyBag`` is a list of TLV records (4-byte tag, 4-byte
big-endian length, value): a header (``VERS``, ``TYPE``, ``UUID``, ``HMCK``, ``WRAP``,
``SALT``, ``ITER`` and, since iOS 10.2, ``DPWT``/``DPIC``/``DPSL``), then one record
group per protection class (``UUID``, ``CLAS``, ``WRAP``, ``KTYP``, ``WPKY``).

The password key is PBKDF2-HMAC-SHA1(password, SALT, ITER), where since iOS 10.2 the
password is first replaced by PBKDF2-HMAC-SHA256(password, DPSL, DPIC) — 10,000,000
rounds on a real phone, about 5 s, so the result (:attr:`Keybag.derived_key`) is worth
keeping. Class keys are AES key-wrapped (RFC 3394) with it; a failed integrity check of
the unwrap is how a wrong password shows.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from reclaim.errors import CorruptFile, WrongPassword

#: Keybag versions met in backups (3: iOS 5-10.1, 4/5: iOS 10.2+).
KNOWN_VERSIONS = frozenset({2, 3, 4, 5})
WRAP_DEVICE = 1
WRAP_PASSCODE = 2
KEYBAG_TYPES = {0: "System", 1: "Backup", 2: "Escrow", 3: "OTA (icloud)"}
_INT_TAGS = {"VERS", "TYPE", "WRAP", "ITER", "CLAS", "KTYP", "DPWT", "DPIC"}


class UnknownKeybag(CorruptFile):
    """The keybag has a version or layout reclaim does not know."""


@dataclass(slots=True)
class ClassKey:
    """One protection class's wrapped key."""

    clas: int
    wrap: int = 0
    ktyp: int = 0
    wpky: bytes = b""
    uuid: bytes = b""


@dataclass(slots=True)
class Keybag:
    """A parsed backup keybag; :meth:`unlock` fills :attr:`class_keys`."""

    version: int
    type: int
    uuid: bytes = b""
    wrap: int = 0
    salt: bytes = b""
    iterations: int = 0
    dpwt: int | None = None
    dpic: int | None = None
    dpsl: bytes | None = None
    wrapped: dict[int, ClassKey] = field(default_factory=dict)
    class_keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    derived_key: bytes | None = field(default=None, repr=False)

    def derive(self, password: str | bytes) -> bytes:
        """The password key (slow by design; see :func:`derive_key`)."""
        return derive_key(password, self.salt, self.iterations, self.dpic, self.dpsl)

    def unlock(
        self, password: str | bytes | None = None, *, derived_key: bytes | None = None, name: str = ""
    ) -> dict[int, bytes]:
        """Unwrap every passcode-wrapped class key; raise :class:`WrongPassword` if they do not unwrap.

        Exactly one derivation is done (none when ``derived_key`` is given).
        """
        if derived_key is None:
            if password is None:
                raise ValueError("a password or a derived key is needed")
            derived_key = self.derive(password)
        keys: dict[int, bytes] = {}
        for clas, ck in self.wrapped.items():
            if not ck.wrap & WRAP_PASSCODE or not ck.wpky:
                continue
            try:
                keys[clas] = aes_key_unwrap(derived_key, ck.wpky)
            except (InvalidUnwrap, ValueError):
                raise WrongPassword(f"wrong password for backup {name}".rstrip()) from None
        if not keys:
            raise UnknownKeybag("keybag holds no password-wrapped class keys")
        self.class_keys = keys
        self.derived_key = derived_key
        return keys

    def unwrap(self, clas: int, wrapped_key: bytes) -> bytes:
        """Unwrap a per-file (or Manifest.db) key with an unlocked class key."""
        key = self.class_keys.get(clas)
        if key is None:
            raise CorruptFile(f"no key for protection class {clas} in the keybag")
        try:
            return aes_key_unwrap(key, wrapped_key)
        except (InvalidUnwrap, ValueError):
            raise CorruptFile(f"a class-{clas} file key does not unwrap (damaged record)") from None


def derive_key(
    password: str | bytes, salt: bytes, iterations: int, dpic: int | None = None, dpsl: bytes | None = None
) -> bytes:
    """The 32-byte password key of a backup keybag.

    iOS 10.2+: PBKDF2-HMAC-SHA1(PBKDF2-HMAC-SHA256(password, DPSL, DPIC), SALT, ITER).
    Older: PBKDF2-HMAC-SHA1(password, SALT, ITER).
    """
    pw = password.encode("utf-8") if isinstance(password, str) else password
    if dpsl and dpic:
        pw = hashlib.pbkdf2_hmac("sha256", pw, dpsl, dpic, 32)
    return hashlib.pbkdf2_hmac("sha1", pw, salt, iterations, 32)


def parse_tlv(data: bytes) -> list[tuple[str, bytes]]:
    """The (tag, value) records of a keybag."""
    out: list[tuple[str, bytes]] = []
    i = 0
    while i + 8 <= len(data):
        tag = data[i : i + 4].decode("latin-1")
        (length,) = struct.unpack(">I", data[i + 4 : i + 8])
        value = data[i + 8 : i + 8 + length]
        if len(value) != length:
            raise UnknownKeybag(f"keybag record {tag!r} is truncated")
        out.append((tag, value))
        i += 8 + length
    if i != len(data):
        raise UnknownKeybag("keybag has trailing bytes")
    return out


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big") if value else 0


def parse_keybag(data: bytes) -> Keybag:
    """Parse a ``BackupKeyBag`` (raises :class:`UnknownKeybag` for versions or layouts not known)."""
    records = parse_tlv(data)
    if not records or records[0][0] != "VERS":
        raise UnknownKeybag("keybag does not start with VERS")
    header: dict[str, bytes] = {}
    classes: list[dict[str, bytes]] = []
    current: dict[str, bytes] | None = None
    for tag, value in records:
        if tag == "UUID" and "UUID" in header:
            current = {"UUID": value}
            classes.append(current)
        elif current is not None:
            current[tag] = value
        else:
            header[tag] = value
    version = _int(header["VERS"])
    if version not in KNOWN_VERSIONS:
        raise UnknownKeybag(f"unknown keybag version {version}")
    bag = Keybag(
        version=version,
        type=_int(header.get("TYPE", b"")),
        uuid=header.get("UUID", b""),
        wrap=_int(header.get("WRAP", b"")),
        salt=header.get("SALT", b""),
        iterations=_int(header.get("ITER", b"")),
        dpwt=_int(header["DPWT"]) if "DPWT" in header else None,
        dpic=_int(header["DPIC"]) if "DPIC" in header else None,
        dpsl=header.get("DPSL"),
    )
    if not bag.salt or not bag.iterations:
        raise UnknownKeybag("keybag has no SALT/ITER")
    for rec in classes:
        if "CLAS" not in rec:
            continue
        clas = _int(rec["CLAS"])
        bag.wrapped[clas] = ClassKey(
            clas=clas,
            wrap=_int(rec.get("WRAP", b"")),
            ktyp=_int(rec.get("KTYP", b"")),
            wpky=rec.get("WPKY", b""),
            uuid=rec["UUID"],
        )
    return bag


def build_keybag(
    password: str,
    *,
    iterations: int = 10_000,
    dpic: int | None = 10_000,
    classes: tuple[int, ...] = tuple(range(1, 12)),
    salt: bytes | None = None,
    dpsl: bytes | None = None,
    class_keys: dict[int, bytes] | None = None,
    version: int | None = None,
) -> tuple[bytes, dict[int, bytes]]:
    """A genuine backup keybag for ``password`` and its class keys (for the sample and tests).

    Real iOS uses DPIC = 10,000,000; the sample uses modest counts so it unlocks fast.
    ``dpic=None`` writes a pre-10.2 keybag (no DPWT/DPIC/DPSL).
    """
    salt = salt or os.urandom(20)
    if dpic:
        dpsl = dpsl or os.urandom(20)
    key = derive_key(password, salt, iterations, dpic, dpsl if dpic else None)
    keys = dict(class_keys or {c: os.urandom(32) for c in classes})
    version = version or (4 if dpic else 3)

    def rec(tag: str, value: bytes | int) -> bytes:
        raw = struct.pack(">I", value) if isinstance(value, int) else value
        return tag.encode("ascii") + struct.pack(">I", len(raw)) + raw

    out = [
        rec("VERS", version),
        rec("TYPE", 1),
        rec("UUID", os.urandom(16)),
        rec("HMCK", aes_key_wrap(key, os.urandom(32))),
        rec("WRAP", 0),
        rec("SALT", salt),
        rec("ITER", iterations),
    ]
    if dpic:
        assert dpsl is not None
        out += [rec("DPWT", 1), rec("DPIC", dpic), rec("DPSL", dpsl)]
    for clas in sorted(keys, reverse=True):
        out += [
            rec("UUID", os.urandom(16)),
            rec("CLAS", clas),
            rec("WRAP", WRAP_PASSCODE),
            rec("KTYP", 0),
            rec("WPKY", aes_key_wrap(key, keys[clas])),
        ]
    return b"".join(out), keys


# Password-check vectors ($itunes_backup$ hashes) ------------------------------------------

_HASH = re.compile(
    r"^\$itunes_backup\$\*(?P<ver>\d+)\*(?P<wpky>[0-9a-fA-F]{80})\*(?P<iter>\d+)\*(?P<salt>[0-9a-fA-F]{40})"
    r"\*(?P<dpic>\d*)\*(?P<dpsl>[0-9a-fA-F]{40})?$"
)


@dataclass(frozen=True, slots=True)
class ItunesHash:
    """A ``$itunes_backup$*ver*WPKY*ITER*SALT*DPIC*DPSL`` password-check record (hashcat/John format)."""

    version: int
    wpky: bytes
    iterations: int
    salt: bytes
    dpic: int | None
    dpsl: bytes | None


def parse_itunes_hash(text: str) -> ItunesHash:
    """Parse a ``$itunes_backup$`` string (ver 9: pre-iOS 10.2, ver 10: with DPIC/DPSL)."""
    match = _HASH.match(text.strip())
    if not match:
        raise ValueError("not an $itunes_backup$*ver*WPKY*ITER*SALT*DPIC*DPSL string")
    dpic = int(match["dpic"]) if match["dpic"] else None
    dpsl = bytes.fromhex(match["dpsl"]) if match["dpsl"] else None
    return ItunesHash(
        version=int(match["ver"]),
        wpky=bytes.fromhex(match["wpky"]),
        iterations=int(match["iter"]),
        salt=bytes.fromhex(match["salt"]),
        dpic=dpic,
        dpsl=dpsl,
    )


def verify_password(
    wpky: bytes, iterations: int, salt: bytes, dpic: int | None, dpsl: bytes | None, password: str | bytes
) -> bool:
    """Whether ``password`` unwraps ``wpky`` (RFC 3394 integrity check) under the keybag's parameters."""
    key = derive_key(password, salt, iterations, dpic, dpsl)
    try:
        aes_key_unwrap(key, wpky)
    except (InvalidUnwrap, ValueError):
        return False
    return True


def verify_itunes_hash(text: str | ItunesHash, password: str | bytes) -> bool:
    """Check a password against a ``$itunes_backup$`` string."""
    h = parse_itunes_hash(text) if isinstance(text, str) else text
    use_dp = h.version >= 10 and h.dpic and h.dpsl
    return verify_password(
        h.wpky, h.iterations, h.salt, h.dpic if use_dp else None, h.dpsl if use_dp else None, password
    )
