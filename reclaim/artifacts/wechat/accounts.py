"""Which WeChat accounts are on the phone, and who the owner of each is.

Each logged-in account keeps its data in ``Documents/<md5(wxid)>/``. Its wxid,
WeChat ID and nickname come from three places, tried together because each
WeChat version keeps a different subset: ``Documents/LoginInfo2.dat``
(protobuf), ``Documents/<md5>/mmsetting.archive`` (NSKeyedArchiver) and the MMKV
file ``Documents/MMappedKV/mmsetting.archive.<wxid>``. A folder with databases
but no name anywhere is still an account (named by its folder hash).
"""

from __future__ import annotations

import hashlib
import re
import struct
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reclaim.decoders.keyed_archive import KeyedArchiveError, load_plist, unarchive
from reclaim.decoders.protobuf import ProtobufError, iter_fields, read_varint
from reclaim.errors import CorruptFile
from reclaim.sources.errors import MissingFile
from reclaim.vfs import Entry, VirtualFS

DOMAIN = "AppDomain-com.tencent.xin"

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext
GROUP_DOMAIN = "AppDomainGroup-group.com.tencent.xin"
NULL_FOLDER = "0" * 32
_FOLDER = re.compile(r"Documents/([0-9a-f]{32})/(.+)")
_SHARD = re.compile(r"DB/message_(\d{1,4})\.sqlite")


def md5(text: str) -> str:
    """WeChat's name hash: lowercase hex MD5 of the UTF-8 username (folders, chat tables, media)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@dataclass
class Account:
    """One WeChat account found on the phone."""

    folder: str
    wxid: str = ""
    alias: str = ""
    nickname: str = ""
    avatar_url: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    found_in: list[str] = field(default_factory=list)
    #: message databases in reading order: MM.sqlite, message_1..N, Brand/BrandMsg.db
    message_dbs: list[Entry] = field(default_factory=list)
    files: dict[str, Entry] = field(default_factory=dict)  # path below the folder -> entry (databases etc.)

    @property
    def root(self) -> str:
        return f"Documents/{self.folder}"

    @property
    def domain(self) -> str:
        """The domain the account's databases and files are in (WeChat's app domain in a backup)."""
        return self.message_dbs[0].domain if self.message_dbs else DOMAIN

    @property
    def id(self) -> str:
        """The account's stable id: its wxid, or its folder hash when no wxid is recorded."""
        return self.wxid or self.folder

    @property
    def display(self) -> str:
        return self.nickname or self.alias or self.wxid or f"WeChat account {self.folder[:8]}"

    def entry(self, relpath: str) -> Entry | None:
        return self.files.get(relpath)


@dataclass
class Inventory:
    """What the WeChat app container holds, listed once per source."""

    accounts: list[Account]
    version: str = ""


_cache: weakref.WeakKeyDictionary[VirtualFS, Inventory] = weakref.WeakKeyDictionary()


def inventory(fs: VirtualFS) -> Inventory:
    """The accounts of a source (listed once and cached for the other WeChat kinds)."""
    cached = _cache.get(fs)
    if cached is None:
        cached = _discover(fs)
        _cache[fs] = cached
    return cached


def _db_order(path: str) -> tuple[int, int]:
    if path == "DB/MM.sqlite":
        return (0, 0)
    shard = _SHARD.fullmatch(path)
    if shard:
        return (1, int(shard.group(1)))
    return (2, 0)


def _discover(fs: VirtualFS) -> Inventory:
    folders: dict[str, Account] = {}
    mmkv: list[Entry] = []
    login: Entry | None = None
    prefs: Entry | None = None
    for entry in fs.files(DOMAIN, "*"):
        path = entry.path
        match = _FOLDER.fullmatch(path)
        if match:
            folder, rest = match.groups()
            if folder == NULL_FOLDER:
                continue
            if rest.startswith(("DB/", "Brand/", "session/", "fts/")) or rest == "mmsetting.archive":
                folders.setdefault(folder, Account(folder)).files[rest] = entry
        elif path.startswith("Documents/MMappedKV/mmsetting.archive.") and not path.endswith(".crc"):
            mmkv.append(entry)
        elif path == "Documents/LoginInfo2.dat":
            login = entry
        elif path == "Library/Preferences/com.tencent.xin.plist":
            prefs = entry
    accounts = {f: a for f, a in folders.items() if any(_is_message_db(p) for p in a.files)}
    login_data = _read_optional(fs, login)
    if login_data is not None:
        for user in _login_info(login_data):
            account = accounts.get(md5(user["wxid"]))
            if account is not None:
                _merge(account, user, "LoginInfo2.dat")
    for entry in mmkv:
        wxid = entry.path.rsplit("mmsetting.archive.", 1)[1]
        account = accounts.get(md5(wxid))
        data = _read_optional(fs, entry) if account is not None else None
        if account is not None and data is not None:
            values = read_mmkv(data)
            _merge(account, {"wxid": values.get("86", wxid), "alias": values.get("87", ""),
                             "nickname": values.get("88", ""), "avatar_url": values.get("headimgurl", "")},
                   "MMKV")
    for account in accounts.values():
        setting = account.files.get("mmsetting.archive")
        data = _read_optional(fs, setting) if setting is not None and setting.size else None
        if data is not None:
            _merge(account, _mmsetting(data), "mmsetting.archive")
        account.message_dbs = [account.files[p] for p in sorted(
            (p for p in account.files if _is_message_db(p)), key=_db_order)]
    version = ""
    prefs_data = _read_optional(fs, prefs)
    if prefs_data is not None:
        try:
            versions = load_plist(prefs_data).get("prevStartupVersions") or []
            version = str(versions[-1]) if versions else ""
        except (KeyedArchiveError, AttributeError, TypeError, IndexError, KeyError):
            version = ""
    return Inventory(sorted(accounts.values(), key=lambda a: a.folder), version)


def _read_optional(fs: VirtualFS, entry: Entry | None) -> bytes | None:
    """The bytes of an account metadata file, or ``None`` when it is absent or unreadable.

    These files only name the accounts; a backup that lost one (listed in Manifest.db, no
    file on disk) must still give every chat, so a missing file is skipped, not fatal.
    """
    if entry is None:
        return None
    try:
        return fs.read_bytes(entry)
    except (MissingFile, CorruptFile, OSError):
        return None


def _is_message_db(path: str) -> bool:
    return path == "DB/MM.sqlite" or bool(_SHARD.fullmatch(path)) or path == "Brand/BrandMsg.db"


def _merge(account: Account, values: dict[str, Any], where: str) -> None:
    wxid = values.get("wxid") or ""
    if wxid and md5(wxid) != account.folder:
        return
    for key in ("wxid", "alias", "nickname", "avatar_url"):
        if values.get(key) and not getattr(account, key):
            setattr(account, key, values[key])
    for key, value in values.get("details", {}).items():
        if value not in (None, "") and key not in account.details:
            account.details[key] = value
    account.found_in.append(where)


def _login_info(data: bytes) -> list[dict[str, str]]:
    """Users of ``LoginInfo2.dat``: field 1 holds varint-length-prefixed user records."""
    users = []
    try:
        blobs = [v for n, w, v in iter_fields(data) if n == 1 and isinstance(v, bytes)]
    except ProtobufError:
        return users
    for blob in blobs:
        pos = 0
        while pos < len(blob):
            try:
                length, pos = read_varint(blob, pos)
                record = blob[pos : pos + length]
                pos += length
                values = {n: v for n, w, v in iter_fields(record) if isinstance(v, bytes)}
            except ProtobufError:
                break
            if not length:
                break
            wxid = values.get(1, b"").decode("utf-8", "replace")
            if wxid:
                users.append({"wxid": wxid, "alias": values.get(2, b"").decode("utf-8", "replace"),
                              "nickname": values.get(3, b"").decode("utf-8", "replace")})
    return users


def _mmsetting(data: bytes) -> dict[str, Any]:
    """The owner's profile from ``mmsetting.archive`` (an archived settings object)."""
    try:
        root = unarchive(data)
    except KeyedArchiveError:
        return {}
    if not isinstance(root, dict):
        return {}
    extra = root.get("new_dicsetting") if isinstance(root.get("new_dicsetting"), dict) else {}
    details = {k: root.get(k) for k in ("Sex", "Mobile", "Email", "City", "Province", "Country", "Signature")
               if isinstance(root.get(k), str | int)}
    return {"wxid": str(root.get("UsrName") or ""), "alias": str(root.get("AliasName") or ""),
            "nickname": str(root.get("NickName") or ""),
            "avatar_url": str(extra.get("headhdimgurl") or extra.get("headimgurl") or ""), "details": details}


def read_mmkv(data: bytes) -> dict[str, str]:
    """String values of an MMKV file (WeChat's key-value settings store)."""
    if len(data) < 8:
        return {}
    (size,) = struct.unpack_from("<I", data, 0)
    end = min(len(data), 4 + size) if size else len(data)
    pos = 8 if data[4:8] == b"\xff\xff\xff\x07" else 4
    values: dict[str, str] = {}
    try:
        while pos < end:
            klen, pos = read_varint(data, pos)
            key = data[pos : pos + klen].decode("utf-8", "replace")
            pos += klen
            vlen, pos = read_varint(data, pos)
            raw = data[pos : pos + vlen]
            pos += vlen
            if not key:
                break
            try:
                inner, start = read_varint(raw, 0)
            except ProtobufError:
                continue
            if start + inner == len(raw):
                values[key] = raw[start:].decode("utf-8", "replace")  # later writes override earlier ones
    except ProtobufError:
        pass
    return values


def account_databases(ctx: ScanContext, path_of: Callable[[Account], str]) -> Iterator[tuple[Account, Database]]:
    """Each account's database at ``path_of(account)`` (in WeChat's app domain), opened; accounts
    without one are passed over."""
    for account in inventory(ctx.fs).accounts:
        entry = ctx.get(DOMAIN, path_of(account))
        if entry is None or not entry.is_file:
            continue
        with ctx.database(entry) as db:
            yield account, db
