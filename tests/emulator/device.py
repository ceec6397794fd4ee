"""The emulated phone: its identity, pairing state, lockdownd and the services behind it.

The phone's data is a backup folder (what its backup agent would produce: ``Manifest.db``,
``Manifest.plist``, ``Status.plist`` and the ``xx/<fileID>`` files, plain or encrypted, as
:func:`reclaim.sample.build_sample` writes) and, for AFC, a local folder standing in for
``/var/mobile/Media``. Knobs reproduce the situations reclaim must explain: not trusted,
pairing denied, locked, a cable pulled mid-backup, a service only reachable through an
iOS 17 tunnel, a backup too big for the computer's disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import plistlib
import shutil
import ssl
import tempfile
import weakref
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .wire import Dropped, read_plist, send_plist

LOCKDOWN_PORT = 62078
HOST_ID = "E3A4C3B0-0000-4000-8000-0000000000AA"
SYSTEM_BUID = "EMULATED-SYSTEM-BUID"
ESCROW_BAG = b"emulated-escrow-bag"

BACKUP_SERVICE = "com.apple.mobilebackup2"
AFC_SERVICE = "com.apple.afc"
NOTIFICATION_SERVICE = "com.apple.mobile.notification_proxy"
INSTALLATION_SERVICE = "com.apple.mobile.installation_proxy"
SPRINGBOARD_SERVICE = "com.apple.springboardservices"


@cache
def _keys() -> tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes]:
    """(device public key PEM, device key PEM, host cert, host key, device cert, root cert, root key), made once."""
    from pymobiledevice3.ca import generate_pairing_cert_chain

    device_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = device_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    )
    key_pem = device_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    host_cert, host_key, device_cert, root_cert, root_key = generate_pairing_cert_chain(public_pem)
    return public_pem, key_pem, host_cert, host_key, device_cert, root_cert, root_key


def pair_record() -> dict[str, Any]:
    """The host's pair record for the emulated phone (what usbmuxd keeps after "Trust")."""
    _, _, host_cert, host_key, device_cert, root_cert, root_key = _keys()
    return {
        "DeviceCertificate": device_cert,
        "HostCertificate": host_cert,
        "HostPrivateKey": host_key,
        "RootCertificate": root_cert,
        "RootPrivateKey": root_key,
        "HostID": HOST_ID,
        "SystemBUID": SYSTEM_BUID,
        "EscrowBag": ESCROW_BAG,
        "WiFiMACAddress": "aa:bb:cc:dd:ee:ff",
    }


@cache
def server_tls() -> ssl.SSLContext:
    """The phone's side of lockdownd's TLS (its device certificate, signed by the pairing root)."""
    _, key_pem, _, _, device_cert, _, _ = _keys()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ALL:@SECLEVEL=0")
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as handle:
        handle.write(device_cert + b"\n" + key_pem)
        handle.flush()
        context.load_cert_chain(handle.name)
    return context


@dataclass
class EmulatedDevice:
    """One emulated iPhone; attach it to a :class:`~tests.emulator.usbmuxd.FakeUsbmuxd`."""

    backup: Path
    media: Path | None = None
    trusted: bool = True  # usbmuxd holds a pair record for it ("Trust this computer" accepted earlier)
    pairing: str = "accept"  # answer to a new pairing request: "accept", "pending" (dialog open), "deny"
    locked: bool = False  # never unlocked since boot: services refuse with PasswordProtected
    tunnel_only: frozenset[str] = frozenset()  # services lockdownd refuses (as iOS 17+ does for developer ones)
    drop_after: int | None = None  # pull the cable after uploading this many files in the next backup
    required_bytes: int | None = None  # free space the backup agent insists on (default: the backup's size)
    total_bytes: int = 128 * 10**9
    used_bytes: int | None = None  # what the phone says its data takes (default: the backup's size)
    product_version: str | None = None
    device_id: int = 7
    connection_type: str = "USB"
    # state kept across sessions, as the phone's backup agent would
    known_manifests: dict[str, dict[str, str]] = field(default_factory=dict)
    sessions: list[list[str]] = field(default_factory=list)
    host_ids: set[str] = field(default_factory=lambda: {HOST_ID})
    saved_pair_records: list[bytes] = field(default_factory=list)
    changed_passwords: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.media is None:  # AFC is still there (the backup takes its sync lock through it), just empty
            self.media = Path(tempfile.mkdtemp(prefix="emulated-media-"))
            weakref.finalize(self, shutil.rmtree, self.media, ignore_errors=True)  # the phone's, not the test's
        info = plistlib.loads((self.backup / "Info.plist").read_bytes())
        manifest = plistlib.loads((self.backup / "Manifest.plist").read_bytes())
        self.udid: str = info["Target Identifier"]
        self.will_encrypt: bool = bool(manifest.get("IsEncrypted"))
        self.apps: list[str] = list(info.get("Installed Applications", []))
        self.values: dict[str, Any] = {
            "DeviceName": info.get("Device Name", "iPhone"),
            "DeviceClass": "iPhone",
            "ProductType": info.get("Product Type", "iPhone14,5"),
            "ProductVersion": self.product_version or info.get("Product Version", "17.4.1"),
            "BuildVersion": info.get("Build Version", ""),
            "SerialNumber": info.get("Serial Number", ""),
            "UniqueDeviceID": self.udid,
            "UniqueChipID": 0x000A1B2C3D4E5F60,
            "PhoneNumber": info.get("Phone Number", ""),
            "InternationalMobileEquipmentIdentity": info.get("IMEI", ""),
            "WiFiAddress": "aa:bb:cc:dd:ee:ff",
            "DevicePublicKey": _keys()[0],
        }
        self._ports = itertools.count(49200)
        self._services: dict[int, str] = {}
        self._writers: set[asyncio.StreamWriter] = set()

    # -- what the phone holds ---------------------------------------------------------------

    def backup_files(self) -> dict[str, Path]:
        """fileID → local file of every file its backup agent would send."""
        out = {}
        for sub in sorted(self.backup.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for item in sorted(sub.iterdir()):
                    out[item.name] = item
        return out

    def backup_size(self) -> int:
        return sum(p.stat().st_size for p in self.backup_files().values())

    def domain_value(self, domain: str | None, key: str | None) -> Any:
        """lockdownd's GetValue: the device's values and the few domains reclaim reads."""
        domains: dict[str, dict[str, Any]] = {
            "com.apple.mobile.backup": {"WillEncrypt": self.will_encrypt},
            "com.apple.disk_usage": {
                "TotalDataCapacity": self.total_bytes,
                "TotalDataAvailable": max(0, self.total_bytes - (self.used_bytes or self.backup_size())),
                "TotalDiskCapacity": self.total_bytes,
            },
        }
        if not domain:
            return self.values if key is None else self.values.get(key)
        values = domains.get(domain)
        if values is None:
            return None
        return values if key is None else values.get(key)

    # -- connections ----------------------------------------------------------------------------

    def track(self, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)

    def pull_cable(self) -> None:
        """Drop every connection at once, as a cable pull does."""
        for writer in list(self._writers):
            transport = writer.transport
            if transport is not None:
                transport.abort()
        self._writers.clear()

    def port_service(self, port: int) -> str | None:
        if port == LOCKDOWN_PORT:
            return "lockdownd"
        return self._services.get(port)

    @staticmethod
    def service_uses_tls(name: str) -> bool:
        """Whether a service's connection is TLS from its first byte (as lockdownd says in EnableServiceSSL)."""
        return name in {AFC_SERVICE, BACKUP_SERVICE}

    async def serve(self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Run one service on a connection usbmuxd has forwarded to the phone."""
        from .afcd import serve_afc
        from .backup_agent import serve_backup

        handlers = {
            "lockdownd": self._lockdownd,
            BACKUP_SERVICE: lambda r, w: serve_backup(self, r, w),
            AFC_SERVICE: lambda r, w: serve_afc(self, r, w),
            NOTIFICATION_SERVICE: self._notification_proxy,
            INSTALLATION_SERVICE: self._installation_proxy,
            SPRINGBOARD_SERVICE: self._springboard,
        }
        try:
            await handlers[name](reader, writer)
        except Dropped:
            pass
        except Exception:  # an emulator bug must show in the test output, not as a mysterious hang-up
            import traceback

            traceback.print_exc()
            raise

    # -- lockdownd ------------------------------------------------------------------------------

    async def _lockdownd(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = False
        while True:
            try:
                request = await read_plist(reader)
            except Dropped:
                return
            name = request.get("Request")
            reply: dict[str, Any] = {"Request": name}
            start_tls = False
            if name == "QueryType":
                reply["Type"] = "com.apple.mobile.lockdown"
            elif name == "GetValue":
                value = self.domain_value(request.get("Domain"), request.get("Key"))
                if value is None:
                    reply["Error"] = "MissingValue"
                else:
                    reply["Value"] = value
            elif name == "SetValue":
                reply["Error"] = "SetProhibited"
            elif name == "Pair":
                if self.pairing == "pending":
                    reply["Error"] = "PairingDialogResponsePending"
                elif self.pairing == "deny":
                    reply["Error"] = "UserDeniedPairing"
                else:
                    self.host_ids.add(request["PairRecord"]["HostID"])
                    reply["EscrowBag"] = ESCROW_BAG
            elif name == "StartSession":
                if request.get("HostID") not in self.host_ids:
                    reply["Error"] = "InvalidHostID"
                else:
                    reply.update(SessionID="EMULATED-SESSION", EnableSessionSSL=True)
                    session = start_tls = True
            elif name == "StopSession":
                reply["Result"] = "Success"
            elif name == "StartService":
                reply.update(self._start_service(request, session))
            else:
                reply["Error"] = "InvalidRequest"
            await send_plist(writer, reply)
            if start_tls:
                await writer.start_tls(server_tls())

    def _start_service(self, request: dict[str, Any], session: bool) -> dict[str, Any]:
        service = request.get("Service", "")
        if not session:
            return {"Error": "InvalidService"}
        if self.locked:
            return {"Error": "PasswordProtected"}
        known = {BACKUP_SERVICE, AFC_SERVICE, NOTIFICATION_SERVICE, INSTALLATION_SERVICE, SPRINGBOARD_SERVICE}
        if service in self.tunnel_only or service not in known:
            return {"Error": "InvalidService"}
        if service == BACKUP_SERVICE and request.get("EscrowBag") != ESCROW_BAG:
            return {"Error": "EscrowLocked"}
        port = next(self._ports)
        self._services[port] = service
        return {"Service": service, "Port": port, "EnableServiceSSL": self.service_uses_tls(service)}

    # -- small services -------------------------------------------------------------------------

    async def _notification_proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            message = await read_plist(reader)
            if message.get("Command") == "Shutdown":
                await send_plist(writer, {"Command": "ProxyDeath"})
                return

    async def _installation_proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            message = await read_plist(reader)
            if message.get("Command") == "Browse":
                apps = [{"CFBundleIdentifier": app, "ApplicationType": "User"} for app in self.apps]
                await send_plist(writer, {"Status": "BrowsingApplications", "CurrentList": apps,
                                          "CurrentIndex": 0, "CurrentAmount": len(apps), "Total": len(apps)})
                await send_plist(writer, {"Status": "Complete"})
            else:
                await send_plist(writer, {"Error": "UnknownCommand"})

    async def _springboard(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_plist(reader)
            await send_plist(writer, {"pngData": b""})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
