"""Eight more installed apps in the sample, each with its own data container and documents.

An iOS backup keeps an app's data in ``AppDomain-<bundle id>`` (the same folders as
``/private/var/mobile/Containers/Data/Application/<UUID>/`` on the phone):
``Documents/`` for what the user made or downloaded, ``Library/Preferences/`` for
settings, ``Library/Caches/`` for what the app can fetch again. Apps that share data
with an extension also have an ``AppDomainGroup-group.…`` container, extensions an
``AppDomainPlugin-…`` one. The backup lists every app in ``Info.plist``/
``Manifest.plist`` (written by the builder from these domains).

:data:`APPS` gives each app's App Store name, version and developer; a real backup
carries them in ``Info.plist`` (``Applications`` → ``iTunesMetadata``, a binary plist
written by the App Store) and the build number in ``Manifest.plist`` (``Applications`` →
``CFBundleVersion``). :func:`itunes_metadata` and :func:`bundle_version` give the builder
both for every App Store app of the sample (:data:`STORE`); Apple's own apps get no
store metadata, as on a phone.
"""

from __future__ import annotations

import json
import plistlib
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

#: bundle id → (App Store name, version, developer, genre)
APPS: dict[str, tuple[str, str, str, str]] = {
    "com.duolingo.DuolingoMobile": ("Duolingo", "7.22.0", "Duolingo", "Education"),
    "com.strava.stravaride": ("Strava", "356.0", "Strava Inc.", "Health & Fitness"),
    "com.getdropbox.Dropbox": ("Dropbox", "370.2", "Dropbox, Inc.", "Productivity"),
    "com.google.Authenticator": ("Google Authenticator", "4.2.1", "Google LLC", "Utilities"),
    "com.amazon.Lassen": ("Kindle", "7.5", "AMZN Mobile LLC", "Books"),
    "com.citymapper.citymapper": ("Citymapper", "11.12", "Citymapper Limited", "Navigation"),
    "notion.id": ("Notion", "4.24.0", "Notion Labs, Incorporated", "Productivity"),
    "com.readdle.PDFExpert5": ("PDF Expert", "8.3", "Readdle Technologies Limited", "Productivity"),
}

#: Store metadata of the sample's other App Store apps (see reclaim.sample.content.base.APPS):
#: bundle id → (name, version, developer, genre).
_OTHER_STORE_APPS: dict[str, tuple[str, str, str, str]] = {
    "com.tencent.xin": ("WeChat", "8.0.48", "WeChat", "Social Networking"),
    "net.whatsapp.WhatsApp": ("WhatsApp", "24.6.77", "WhatsApp Inc.", "Social Networking"),
    "com.burbn.instagram": ("Instagram", "326.0", "Instagram, Inc.", "Photo & Video"),
    "ph.telegra.Telegraph": ("Telegram", "10.10.1", "Telegram FZ-LLC", "Social Networking"),
    "com.google.Maps": ("Google Maps", "6.112.1", "Google LLC", "Navigation"),
    "com.spotify.client": ("Spotify", "8.9.34", "Spotify", "Music"),
}
#: Every App Store app of the sample: bundle id → (name, version, build, developer, genre).
STORE: dict[str, tuple[str, str, str, str, str]] = {
    bundle_id: (name, version, f"{version}.{400 + n * 13}", developer, genre)
    for n, (bundle_id, (name, version, developer, genre)) in enumerate({**_OTHER_STORE_APPS, **APPS}.items())
}


def bundle_version(bundle_id: str) -> str:
    """The build number (``CFBundleVersion``) Manifest.plist lists for an app ("1.0" for Apple's apps)."""
    store = STORE.get(bundle_id)
    return store[2] if store else "1.0"


def itunes_metadata(bundle_id: str) -> bytes:
    """The ``iTunesMetadata`` binary plist of an App Store app, as in a backup's Info.plist (b"" otherwise)."""
    store = STORE.get(bundle_id)
    if store is None:
        return b""
    name, version, build, developer, genre = store
    index = list(STORE).index(bundle_id)
    purchased = datetime(2021, 3, 1, 10, 0, 0) + timedelta(days=index * 41, hours=index)  # naive UTC, as plists
    return plistlib.dumps(
        {
            "itemName": name,
            "itemId": 300_000_000 + index * 7_919,
            "kind": "software",
            "softwareVersionBundleId": bundle_id,
            "bundleShortVersionString": version,
            "bundleVersion": build,
            "artistName": developer,
            "playlistName": name,
            "genre": genre,
            "releaseDate": "2024-04-02T07:00:00Z",
            "purchaseDate": purchased,
            "com.apple.iTunesStore.downloadInfo": {
                "accountInfo": {"AppleID": "alex.morgan@example.com", "DSPersonID": 1_234_567_890},
                "purchaseDate": purchased.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        },
        fmt=plistlib.FMT_BINARY,
    )


#: App-group and extension containers: domain → owning bundle id.
SHARED = {
    "AppDomainGroup-group.com.getdropbox.Dropbox": "com.getdropbox.Dropbox",
    "AppDomainPlugin-com.getdropbox.Dropbox.FileProvider": "com.getdropbox.Dropbox",
    "AppDomainGroup-group.com.strava.stravaride": "com.strava.stravaride",
}


def _documents(bundle_id: str, rng: random.Random) -> list[tuple[str, bytes]]:
    """Files a person would expect in the app's Documents folder."""
    if bundle_id == "com.strava.stravaride":
        return [(f"Documents/activities/2024-03-0{n + 1}-morning-run.gpx", _gpx(rng, n)) for n in range(3)]
    if bundle_id == "com.getdropbox.Dropbox":
        return [("Documents/Offline/Tax return 2023.pdf", _pdf("Tax return 2023")),
                ("Documents/Offline/Flat inventory.txt", b"Sofa\nDesk\nBookcase (IKEA Billy)\n")]
    if bundle_id == "com.amazon.Lassen":
        return [("Documents/My Kindle Content/B00ZV9PXP2_EBOK/B00ZV9PXP2_EBOK.azw", rng.randbytes(6000))]
    if bundle_id == "com.readdle.PDFExpert5":
        return [("Documents/Lease agreement (signed).pdf", _pdf("Lease agreement")),
                ("Documents/Boarding pass BA0472.pdf", _pdf("Boarding pass"))]
    if bundle_id == "notion.id":
        return [("Documents/offline/pages.json", json.dumps({"pages": ["Reading list", "Trip to Barcelona"]}).encode())]
    if bundle_id == "com.duolingo.DuolingoMobile":
        return [("Documents/progress.json", json.dumps({"course": "es", "streak": 128, "xp": 20411}).encode())]
    return []  # Authenticator and Citymapper keep nothing in Documents


def _gpx(rng: random.Random, n: int) -> bytes:
    points = "".join(
        f'<trkpt lat="{51.5 + rng.random() / 100:.6f}" lon="{-0.12 + rng.random() / 100:.6f}">'
        f"<ele>{20 + i}</ele></trkpt>"
        for i in range(20)
    )
    return (f'<?xml version="1.0"?><gpx version="1.1" creator="Strava"><trk><name>Morning Run {n + 1}</name>'
            f"<trkseg>{points}</trkseg></trk></gpx>").encode()


def _pdf(title: str) -> bytes:
    from reclaim.sample.content.whatsapp import pdf_document

    return pdf_document(title, 1)


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """The eight apps' containers: folders, preferences, documents and caches."""
    rng = random.Random("reclaim-sample-apps")  # independent of other modules' use of ctx.rng
    for n, (bundle_id, (name, version, _developer, _genre)) in enumerate(APPS.items()):
        domain = f"AppDomain-{bundle_id}"
        installed = SAMPLE_NOW - timedelta(days=400 - n * 37)
        used = SAMPLE_NOW - timedelta(hours=3 + n * 29)
        for folder in ("Documents", "Library", "Library/Preferences", "Library/Caches", "tmp"):
            yield SampleFile(domain, folder, None, installed)
        prefs = {
            "CFBundleDisplayName": name,  # the sample's stand-in for the App Store name a backup's Info.plist holds
            "lastRunVersion": version,
            "firstLaunchDate": installed.replace(tzinfo=None),
            "installationID": str(uuid.uuid5(uuid.NAMESPACE_DNS, bundle_id)).upper(),
        }
        yield SampleFile(domain, f"Library/Preferences/{bundle_id}.plist",
                         plistlib.dumps(prefs, fmt=plistlib.FMT_BINARY), used)
        for path, data in _documents(bundle_id, rng):
            yield SampleFile(domain, path, data, used - timedelta(days=rng.randrange(1, 60)))
        for c in range(2):
            yield SampleFile(domain, f"Library/Caches/cache-{c}.db", rng.randbytes(2048 + 1024 * c), used)
    for domain, owner in SHARED.items():
        yield SampleFile(domain, "Library", None, SAMPLE_NOW - timedelta(days=90))
        yield SampleFile(domain, f"Library/Preferences/{owner}.shared.plist",
                         plistlib.dumps({"sharedWith": owner}, fmt=plistlib.FMT_BINARY), SAMPLE_NOW - timedelta(days=2))
