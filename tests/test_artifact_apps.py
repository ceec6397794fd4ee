"""Apps: names and versions from a backup's plists, and the files and bytes of each app's containers."""

from __future__ import annotations

import plistlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.apps import AppsArtifact
from reclaim.artifacts.base import NothingFound
from reclaim.case.context import ScanContext
from reclaim.sample.content import apps as sample
from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import SourceInfo


class BackupLikeFS(MemoryFS):
    """A MemoryFS that also carries a backup's Info.plist and Manifest.plist, as an iTunes backup source does."""

    def __init__(self, files: list[SampleFile], info_plist: dict[str, Any], manifest_plist: dict[str, Any]) -> None:
        super().__init__(files, info=SourceInfo(kind="itunes-backup", apps=list(info_plist["Installed Applications"])))
        self.info_plist = info_plist
        self.manifest_plist = manifest_plist


def itunes_metadata(name: str, version: str, build: str, developer: str) -> bytes:
    return plistlib.dumps({"itemName": name, "bundleShortVersionString": version, "bundleVersion": build,
                           "artistName": developer, "genre": "Social Networking",
                           "purchaseDate": datetime(2021, 6, 1, 12, 0, 0)}, fmt=plistlib.FMT_BINARY)


def run(fs: Any) -> dict[str, Any]:
    ctx = ScanContext(fs, None, kind="apps")
    AppsArtifact().check(ctx)
    return {a.bundle_id: a for a in AppsArtifact().extract(ctx)}


def test_names_versions_and_container_sizes_from_backup_plists() -> None:
    files = [
        SampleFile("AppDomain-net.whatsapp.WhatsApp", "Documents", None),
        SampleFile("AppDomain-net.whatsapp.WhatsApp", "Documents/backup.json", b"x" * 100),
        SampleFile("AppDomain-net.whatsapp.WhatsApp", "Library/Preferences/net.whatsapp.WhatsApp.plist", b"y" * 50),
        SampleFile("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite", b"z" * 4096),
        SampleFile("AppDomainPlugin-net.whatsapp.WhatsApp.ServiceExtension", "Library/x.plist", b"w" * 10),
        SampleFile("AppDomainGroup-group.com.unrelated.thing", "a.bin", b"q" * 7),
    ]
    info = {
        "Installed Applications": ["net.whatsapp.WhatsApp", "com.example.NoData"],
        "Applications": {"net.whatsapp.WhatsApp": {"iTunesMetadata": itunes_metadata(
            "WhatsApp Messenger", "24.6.77", "652.0", "WhatsApp Inc.")}},
    }
    manifest = {"Applications": {
        "net.whatsapp.WhatsApp": {"CFBundleVersion": "652.0", "Path": "/private/var/containers/Bundle/Application/"
                                  "8B1E/WhatsApp.app"},
        "com.example.NoData": {"CFBundleVersion": "3.1", "Path": "/private/var/containers/Bundle/Application/"
                               "77AA/Example Notes.app"},
    }}
    apps = run(BackupLikeFS(files, info, manifest))
    wa = apps["net.whatsapp.WhatsApp"]
    assert (wa.name, wa.version, wa.build, wa.developer) == ("WhatsApp Messenger", "24.6.77", "652.0", "WhatsApp Inc.")
    assert wa.purchase_date == datetime(2021, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert (wa.files, wa.size, wa.documents, wa.document_files) == (4, 100 + 50 + 4096 + 10, True, 1)
    assert wa.domains == ["AppDomain-net.whatsapp.WhatsApp", "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
                          "AppDomainPlugin-net.whatsapp.WhatsApp.ServiceExtension"]
    other = apps["com.example.NoData"]
    assert (other.name, other.version, other.files, other.documents, other.installed) == (
        "Example Notes", "3.1", 0, False, True)
    assert set(apps) == {"net.whatsapp.WhatsApp", "com.example.NoData"}


def test_full_file_system_bundle_info_plist() -> None:
    bundle = plistlib.dumps({"CFBundleIdentifier": "com.example.Maps", "CFBundleDisplayName": "Maps+",
                             "CFBundleShortVersionString": "5.2", "CFBundleVersion": "5201"})
    files = [
        SampleFile("FileSystemDomain", "private/var/containers/Bundle/Application/1F2E/MapsPlus.app/Info.plist",
                   bundle),
        SampleFile("AppDomain-com.example.Maps", "Documents/route.gpx", b"<gpx/>"),
    ]
    app = run(MemoryFS(files))["com.example.Maps"]
    assert (app.name, app.version, app.build, app.files, app.installed) == ("Maps+", "5.2", "5201", 1, True)


def test_nothing_to_list() -> None:
    with pytest.raises(NothingFound):
        AppsArtifact().check(ScanContext(MemoryFS([SampleFile("HomeDomain", "Library/x", b"1")]), None))


def test_sample_backup(sample_backup: Path) -> None:
    expected = list(sample.files(SampleContext()))
    with open_source(sample_backup) as fs:
        apps = run(fs)
    for bundle_id, (name, *_rest) in sample.APPS.items():
        app = apps[bundle_id]
        mine = [f for f in expected if f.domain == f"AppDomain-{bundle_id}" or sample.SHARED.get(f.domain) == bundle_id]
        assert app.name == name and app.installed is True
        assert app.files == sum(1 for f in mine if f.data is not None)
        assert app.size == sum(len(f.data) for f in mine if isinstance(f.data, bytes))
        assert app.documents == any(f.path.startswith("Documents/") and f.data is not None for f in mine)
    dropbox = apps["com.getdropbox.Dropbox"]
    assert dropbox.domains == ["AppDomain-com.getdropbox.Dropbox", "AppDomainGroup-group.com.getdropbox.Dropbox",
                               "AppDomainPlugin-com.getdropbox.Dropbox.FileProvider"]
    assert dropbox.document_files == 2 and dropbox.version  # the backup's Manifest.plist gives a build number
    assert not apps["com.google.Authenticator"].documents
    assert apps["net.whatsapp.WhatsApp"].files > 10  # its shared container holds the chat database and media


def test_sample_backup_store_metadata(sample_backup: Path) -> None:
    """The sample carries App Store metadata (Info.plist iTunesMetadata, Manifest.plist build) like a real backup."""
    with open_source(sample_backup) as fs:
        apps = run(fs)
    assert len(sample.STORE) == 14
    for bundle_id, (name, version, build, developer, genre) in sample.STORE.items():
        app = apps[bundle_id]
        assert (app.name, app.version, app.build, app.developer, app.genre) == (name, version, build, developer, genre)
        assert app.purchase_date is not None and app.purchase_date.tzinfo == UTC
        assert datetime(2021, 1, 1, tzinfo=UTC) < app.purchase_date < SAMPLE_NOW
    wechat, strava = apps["com.tencent.xin"], apps["com.strava.stravaride"]
    assert (wechat.name, wechat.version, wechat.developer) == ("WeChat", "8.0.48", "WeChat")
    assert (strava.version, strava.build, strava.genre) == ("356.0", "356.0.491", "Health & Fitness")
    assert apps["com.apple.mobilesafari"].developer == ""  # Apple's own apps have no store metadata
