"""Writing a real iTunes/Finder backup (iOS 10+ layout) from :class:`SampleFile` s.

The result is indistinguishable in structure from what Finder writes: ``Manifest.db``
with the real ``Files``/``Properties`` schema and NSKeyedArchiver ``MBFile`` blobs,
``Info.plist``, ``Manifest.plist`` (with a genuine ``BackupKeyBag`` and ``ManifestKey``
when encrypted), ``Status.plist``, and the files under ``<id[:2]>/<id>``.

Encrypted samples use a keybag with DPIC = 10,000 and ITER = 10,000 so they unlock in
a fraction of a second; real iOS uses DPIC = 10,000,000 (about 5 s). Everything else —
per-file AES-256-CBC keys wrapped with class keys, the encrypted Manifest.db — is as
on a phone. A :class:`SampleFile` whose ``mode`` is a symbolic link (``0o120000``) is
written as a link entry whose target is its ``data``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import plistlib
import shutil
import sqlite3
import stat
import struct
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from reclaim.crypto.keybag import build_keybag
from reclaim.crypto.keychain import build_keychain
from reclaim.crypto.stream import Encryptor, encrypt_bytes
from reclaim.sample.model import SAMPLE_DEVICE, SAMPLE_NOW, SampleFile
from reclaim.sources.manifest_db import SCHEMA, file_id
from reclaim.sources.mbfile import MBFile, encode_mbfile

log = logging.getLogger(__name__)

#: Protection class of the sample's files (NSFileProtectionCompleteUntilFirstUserAuthentication).
FILE_CLASS = 3
#: Protection class of the Manifest.db key.
MANIFEST_CLASS = 4
#: Key-derivation counts of the sample (real iOS: DPIC 10,000,000).
SAMPLE_ITER = 10_000
SAMPLE_DPIC = 10_000
COPY_CHUNK = 4 << 20


def _ts(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _naive_utc(value: datetime) -> datetime:
    """plistlib writes naive datetimes as UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


class _Writer:
    """Streams entries into the folder and the Manifest.db rows."""

    def __init__(self, target: Path, conn: sqlite3.Connection, class_keys: dict[int, bytes] | None, now: int) -> None:
        self.target = target
        self.conn = conn
        self.class_keys = class_keys
        self.now = now
        self.dirs: set[tuple[str, str]] = set()
        self.inode = 1000
        self.apps: list[str] = []
        self.files: set[tuple[str, str]] = set()

    def _row(self, domain: str, path: str, flags: int, record: MBFile) -> None:
        self.inode += 1
        record.inode = self.inode
        record.relative_path = path
        self.conn.execute(
            "INSERT OR REPLACE INTO Files (fileID, domain, relativePath, flags, file) VALUES (?, ?, ?, ?, ?)",
            (file_id(domain, path), domain, path, flags, encode_mbfile(record)),
        )

    def directory(self, domain: str, path: str, mtime: int | None = None, mode: int | None = None) -> None:
        if (domain, path) in self.dirs:
            return
        if path:
            self.directory(domain, path.rpartition("/")[0], mtime)
        self.dirs.add((domain, path))
        if domain.startswith("AppDomain-") and domain[len("AppDomain-") :] not in self.apps:
            self.apps.append(domain[len("AppDomain-") :])
        stamp = mtime if mtime is not None else self.now
        self._row(
            domain, path, 2, MBFile(mode=mode or 0o040755, mtime=stamp, birth=stamp, ctime=stamp, protection_class=0)
        )

    def link(self, domain: str, path: str, target: str, mtime: int, mode: int) -> None:
        self.directory(domain, path.rpartition("/")[0], mtime)
        self._row(
            domain, path, 4, MBFile(mode=mode, mtime=mtime, birth=mtime, ctime=mtime, target=target, protection_class=0)
        )

    def file(self, item: SampleFile) -> None:
        mtime = _ts(item.mtime)
        if (item.domain, item.path) in self.files:
            log.warning("sample file %s/%s is written twice; the last one wins", item.domain, item.path)
        self.files.add((item.domain, item.path))
        self.directory(item.domain, item.path.rpartition("/")[0], mtime)
        fid = file_id(item.domain, item.path)
        folder = self.target / fid[:2]
        folder.mkdir(exist_ok=True)
        key_blob: bytes | None = None
        dest = folder / fid
        if self.class_keys is None:
            if isinstance(item.data, Path):
                shutil.copyfile(item.data, dest)
            else:
                dest.write_bytes(item.data or b"")
        else:
            key = os.urandom(32)
            key_blob = struct.pack("<I", FILE_CLASS) + aes_key_wrap(self.class_keys[FILE_CLASS], key)
            if isinstance(item.data, Path):
                enc = Encryptor(key)
                with open(item.data, "rb") as src, open(dest, "wb") as out:
                    for chunk in iter(lambda: src.read(COPY_CHUNK), b""):
                        out.write(enc.update(chunk))
                    out.write(enc.finalize())
            else:
                dest.write_bytes(encrypt_bytes(key, item.data or b""))
        size = item.data.stat().st_size if isinstance(item.data, Path) else len(item.data or b"")
        record = MBFile(
            size=size,
            mode=item.mode or 0o100644,
            mtime=mtime,
            birth=mtime,
            ctime=mtime,
            protection_class=FILE_CLASS,
            encryption_key=key_blob,
        )
        self._row(item.domain, item.path, 1, record)


def write_backup(
    target: Path,
    files: Iterable[SampleFile],
    *,
    encrypted: bool = False,
    password: str | None = None,
    device: dict = SAMPLE_DEVICE,
    now: datetime = SAMPLE_NOW,
    dpic: int = SAMPLE_DPIC,
    iterations: int = SAMPLE_ITER,
    keychain: list[tuple[str, int, dict]] | None = None,
) -> Path:
    """Write a complete modern backup of ``files`` into the folder ``target`` (created; must be empty).

    ``password`` is required when ``encrypted``. ``keychain`` items ``(table, class,
    attributes)`` become ``KeychainDomain/keychain-backup.plist`` (encrypted backups only,
    as on a phone). Returns ``target``.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty")
    if encrypted and not password:
        raise ValueError("an encrypted sample needs a password")
    stamp = _ts(now)
    keybag: bytes | None = None
    class_keys: dict[int, bytes] | None = None
    if encrypted:
        assert password is not None
        keybag, class_keys = build_keybag(password, iterations=iterations, dpic=dpic)
    with tempfile.TemporaryDirectory(prefix="reclaim-build-") as tmp:
        db_path = Path(tmp) / "Manifest.db" if encrypted else target / "Manifest.db"
        conn = sqlite3.connect(db_path)
        try:
            conn.executescript(SCHEMA)
            writer = _Writer(target, conn, class_keys, stamp)
            for item in files:
                if item.is_dir:
                    writer.directory(item.domain, item.path, _ts(item.mtime), item.mode)
                elif item.mode is not None and stat.S_ISLNK(item.mode):
                    raw = item.data.read_bytes() if isinstance(item.data, Path) else item.data or b""
                    writer.link(item.domain, item.path, raw.decode("utf-8"), _ts(item.mtime), item.mode)
                else:
                    writer.file(item)
            if encrypted and keychain:
                assert class_keys is not None
                writer.file(
                    SampleFile("KeychainDomain", "keychain-backup.plist", build_keychain(keychain, class_keys), now)
                )
            conn.commit()
        finally:
            conn.close()
        manifest_key: bytes | None = None
        if encrypted:
            assert class_keys is not None
            db_key = os.urandom(32)
            manifest_key = struct.pack("<I", MANIFEST_CLASS) + aes_key_wrap(class_keys[MANIFEST_CLASS], db_key)
            enc = Encryptor(db_key)
            with open(db_path, "rb") as src, open(target / "Manifest.db", "wb") as out:
                for chunk in iter(lambda: src.read(COPY_CHUNK), b""):
                    out.write(enc.update(chunk))
                out.write(enc.finalize())
    _write_plists(target, device, now, writer.apps, encrypted, keybag, manifest_key)
    return target


def _write_plists(
    target: Path,
    device: dict,
    now: datetime,
    apps: list[str],
    encrypted: bool,
    keybag: bytes | None,
    manifest_key: bytes | None,
) -> None:
    from reclaim.sample.content.apps import bundle_version, itunes_metadata  # the sample apps' store metadata

    date = _naive_utc(now)
    app_info = {
        app: {
            "CFBundleIdentifier": app,
            "CFBundleVersion": bundle_version(app),
            "ContainerContentClass": "Data/Application",
            "Path": f"/private/var/containers/Bundle/Application/{uuid.uuid5(uuid.NAMESPACE_DNS, app)}/"
            f"{app.rsplit('.', 1)[-1]}.app",
        }
        for app in apps
    }
    info = {
        "Applications": {app: {"iTunesMetadata": itunes_metadata(app), "PlaceholderIcon": b""} for app in apps},
        "Build Version": device.get("Build Version", ""),
        "Device Name": device.get("Device Name", ""),
        "Display Name": device.get("Display Name", device.get("Device Name", "")),
        "GUID": hashlib.md5(str(device.get("Unique Identifier", "")).encode()).hexdigest().upper(),
        "ICCID": device.get("ICCID", ""),
        "IMEI": device.get("IMEI", ""),
        "Installed Applications": list(apps),
        "Last Backup Date": date,
        "Phone Number": device.get("Phone Number", ""),
        "Product Name": device.get("Product Name", ""),
        "Product Type": device.get("Product Type", ""),
        "Product Version": device.get("Product Version", ""),
        "Serial Number": device.get("Serial Number", ""),
        "Target Identifier": device.get("Target Identifier", device.get("Unique Identifier", "")),
        "Target Type": "Device",
        "Unique Identifier": device.get("Unique Identifier", ""),
        "iTunes Settings": {},
        "iTunes Version": "12.13.1.3",
    }
    manifest: dict[str, object] = {
        "Applications": app_info,
        "Date": date,
        "IsEncrypted": encrypted,
        "Lockdown": {
            "BuildVersion": device.get("Build Version", ""),
            "DeviceName": device.get("Device Name", ""),
            "ProductType": device.get("Product Type", ""),
            "ProductVersion": device.get("Product Version", ""),
            "SerialNumber": device.get("Serial Number", ""),
            "UniqueDeviceID": device.get("Unique Identifier", ""),
            "com.apple.MobileDeviceCrashCopy": {},
            "com.apple.TerminalFlashr": {},
            "com.apple.mobile.data_sync": {},
            "com.apple.Accessibility": {},
            "com.apple.mobile.iTunes.accessories": {},
        },
        "SystemDomainsVersion": "24.0",
        "Version": "10.0",
        "WasPasscodeSet": True,
    }
    if encrypted:
        manifest["BackupKeyBag"] = keybag
        manifest["ManifestKey"] = manifest_key
    status = {
        "BackupState": "new",
        "Date": date,
        "IsFullBackup": False,
        "SnapshotState": "finished",
        "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{device.get('Unique Identifier')}/{date}")).upper(),
        "Version": "3.3",
    }
    for name, data, fmt in (
        ("Info.plist", info, plistlib.FMT_XML),
        ("Manifest.plist", manifest, plistlib.FMT_BINARY),
        ("Status.plist", status, plistlib.FMT_BINARY),
    ):
        with open(target / name, "wb") as handle:
            plistlib.dump(data, handle, fmt=fmt)
    with contextlib.suppress(OSError):
        os.utime(target, (_ts(now), _ts(now)))


def write_legacy_backup(
    target: Path,
    files: Iterable[SampleFile],
    *,
    encrypted: bool = False,
    password: str | None = None,
    device: dict = SAMPLE_DEVICE,
    now: datetime = SAMPLE_NOW,
    iterations: int = SAMPLE_ITER,
    product_version: str = "9.3.5",
) -> Path:
    """Write an iOS 4–9 style backup (Manifest.mbdb, files flat in the root), for tests.

    Encrypted legacy backups use a pre-10.2 keybag (no DPIC/DPSL) and keep the
    manifest in clear, as iOS 9 did.
    """
    from reclaim.sources.mbdb import MbdbRecord, encode_mbdb

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    class_keys: dict[int, bytes] | None = None
    keybag: bytes | None = None
    if encrypted:
        if not password:
            raise ValueError("an encrypted backup needs a password")
        keybag, class_keys = build_keybag(password, iterations=iterations, dpic=None)
    records = []
    for n, item in enumerate(files, 1):
        mtime = _ts(item.mtime)
        if item.is_dir:
            records.append(MbdbRecord(item.domain, item.path, item.mode or 0o040755, 0, mtime, mtime, mtime, n))
            continue
        raw = item.data.read_bytes() if isinstance(item.data, Path) else item.data or b""
        if item.mode is not None and stat.S_ISLNK(item.mode):
            records.append(
                MbdbRecord(item.domain, item.path, item.mode, 0, mtime, mtime, mtime, n, target=raw.decode())
            )
            continue
        key_blob = None
        stored = raw
        if class_keys is not None:
            key = os.urandom(32)
            key_blob = struct.pack("<I", FILE_CLASS) + aes_key_wrap(class_keys[FILE_CLASS], key)
            stored = encrypt_bytes(key, raw)
        (target / file_id(item.domain, item.path)).write_bytes(stored)
        records.append(
            MbdbRecord(
                item.domain,
                item.path,
                item.mode or 0o100644,
                len(raw),
                mtime,
                mtime,
                mtime,
                n,
                data_hash=hashlib.sha1(raw).digest(),
                encryption_key=key_blob,
                protection_class=FILE_CLASS,
            )
        )
    (target / "Manifest.mbdb").write_bytes(encode_mbdb(records))
    manifest: dict[str, object] = {
        "IsEncrypted": encrypted,
        "Lockdown": {"ProductVersion": product_version, "DeviceName": device.get("Device Name", "")},
        "Version": "9.1",
        "Date": _naive_utc(now),
    }
    if keybag is not None:
        manifest["BackupKeyBag"] = keybag
    with open(target / "Manifest.plist", "wb") as handle:
        plistlib.dump(manifest, handle, fmt=plistlib.FMT_BINARY)
    with open(target / "Info.plist", "wb") as handle:
        plistlib.dump(
            {
                "Device Name": device.get("Device Name", ""),
                "Product Type": device.get("Product Type", ""),
                "Product Version": product_version,
                "Last Backup Date": _naive_utc(now),
            },
            handle,
        )
    return target
