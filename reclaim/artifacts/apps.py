"""Installed apps: name, version, and how much of each app's data the source holds.

A backup lists its apps in ``Info.plist`` (``Installed Applications``, and per app an
``iTunesMetadata`` property list with the App Store name, version and developer) and
``Manifest.plist`` (``Applications``: ``CFBundleVersion`` and the bundle's path). A
full file-system extraction has each app's own ``Info.plist`` in
``/private/var/containers/Bundle/Application/<UUID>/<Name>.app/``. Each app's data
lives in its container domain ``AppDomain-<bundle id>``, plus the shared
``AppDomainGroup-…`` and extension ``AppDomainPlugin-…`` domains that belong to it;
reclaim counts their files and bytes in one pass over the source, and records the
domain names so the report can point at ``reclaim files PATH --domain …`` and
``reclaim extract`` to browse and extract an app's documents.
"""

from __future__ import annotations

import plistlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reclaim.artifacts.base import Artifact, NothingFound, Record, from_unix_time
from reclaim.case.context import ScanContext
from reclaim.vfs import Entry, VirtualFS

_PREFIXES = ("AppDomain-", "AppDomainGroup-", "AppDomainPlugin-")
_BUNDLE_INFO = re.compile(r"(?:^|/)containers/Bundle/Application/[^/]+/([^/]+)\.app/Info\.plist$")
_MAX_PLIST = 4 << 20


@dataclass(kw_only=True)
class App(Record):
    """One app: identity, version and the size of its data in this source (``date``: its data last changed)."""

    KIND = "apps"

    bundle_id: str = ""
    name: str = ""
    version: str = ""
    build: str = ""
    developer: str = ""
    genre: str = ""
    purchase_date: datetime | None = None
    installed: bool = False  # listed by the source as installed
    files: int = 0
    size: int = 0
    documents: bool = False  # has files under Documents/
    document_files: int = 0
    domains: list[str] = field(default_factory=list)

    def record_label(self) -> str:
        return self.name or self.bundle_id

    def search_text(self) -> str:
        return "\n".join(p for p in (self.name, self.bundle_id, self.developer, *self.domains) if p)


@dataclass
class _Usage:
    files: int = 0
    size: int = 0
    documents: int = 0
    newest: int = 0


@dataclass
class _Meta:
    name: str = ""
    version: str = ""
    build: str = ""
    developer: str = ""
    genre: str = ""
    purchase: datetime | None = None


def _plist(data: bytes) -> dict[str, Any]:
    try:
        value = plistlib.loads(data)
    except Exception:  # a damaged or odd plist is just one fewer source of names
        return {}
    return value if isinstance(value, dict) else {}


def _source_plist(fs: VirtualFS, attribute: str, filename: str) -> dict[str, Any]:
    """A backup's own ``Info.plist``/``Manifest.plist`` (held by the source, or beside it on disk)."""
    value = getattr(fs, attribute, None)
    if isinstance(value, dict):
        return value
    location = fs.location
    if isinstance(location, Path) and location.is_dir() and (location / filename).is_file():
        with open(location / filename, "rb") as handle:
            return _plist(handle.read(_MAX_PLIST))
    return {}


def _str(value: Any) -> str:
    return str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


class AppsArtifact(Artifact):
    """The apps on the phone, with version, developer and the files and bytes of their containers."""

    kind = "apps"
    title = "Apps"
    record = App
    view = "table"

    def check(self, ctx: ScanContext) -> None:
        if ctx.fs.info.apps:
            return
        if any(e.domain.startswith(_PREFIXES) or _BUNDLE_INFO.search(e.path) for e in ctx.fs.entries()):
            return
        raise NothingFound("this source lists no apps and holds no app containers")

    def extract(self, ctx: ScanContext) -> Iterator[App]:
        usage: dict[str, _Usage] = {}
        bundles: dict[str, Entry] = {}
        for entry in ctx.fs.entries():
            if entry.domain.startswith(_PREFIXES):
                use = usage.setdefault(entry.domain, _Usage())
                if entry.is_file:
                    use.files += 1
                    use.size += entry.size
                    if entry.path.startswith("Documents/"):
                        use.documents += 1
                    use.newest = max(use.newest, entry.mtime or 0)
            elif entry.is_file and entry.path.endswith("Info.plist"):
                found = _BUNDLE_INFO.search(entry.path)
                if found:
                    bundles[entry.path] = entry
        meta = self._bundle_metadata(ctx, bundles)
        installed = set(ctx.fs.info.apps)
        info = _source_plist(ctx.fs, "info_plist", "Info.plist")
        manifest = _source_plist(ctx.fs, "manifest_plist", "Manifest.plist")
        listed = info.get("Applications") if isinstance(info.get("Applications"), dict) else {}
        manifest_apps = manifest.get("Applications") if isinstance(manifest.get("Applications"), dict) else {}
        ids = installed | set(listed) | set(manifest_apps) | set(meta)
        ids |= {d.split("-", 1)[1] for d in usage if d.startswith("AppDomain-")}
        owners = _owners(sorted(ids), usage)
        for bundle_id in sorted(ids, key=str.lower):
            data = meta.get(bundle_id) or _Meta()
            _merge_itunes(data, listed.get(bundle_id))
            data.name = data.name or self._preferences_name(ctx, bundle_id)
            _merge_manifest(data, manifest_apps.get(bundle_id))
            data.name = data.name or bundle_id.rsplit(".", 1)[-1]
            domains = sorted(owners.get(bundle_id, []), key=lambda d: (not d.startswith("AppDomain-"), d))
            uses = [usage[d] for d in domains]
            newest = max((u.newest for u in uses), default=0)
            yield App(
                id=f"apps:{bundle_id}",
                date=from_unix_time(newest) if newest else None,
                source="Info.plist" if bundle_id in listed or bundle_id in installed else (domains or [""])[0],
                bundle_id=bundle_id,
                name=data.name,
                version=data.version,
                build=data.build,
                developer=data.developer,
                genre=data.genre,
                purchase_date=data.purchase,
                installed=bundle_id in installed or bundle_id in listed or bundle_id in meta,
                files=sum(u.files for u in uses),
                size=sum(u.size for u in uses),
                documents=any(u.documents for u in uses),
                document_files=sum(u.documents for u in uses),
                domains=domains,
            )

    @staticmethod
    def _bundle_metadata(ctx: ScanContext, bundles: dict[str, Entry]) -> dict[str, _Meta]:
        """Name and version from each app bundle's own Info.plist (file-system extractions)."""
        found: dict[str, _Meta] = {}
        for path, entry in sorted(bundles.items()):
            if entry.size > _MAX_PLIST:
                continue
            plist = _plist(ctx.read_bytes(entry))
            bundle_id = _str(plist.get("CFBundleIdentifier"))
            if not bundle_id:
                continue
            match = _BUNDLE_INFO.search(path)
            found[bundle_id] = _Meta(
                name=_str(plist.get("CFBundleDisplayName")) or _str(plist.get("CFBundleName"))
                or (match.group(1) if match else ""),
                version=_str(plist.get("CFBundleShortVersionString")),
                build=_str(plist.get("CFBundleVersion")),
            )
        return found

    @staticmethod
    def _preferences_name(ctx: ScanContext, bundle_id: str) -> str:
        entry = ctx.get(f"AppDomain-{bundle_id}", f"Library/Preferences/{bundle_id}.plist")
        if entry is None or not entry.is_file or entry.size > _MAX_PLIST:
            return ""
        return _str(_plist(ctx.read_bytes(entry)).get("CFBundleDisplayName"))


def _merge_itunes(data: _Meta, listed: Any) -> None:
    """Fill what is missing from a backup's ``Info.plist`` entry (its ``iTunesMetadata`` plist)."""
    if not isinstance(listed, dict) or not isinstance(listed.get("iTunesMetadata"), bytes):
        return
    meta = _plist(listed["iTunesMetadata"])
    data.name = data.name or _str(meta.get("itemName")) or _str(meta.get("title"))
    data.version = data.version or _str(meta.get("bundleShortVersionString"))
    data.build = data.build or _str(meta.get("bundleVersion"))
    data.developer = data.developer or _str(meta.get("artistName")) or _str(meta.get("playlistArtistName"))
    data.genre = data.genre or _str(meta.get("genre"))
    purchase = meta.get("purchaseDate")
    download = meta.get("com.apple.iTunesStore.downloadInfo")
    if purchase is None and isinstance(download, dict):
        purchase = download.get("purchaseDate")
    if data.purchase is None and isinstance(purchase, datetime):
        data.purchase = purchase if purchase.tzinfo else purchase.replace(tzinfo=UTC)  # plist dates are UTC
    elif data.purchase is None and isinstance(purchase, str):
        try:
            data.purchase = datetime.fromisoformat(purchase.replace("Z", "+00:00"))
        except ValueError:
            data.purchase = None


def _merge_manifest(data: _Meta, app: Any) -> None:
    """Fill what is missing from a backup's ``Manifest.plist`` entry (build number, bundle path)."""
    if not isinstance(app, dict):
        return
    version = _str(app.get("CFBundleShortVersionString"))
    build = _str(app.get("CFBundleVersion"))
    data.version = data.version or version or build
    data.build = data.build or build
    path = _str(app.get("Path"))
    if not data.name and path.endswith(".app"):
        data.name = path.rsplit("/", 1)[-1].removesuffix(".app")


def _owners(ids: list[str], usage: dict[str, _Usage]) -> dict[str, list[str]]:
    """Which app each container domain belongs to (group and extension ids embed the app's bundle id)."""
    owners: dict[str, list[str]] = {}
    longest_first = sorted(ids, key=len, reverse=True)
    for domain in usage:
        prefix, _, ident = domain.partition("-")
        if prefix == "AppDomain":
            owners.setdefault(ident, []).append(domain)
            continue
        for bundle_id in longest_first:
            if prefix == "AppDomainPlugin" and (ident == bundle_id or ident.startswith(bundle_id + ".")):
                owners.setdefault(bundle_id, []).append(domain)
                break
            if prefix == "AppDomainGroup" and re.search(rf"(^|\.){re.escape(bundle_id)}(\.|$)", ident):
                owners.setdefault(bundle_id, []).append(domain)
                break
    return owners

