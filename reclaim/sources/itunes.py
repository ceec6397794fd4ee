"""iTunes/Finder backups: modern (Manifest.db) and legacy (Manifest.mbdb), plain or encrypted.

A backup folder holds ``Info.plist`` (device), ``Manifest.plist`` (keybag, apps,
lockdown), ``Status.plist`` and the manifest; each file is stored under its hashed name,
``<id[:2]>/<id>`` (iOS 10+) or ``<id>`` (older). Any of the plists may be missing.

Encrypted backups are unlocked once: the password (or a derived key kept from an
earlier run, :attr:`ITunesBackup.derived_key`) unwraps the class keys, the
``ManifestKey`` decrypts Manifest.db into a private temporary file, and every file is
decrypted on the fly with its own key. The backup folder is never written to.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import plistlib
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from reclaim.crypto.keybag import Keybag, parse_keybag
from reclaim.crypto.stream import CHUNK, DecryptingReader, open_decrypting
from reclaim.errors import CorruptFile, NotASource, PasswordRequired
from reclaim.sources.errors import MissingFile
from reclaim.sources.manifest_db import ManifestDB, file_id
from reclaim.sources.mbdb import Mbdb
from reclaim.sources.mbfile import split_class_key
from reclaim.sqlite.headless import has_database_pages
from reclaim.vfs import Entry, EntryKind, SourceInfo, VirtualFS, matches

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
MANIFEST_FILES = ("Manifest.db", "Manifest.mbdb")


def is_backup_dir(path: Path) -> bool:
    """Whether a folder looks like one backup (a manifest, or Info.plist + Manifest.plist)."""
    if not path.is_dir():
        return False
    if any((path / name).is_file() for name in MANIFEST_FILES):
        return True
    return (path / "Manifest.plist").is_file() and (path / "Info.plist").is_file()


#: What each of a backup's property lists tells (lost when it is damaged).
_HOLDS = {"Info.plist": "the device's name, model and phone number", "Status.plist": "the backup's state",
          "Manifest.plist": "the backup's date and apps"}


def _load_plist(path: Path, warnings: list[str] | None = None) -> dict[str, Any]:
    """A backup's property list (empty when missing). A damaged one is an error, or with ``warnings`` (for
    the ones that only describe the backup) a warning added to them and no content."""
    if not path.is_file():
        return {}
    with open(path, "rb") as handle:  # (a refusal to read is no damage: it goes up as it is)
        raw = handle.read()
    try:
        data = plistlib.loads(raw)
    except Exception as exc:
        problem = f"unreadable property list ({exc.__class__.__name__})"
        if warnings is None:
            raise CorruptFile(problem, path) from None
        warnings.append(f"{path.name} is damaged ({problem}): {_HOLDS.get(path.name, 'what it holds')} "
                        "cannot be shown")
        return {}
    return data if isinstance(data, dict) else {}


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None


def _literal(glob: str | None) -> bool:
    """Whether a domain or path pattern names one thing (no wildcard)."""
    return glob is not None and not any(c in glob for c in "*?[")


class BackupOpener:
    """Opens a backup's entries from a plain path and the unlocked class keys.

    Picklable, so ``extract`` can hand it to worker processes.
    """

    def __init__(self, root: Path, class_keys: dict[int, bytes] | None) -> None:
        self.root = root
        self.class_keys = class_keys

    def locate(self, entry: Entry) -> Path:
        """The stored file of an entry: ``<id[:2]>/<id>`` or ``<id>``."""
        fid = entry.file_id
        if len(fid) < 3 or "/" in fid or "\\" in fid or fid.startswith("."):
            raise MissingFile(f"bad file id {fid!r} for {entry.domain}/{entry.path}", self.root)
        for candidate in (self.root / fid[:2] / fid, self.root / fid):
            if candidate.is_file():
                return candidate
        raise MissingFile(f"file {fid} of {entry.domain}/{entry.path} is missing", self.root)

    def file_key(self, entry: Entry) -> bytes | None:
        """The unwrapped AES key of an encrypted entry, ``None`` for plain ones."""
        if self.class_keys is None or not entry.encryption_key:
            return None
        from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

        clas, wrapped = split_class_key(entry.encryption_key)
        key = self.class_keys.get(clas)
        if key is None:
            raise CorruptFile(f"no class-{clas} key for {entry.domain}/{entry.path}", self.root)
        try:
            return aes_key_unwrap(key, wrapped)
        except (InvalidUnwrap, ValueError):
            raise CorruptFile(f"the key of {entry.domain}/{entry.path} does not unwrap", self.root) from None

    def __call__(self, entry: Entry) -> BinaryIO:
        if entry.kind is not EntryKind.FILE:
            raise IsADirectoryError(f"{entry.domain}/{entry.path} is not a regular file")
        path = self.locate(entry)
        key = self.file_key(entry)
        if key is None:
            return open(path, "rb")
        return open_decrypting(path, key, entry.size, f"{entry.domain}/{entry.path}")  # type: ignore[return-value]

    def copy_into(self, entry: Entry, out: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
        """Stream an entry's plaintext into ``out`` with large buffers; returns the byte count."""
        path = self.locate(entry)
        key = self.file_key(entry)
        with open(path, "rb", buffering=0) as raw:
            if key is not None:
                reader = DecryptingReader(raw, key, entry.size, f"{entry.domain}/{entry.path}")  # type: ignore[arg-type]
                return reader.copy_to(out, progress)
            total = 0
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            while True:
                n = raw.readinto(view)
                if not n:
                    break
                out.write(view[:n])
                total += n
                if progress is not None:
                    progress(n)
            return total


class ITunesBackup(VirtualFS):
    """One iTunes/Finder backup folder as a read-only virtual file system."""

    def __init__(
        self,
        root: Path,
        *,
        password: str | None = None,
        password_provider: Callable[[str], str] | None = None,
        derived_key: bytes | None = None,
    ) -> None:
        self.root = root
        self.location = root
        self.name = root.name
        self._tmpdir: str | None = None
        self._manifest: ManifestDB | Mbdb | None = None
        self._warnings: list[str] = []  # what is wrong with the backup as a whole
        self.info_plist = _load_plist(root / "Info.plist", self._warnings)
        self.status_plist = _load_plist(root / "Status.plist", self._warnings)
        self.keybag: Keybag | None = None
        db_path, mbdb_path = root / "Manifest.db", root / "Manifest.mbdb"
        if not db_path.is_file() and not mbdb_path.is_file():
            raise NotASource("no Manifest.db or Manifest.mbdb: not a complete backup", root)
        self.legacy = not db_path.is_file()
        # Manifest.plist says whether the backup is encrypted and holds its keys: damaged, it can be done without
        # only where Manifest.db shows the backup is not encrypted (an old backup's Manifest.mbdb cannot show it).
        plain = not self.legacy and not self._db_looks_encrypted(db_path)
        self.manifest_plist = _load_plist(root / "Manifest.plist", self._warnings if plain else None)
        self.encrypted = bool(self.manifest_plist.get("IsEncrypted")) or "ManifestKey" in self.manifest_plist
        # A Manifest.db whose first bytes are damaged looks encrypted: Manifest.plist, read whole, says it is not.
        plain = plain or (not self.legacy and self.manifest_plist.get("IsEncrypted") is False)
        if not self.encrypted and not self.legacy and not plain:
            raise CorruptFile(
                "Manifest.db is encrypted but Manifest.plist (which holds the keybag) is missing or damaged",
                root,
            )
        if self.encrypted:
            self._unlock(password, password_provider, derived_key)
        self._opener = BackupOpener(root, self.keybag.class_keys if self.keybag else None)
        try:
            if self.legacy:
                self._manifest = Mbdb(mbdb_path)
            else:
                self._manifest = ManifestDB(self._plain_manifest_db(db_path))
                if self._manifest.problem and self._manifest.count() == 0 and not self._files_by_name():
                    raise CorruptFile(f"not a readable Manifest.db ({self._manifest.problem})", db_path)
        except BaseException:
            _cleanup(self._manifest, self._tmpdir)  # (a damaged Manifest.db's scratch copy too)
            raise
        self._finalizer = weakref.finalize(self, _cleanup, self._manifest, self._tmpdir)

    # Unlocking --------------------------------------------------------------------------

    @staticmethod
    def _db_looks_encrypted(path: Path) -> bool:
        with open(path, "rb") as handle:
            head = handle.read(16)
        return len(head) == 16 and head != SQLITE_MAGIC

    def _unlock(
        self,
        password: str | None,
        provider: Callable[[str], str] | None,
        derived_key: bytes | None,
    ) -> None:
        blob = self.manifest_plist.get("BackupKeyBag")
        if not isinstance(blob, bytes):
            raise CorruptFile("encrypted backup without a BackupKeyBag in Manifest.plist", self.root)
        try:
            self.keybag = parse_keybag(blob)
        except CorruptFile as exc:
            raise type(exc)(str(exc), self.root / "Manifest.plist") from None
        if derived_key is not None:
            self.keybag.unlock(derived_key=derived_key, name=self.name)
            return
        if password is None and provider is not None:
            password = provider(self.name)
        if password is None:
            raise PasswordRequired(f"backup {self.name} is encrypted: a password is needed")
        self.keybag.unlock(password, name=self.name)

    @property
    def derived_key(self) -> bytes | None:
        """The password-derived key (reuse it with ``open_source(..., derived_key=...)``)."""
        return self.keybag.derived_key if self.keybag else None

    def _plain_manifest_db(self, db_path: Path) -> Path:
        key_blob = self.manifest_plist.get("ManifestKey")
        if not self.encrypted or not isinstance(key_blob, bytes):
            return db_path  # iOS < 10.2 encrypted backups keep Manifest.db in clear
        assert self.keybag is not None
        clas, wrapped = split_class_key(key_blob)
        key = self.keybag.unwrap(clas, wrapped)
        self._tmpdir = tempfile.mkdtemp(prefix="reclaim-manifest-")
        os.chmod(self._tmpdir, 0o700)
        target = Path(self._tmpdir) / "Manifest.db"
        try:
            with open(db_path, "rb", buffering=0) as raw, open(target, "wb") as out:
                reader = DecryptingReader(raw, key, None, "Manifest.db", padded=False)  # type: ignore[arg-type]
                shutil.copyfileobj(reader, out, CHUNK)
                size = reader.size
            _strip_padding(target, size)
            with open(target, "rb") as handle:
                head = handle.read(16)
            if head != SQLITE_MAGIC and not has_database_pages(target):  # (a damaged head alone: read around)
                raise CorruptFile("decrypted Manifest.db is not a database (damaged ManifestKey?)")
        except CorruptFile as exc:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise CorruptFile(f"cannot decrypt Manifest.db ({exc})", db_path) from None
        return target

    # VirtualFS ----------------------------------------------------------------------------

    @property
    def info(self) -> SourceInfo:
        info_p, man_p = self.info_plist, self.manifest_plist
        lockdown = man_p.get("Lockdown") if isinstance(man_p.get("Lockdown"), dict) else {}

        def pick(info_key: str, lockdown_key: str) -> str | None:
            value = info_p.get(info_key) or lockdown.get(lockdown_key)
            return str(value) if value is not None else None

        apps = info_p.get("Installed Applications") or list((man_p.get("Applications") or {}).keys())
        date = _iso(info_p.get("Last Backup Date")) or _iso(man_p.get("Date")) or _iso(self.status_plist.get("Date"))
        assert self._manifest is not None
        count = self._manifest.count_files() if isinstance(self._manifest, ManifestDB) else None
        return SourceInfo(
            kind="itunes-backup-legacy" if self.legacy else "itunes-backup",
            device_name=pick("Device Name", "DeviceName"),
            product_type=pick("Product Type", "ProductType"),
            product_version=pick("Product Version", "ProductVersion"),
            build_version=pick("Build Version", "BuildVersion"),
            serial_number=pick("Serial Number", "SerialNumber"),
            udid=pick("Unique Identifier", "UniqueDeviceID") or pick("Target Identifier", "UniqueDeviceID"),
            phone_number=pick("Phone Number", "PhoneNumber"),
            imei=pick("IMEI", "InternationalMobileEquipmentIdentity"),
            backup_date=date,
            encrypted=self.encrypted,
            apps=sorted(str(a) for a in apps),
            extra={
                "file_count": count,
                "product_name": pick("Product Name", "ProductName"),
                "backup_version": man_p.get("Version"),
                "is_full_backup": self.status_plist.get("IsFullBackup"),
                "keybag_version": self.keybag.version if self.keybag else None,
            },
            warnings=[*self._warnings, *self.damage_found()],
        )

    def damage_found(self) -> list[str]:
        """The index's damage (Manifest.db's, found on opening it or midway through a read; Manifest.mbdb's, found
        by a read that reached it)."""
        damage = self._manifest.damage if self._manifest is not None else None
        if not damage:
            return []
        if self.encrypted:  # (a lost entry held its file's key: no name finds that file)
            return [f"{damage}; files whose entries are lost cannot be decrypted (their keys were in them)"]
        return [f"{damage}; files whose entries are lost are found only by their names"]

    def _damaged(self) -> bool:
        """Whether files must also be looked for by their stored names (an index that lost entries, in clear)."""
        return self._manifest is not None and bool(self._manifest.damage) and not self.encrypted

    def entries(self) -> Iterator[Entry]:
        assert self._manifest is not None
        return self._manifest.entries()

    def find(self, domain: str | None = None, path: str | None = None) -> Iterator[Entry]:
        manifest_db = isinstance(self._manifest, ManifestDB)
        if _literal(domain) and _literal(path) and (self._damaged() or not manifest_db):
            entry = self.get(domain, path)  # type: ignore[arg-type]  # (a damaged index's lost entries too)
            return iter([entry] if entry is not None and matches(entry, domain, path) else [])
        if manifest_db:
            return (e for e in self._manifest.find(domain, path) if matches(e, domain, path))  # type: ignore[union-attr]
        return super().find(domain, path)

    def get(self, domain: str, path: str) -> Entry | None:
        assert self._manifest is not None
        path = path.strip("/")
        entry = self._manifest.get(domain, path)
        if entry is None and self._damaged():
            return self._by_name(domain, path)
        return entry

    def _files_by_name(self) -> bool:
        """Whether files can be found without Manifest.db: the backup is not encrypted and keeps some stored
        files (in folders named by the first two hex digits of their names)."""
        return not self.encrypted and any(len(p.name) == 2 and p.is_dir() for p in self.root.iterdir())

    def _by_name(self, domain: str, path: str) -> Entry | None:
        """The entry of a file whose row a damaged Manifest.db lost, found by its stored name (the SHA-1 of its
        domain and path) where the backup keeps it in clear. Its dates and mode are lost with the row."""
        entry = Entry(domain=domain, path=path, kind=EntryKind.FILE, file_id=file_id(domain, path))
        try:
            stored = self._opener.locate(entry)  # (``<id[:2]>/<id>`` since iOS 10, ``<id>`` before)
        except MissingFile:
            return None
        return dataclasses.replace(entry, size=stored.stat().st_size)

    def domains(self) -> list[str]:
        if isinstance(self._manifest, ManifestDB):
            return self._manifest.domains()
        return super().domains()

    def open(self, entry: Entry) -> BinaryIO:
        return self._opener(entry)

    def opener(self) -> BackupOpener:
        """A picklable opener of this backup's entries (for worker processes)."""
        return self._opener

    def reopener(self) -> Callable[[], VirtualFS]:
        """This backup opened again (with the derived key when it is encrypted: no slow key derivation)."""
        if self.encrypted:
            return functools.partial(ITunesBackup, self.root, derived_key=self.derived_key)
        return functools.partial(ITunesBackup, self.root)

    def local_path(self, entry: Entry) -> Path | None:
        if self.encrypted:
            return None
        try:
            path = self.stored_path(entry)
        except (MissingFile, OSError):
            return None
        return path if path.is_file() and not path.is_symlink() else None

    def stored_path(self, entry: Entry) -> Path:
        """Where an entry's (possibly encrypted) bytes are stored; raises :class:`MissingFile`."""
        return self._opener.locate(entry)

    def close(self) -> None:
        self._finalizer()


def _strip_padding(path: Path, size: int) -> None:
    """Remove PKCS#7 padding from a decrypted database, if it has any.

    SQLite files are whole pages (multiples of 512 bytes), so a valid padding that
    leaves such a size is padding; otherwise the file was stored unpadded.
    """
    if size < 16:
        return
    with open(path, "r+b") as handle:
        handle.seek(size - 16)
        last = handle.read(16)
        pad = last[-1]
        if 1 <= pad <= 16 and last[-pad:] == bytes([pad]) * pad and (size - pad) % 512 == 0:
            handle.truncate(size - pad)


def _cleanup(manifest: ManifestDB | Mbdb | None, tmpdir: str | None) -> None:
    if manifest is not None:
        with contextlib.suppress(Exception):
            manifest.close()
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)
