"""The skeleton of the sample phone: system preferences, app containers, folders, a link.

Real iOS layout, no personal data (other content modules add contacts, messages,
photos, WeChat, …). Keychain items (:func:`keychain_items`) go into the encrypted sample
only, as on a phone.
"""

from __future__ import annotations

import plistlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from reclaim.sample.model import SAMPLE_DEVICE, SAMPLE_NOW, SampleContext, SampleFile

#: Apps with a container in the sample: bundle id → display name.
APPS: dict[str, str] = {
    "com.tencent.xin": "WeChat",
    "net.whatsapp.WhatsApp": "WhatsApp",
    "com.burbn.instagram": "Instagram",
    "ph.telegra.Telegraph": "Telegram",
    "com.google.Maps": "Google Maps",
    "com.spotify.client": "Spotify",
    "com.apple.mobilesafari": "Safari",
    "com.apple.mobilenotes": "Notes",
    "com.apple.MobileSMS": "Messages",
    "com.apple.Health": "Health",
}
#: Apps whose own content module writes their preferences plist.
OWN_PREFERENCES = frozenset({"com.tencent.xin"})
GROUPS = (
    "group.com.tencent.xin",
    "group.net.whatsapp.WhatsApp.shared",
    "group.com.apple.notes",
    "group.com.apple.mobileslideshow.PhotosFileProvider",
)
SYSTEM_PREFS = (
    "com.apple.springboard",
    "com.apple.Preferences",
    "com.apple.mobilephone",
    "com.apple.MobileSMS",
    "com.apple.mobilesafari",
    "com.apple.AppStore",
    "com.apple.camera",
    "com.apple.mobileslideshow",
    "com.apple.weather",
    "com.apple.stocks",
    "com.apple.mobilecal",
    "com.apple.mobilenotes",
    "com.apple.mobiletimer",
    "com.apple.Maps",
    "com.apple.Music",
    "com.apple.podcasts",
    "com.apple.Fitness",
    "com.apple.Health",
    "com.apple.tv",
    "com.apple.iBooks",
    "com.apple.news",
    "com.apple.reminders",
    "com.apple.findmy",
    "com.apple.facetime",
    "com.apple.keyboard",
    "com.apple.locationd",
    "com.apple.accessibility",
    "com.apple.assistant",
    "com.apple.siri.shortcuts",
    "com.apple.purplebuddy",
    "com.apple.icloud.searchpartyd",
    "com.apple.mobileipod",
    "com.apple.voicemail",
    "com.apple.coreduetd",
    "com.apple.Passbook",
    "com.apple.Translate",
    "com.apple.VoiceMemos",
    "com.apple.compass",
    "com.apple.calculator",
    "com.apple.gamecenter",
)


def _plist(data: dict[str, Any]) -> bytes:
    return plistlib.dumps(data, fmt=plistlib.FMT_BINARY)


def _when(ctx: SampleContext, max_days: int = 400) -> datetime:
    return SAMPLE_NOW - timedelta(seconds=ctx.rng.randrange(3600, max_days * 86400))


def _container_uuid(ident: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, ident)).upper()


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """System plists, app containers and folders of the sample phone."""
    yield from _home(ctx)
    yield from _system(ctx)
    yield from _apps(ctx)
    yield from _media(ctx)


def _home(ctx: SampleContext) -> Iterator[SampleFile]:
    for name in SYSTEM_PREFS:
        prefs = {
            "LastLaunch": _when(ctx).replace(tzinfo=None),
            "LaunchCount": ctx.rng.randrange(1, 900),
            "SBAutoLockTime": 60,
            "Version": f"{ctx.rng.randrange(1, 20)}.{ctx.rng.randrange(0, 9)}",
        }
        yield SampleFile("HomeDomain", f"Library/Preferences/{name}.plist", _plist(prefs), _when(ctx, 60))
    yield SampleFile(
        "HomeDomain",
        "Library/Preferences/.GlobalPreferences.plist",
        _plist(
            {
                "AppleLanguages": ["en-GB", "zh-Hans-GB"],
                "AppleLocale": "en_GB",
                "AppleICUForce24HourTime": True,
            }
        ),
        _when(ctx, 30),
    )
    yield SampleFile(
        "HomeDomain",
        "Library/SpringBoard/IconState.plist",
        _plist(
            {
                "iconLists": [[APPS[a] for a in list(APPS)[:6]], [APPS[a] for a in list(APPS)[6:]]],
                "buttonBar": ["com.apple.mobilephone", "com.apple.mobilesafari", "com.apple.MobileSMS"],
            }
        ),
        _when(ctx, 30),
    )
    yield SampleFile(
        "HomeDomain",
        "Library/Preferences/com.apple.commcenter.shared.plist",
        _plist(
            {
                "PhoneNumber": SAMPLE_DEVICE["Phone Number"],
                "ICCID": SAMPLE_DEVICE["ICCID"],
            }
        ),
        _when(ctx, 30),
    )
    for folder in (
        "Library/SMS",
        "Library/AddressBook",
        "Library/CallHistoryDB",
        "Library/Calendar",
        "Library/Voicemail",
        "Library/Safari",
        "Library/Notes",
        "Library/Recordings",
        "Library/Keyboard",
        "Library/Accounts",
        "Documents",
    ):
        yield SampleFile("HomeDomain", folder, None, _when(ctx, 200))
    for n in range(1, 41):
        yield SampleFile(
            "HomeDomain",
            f"Library/Keyboard/dynamic-text-{n:02d}.dat",
            ctx.rng.randbytes(ctx.rng.randrange(64, 2048)),
            _when(ctx),
        )


def _system(ctx: SampleContext) -> Iterator[SampleFile]:
    networks = {
        "List of known networks": [
            {"SSID_STR": name, "lastJoined": _when(ctx).replace(tzinfo=None), "SecurityMode": "WPA2 Personal"}
            for name in ("HomeNet-5G", "Office Guest", "CoffeeShop Free WiFi", "Heathrow Wi-Fi")
        ],
    }
    yield SampleFile(
        "SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist", _plist(networks), _when(ctx, 10)
    )
    yield SampleFile(
        "SystemPreferencesDomain",
        "SystemConfiguration/preferences.plist",
        _plist({"System": {"System": {"ComputerName": SAMPLE_DEVICE["Device Name"]}}}),
        _when(ctx),
    )
    yield SampleFile(
        "SystemPreferencesDomain",
        "SystemConfiguration/NetworkInterfaces.plist",
        _plist({"Interfaces": [{"BSD Name": "en0", "IOBuiltin": True}]}),
        _when(ctx),
    )
    yield SampleFile(
        "WirelessDomain",
        "Library/Preferences/com.apple.commcenter.plist",
        _plist({"ReportedPhoneNumber": SAMPLE_DEVICE["Phone Number"]}),
        _when(ctx),
    )
    yield SampleFile("WirelessDomain", "Library/Databases", None, _when(ctx))
    yield SampleFile(
        "RootDomain",
        "Library/Preferences/com.apple.MobileBackup.plist",
        _plist({"LastBackupDate": SAMPLE_NOW.replace(tzinfo=None)}),
        SAMPLE_NOW,
    )
    yield SampleFile("RootDomain", "Library/Caches/locationd", None, _when(ctx))
    yield SampleFile(
        "ManagedPreferencesDomain",
        "mobile/com.apple.webcontentfilter.plist",
        _plist({"restrictWeb": False}),
        _when(ctx),
    )
    yield SampleFile("DatabaseDomain", "timezone", None, _when(ctx))
    # /var/db/timezone/localtime is a symbolic link on every iPhone.
    yield SampleFile(
        "DatabaseDomain", "timezone/localtime", b"/usr/share/zoneinfo/Europe/London", _when(ctx), mode=0o120755
    )
    yield SampleFile("MobileDeviceDomain", "ProvisioningProfiles", None, _when(ctx))
    yield SampleFile("HealthDomain", "Health", None, _when(ctx))


def _apps(ctx: SampleContext) -> Iterator[SampleFile]:
    for ident, display in APPS.items():
        domain = f"AppDomain-{ident}"
        stamp = _when(ctx, 300)
        for folder in (
            "Documents",
            "Library",
            "Library/Preferences",
            "Library/Application Support",
            "Library/Caches",
            "SystemData",
        ):
            yield SampleFile(domain, folder, None, stamp)
        prefs = _plist(
            {
                "CFBundleDisplayName": display,
                "firstLaunchDate": stamp.replace(tzinfo=None),
                "launchCount": ctx.rng.randrange(5, 5000),
                "containerUUID": _container_uuid(ident),
            }
        )
        modified = _when(ctx, 20)
        if ident not in OWN_PREFERENCES:
            yield SampleFile(domain, f"Library/Preferences/{ident}.plist", prefs, modified)
        for n in range(1, 6):
            yield SampleFile(
                domain,
                f"Library/Application Support/cache-{n}.bin",
                ctx.rng.randbytes(ctx.rng.randrange(256, 16384)),
                _when(ctx, 100),
            )
        yield SampleFile(
            domain,
            "Library/Preferences/com.apple.EmojiCache.plist",
            _plist({"EMFDefaultsKey": ["😀", "👍", "❤️"]}),
            _when(ctx, 50),
        )
    for group in GROUPS:
        domain = f"AppDomainGroup-{group}"
        yield SampleFile(domain, "Library/Preferences", None, _when(ctx))
        yield SampleFile(
            domain, f"Library/Preferences/{group}.plist", _plist({"group": group, "shared": True}), _when(ctx, 50)
        )


def _media(ctx: SampleContext) -> Iterator[SampleFile]:
    for folder in (
        "Media",
        "Media/Recordings",
        "Media/Books",
        "Media/iTunes_Control",
        "Media/iTunes_Control/iTunes",
        "Library/SMS/Attachments",
    ):
        yield SampleFile("MediaDomain", folder, None, _when(ctx))
    for n in range(1, 31):
        yield SampleFile(
            "MediaDomain",
            f"Media/iTunes_Control/Artwork/art-{n:03d}.bin",
            ctx.rng.randbytes(ctx.rng.randrange(512, 4096)),
            _when(ctx),
        )
    yield SampleFile(
        "MediaDomain", "Media/iTunes_Control/iTunes/iTunesPrefs.plist", _plist({"syncEnabled": False}), _when(ctx)
    )


def keychain_items() -> list[tuple[str, int, dict[str, Any]]]:
    """A few Wi-Fi and app passwords for the encrypted sample's keychain-backup.plist."""
    created = datetime(2023, 11, 4, 18, 12, 5, tzinfo=UTC)
    return [
        (
            "genp",
            6,
            {
                "class": "genp",
                "svce": "AirPort",
                "acct": "HomeNet-5G",
                "agrp": "apple",
                "pdmn": "ak",
                "cdat": created,
                "mdat": created,
                "v_Data": b"correct-horse-battery",
            },
        ),
        (
            "genp",
            6,
            {
                "class": "genp",
                "svce": "AirPort",
                "acct": "Office Guest",
                "agrp": "apple",
                "pdmn": "ak",
                "cdat": created,
                "mdat": created,
                "v_Data": b"Welcome2024!",
            },
        ),
        (
            "inet",
            7,
            {
                "class": "inet",
                "srvr": "accounts.example.com",
                "acct": "alex@example.com",
                "ptcl": "htps",
                "port": 443,
                "agrp": "com.apple.cfnetwork",
                "pdmn": "ck",
                "cdat": created,
                "mdat": created,
                "v_Data": b"s3cret-example-pw",
            },
        ),
        (
            "genp",
            6,
            {
                "class": "genp",
                "svce": "com.tencent.xin.login",
                "acct": "wxid_sample",
                "agrp": "88L2Q4487U.com.tencent.xin",
                "pdmn": "ak",
                "cdat": created,
                "mdat": created,
                "v_Data": b"wechat-session-token",
            },
        ),
    ]
