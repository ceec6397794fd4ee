"""Keychain: saved Wi-Fi passwords and website/app passwords, from encrypted backups only.

An iTunes/Finder backup carries the keychain as ``KeychainDomain``
``keychain-backup.plist``. In an encrypted backup its items are wrapped with the
backup keybag's class keys, which the password unlocks
(:mod:`reclaim.crypto.keychain` decrypts them); in a plain backup they are wrapped
with a key that never leaves the phone, so nothing can be read. Items marked
"this device only" stay unreadable even in encrypted backups.

This kind is opt-in (``--kinds keychain``, never in the default report): the records
hold passwords. They are kept out of the full-text index and never written to logs
or warnings.
"""

from __future__ import annotations

import base64
import plistlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reclaim.artifacts.base import Artifact, FileSpec, NothingFound, Record
from reclaim.case.context import ScanContext
from reclaim.crypto.keychain import ITEM_CLASSES, decrypt_item
from reclaim.errors import CorruptFile

DOMAIN = "KeychainDomain"
PLIST = "keychain-backup.plist"
WIFI_SERVICE = "AirPort"


@dataclass(kw_only=True)
class KeychainEntry(Record):
    """One saved secret: a Wi-Fi network, a website/app password, or another app secret."""

    KIND = "keychain"

    type: str = "other"  # wifi | password | other
    service: str = ""  # the network name (SSID) for Wi-Fi, the server for internet passwords
    account: str = ""
    password: str = ""  # the secret as text, when it is text
    secret_base64: str = ""  # the secret's bytes when they are not text (keys, tokens)
    server: str = ""
    protocol: str = ""
    port: int | None = None
    path: str = ""
    label: str = ""
    access_group: str = ""  # which app(s) may read it
    created: datetime | None = None
    modified: datetime | None = None
    table: str = ""  # genp (generic password) or inet (internet password)
    protection_class: int | None = None

    def record_label(self) -> str:
        return self.service or self.server or self.label or self.account

    def search_text(self) -> str:
        """Names only: secrets stay out of the case's full-text index."""
        return "\n".join(p for p in (self.service, self.account, self.server, self.label, self.access_group) if p)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _secret(value: Any) -> tuple[str, str]:
    """(text, base64) of a secret: text when it is printable UTF-8, else base64 of the bytes."""
    if not isinstance(value, bytes) or not value:
        return "", ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "", base64.b64encode(value).decode("ascii")
    if text.isprintable():
        return text, ""
    return "", base64.b64encode(value).decode("ascii")


def entry_from(table: str, clas: int, attrs: dict[str, Any], number: int, source: str) -> KeychainEntry:
    """A record from one decrypted item's attributes (see Apple's ``SecItem`` attribute keys)."""
    service = _text(attrs.get("svce"))
    server = _text(attrs.get("srvr"))
    if table == "genp" and service == WIFI_SERVICE:
        kind, service = "wifi", _text(attrs.get("acct"))
    elif table == "inet":
        kind, service = "password", server
    else:
        kind = "other"
    password, raw = _secret(attrs.get("v_Data"))
    created = attrs.get("cdat") if isinstance(attrs.get("cdat"), datetime) else None
    modified = attrs.get("mdat") if isinstance(attrs.get("mdat"), datetime) else None
    port = attrs.get("port")
    return KeychainEntry(
        id=f"keychain:{table}:{number}",
        date=modified or created,
        source=source,
        type=kind,
        service=service,
        account="" if kind == "wifi" else _text(attrs.get("acct")),
        password=password,
        secret_base64=raw,
        server=server,
        protocol=_text(attrs.get("ptcl")),
        port=port if isinstance(port, int) and not isinstance(port, bool) else None,
        path=_text(attrs.get("path")),
        label=_text(attrs.get("labl")),
        access_group=_text(attrs.get("agrp")),
        created=created,
        modified=modified,
        table=table,
        protection_class=clas,
    )


class KeychainArtifact(Artifact):
    """Wi-Fi networks and saved passwords from an encrypted backup's keychain (opt-in)."""

    kind = "keychain"
    title = "Keychain (passwords)"
    record = KeychainEntry
    files = (FileSpec(DOMAIN, PLIST),)
    default = False
    view = "table"

    def check(self, ctx: ScanContext) -> None:
        if not ctx.fs.info.encrypted:
            raise NothingFound("the keychain is only readable from encrypted backups")
        super().check(ctx)
        if _class_keys(ctx) is None:
            raise NothingFound("the backup's keybag is not unlocked, so the keychain cannot be decrypted")

    def extract(self, ctx: ScanContext) -> Iterator[KeychainEntry]:
        class_keys = _class_keys(ctx)
        entry = ctx.get(DOMAIN, PLIST)
        if class_keys is None or entry is None or not entry.is_file:
            return
        source = f"{DOMAIN}/{PLIST}"
        try:
            keychain = plistlib.loads(ctx.read_bytes(entry))
        except Exception as exc:  # the plist library raises several types on damaged input
            raise CorruptFile(f"{source} is unreadable ({type(exc).__name__})") from None
        device_only = failed = 0
        for table in ITEM_CLASSES:
            items = keychain.get(table) if isinstance(keychain, dict) else None
            for number, raw in enumerate(items if isinstance(items, list) else [], 1):
                blob = raw.get("v_Data") if isinstance(raw, dict) else None
                if not isinstance(blob, bytes):
                    continue
                try:
                    clas, attrs = decrypt_item(blob, class_keys)
                except CorruptFile as exc:
                    if "no class-" in str(exc):
                        device_only += 1
                    else:
                        failed += 1
                    continue
                if table in ("cert", "keys"):
                    continue  # certificates and keys are not passwords a person can use
                yield entry_from(table, clas, attrs, number, source)
        if device_only:
            ctx.warn(f"{device_only} keychain item(s) are bound to the phone (\"this device only\") and cannot be "
                     "read from a backup")
        if failed:
            ctx.warn(f"{failed} keychain item(s) could not be decrypted")


def _class_keys(ctx: ScanContext) -> dict[int, bytes] | None:
    """The unlocked class keys of the source's backup keybag (``None`` when there are none)."""
    keybag = getattr(ctx.fs, "keybag", None)
    keys = getattr(keybag, "class_keys", None)
    return keys if isinstance(keys, dict) and keys else None
