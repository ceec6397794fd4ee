"""Recovering straight from a connected iPhone, through pymobiledevice3 (``pip install 'reclaim[device]'``).

Three things reclaim does with a phone on the cable (or on Wi-Fi, once paired and with
"Show this iPhone when on Wi-Fi" on):

* :func:`list_devices` — who is connected: name, model, iOS version, UDID, whether this
  computer is trusted, whether backups are encrypted;
* :func:`backup_device` — a full or incremental backup through ``com.apple.mobilebackup2``
  (the service Finder and iTunes use) into a folder the normal pipeline reads; a backup
  cut short by a pulled cable is continued by running it again;
* :func:`copy_photos` and :class:`~reclaim.sources.afc.AfcSource` — the camera roll
  over AFC, without a backup.

Every failure a person can fix is a one-line :class:`DeviceError`. What was verified
against an emulated phone and what needs a real one is in ``docs/device.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reclaim.errors import ReclaimError

if TYPE_CHECKING:
    from pymobiledevice3.lockdown_service_provider import LockdownServiceProvider

T = TypeVar("T")

#: How long to wait for the person to tap "Trust" on the phone.
TRUST_WAIT = 60.0
#: The command iOS 17+ needs running when a service is only reachable through a tunnel.
TUNNELD_COMMAND = "sudo pymobiledevice3 remote tunneld"


class DeviceError(ReclaimError):
    """A problem talking to a phone, told in one line with what to do."""


class DeviceToolMissing(DeviceError):
    """pymobiledevice3 is not installed."""

    def __init__(self) -> None:
        super().__init__("device support is not installed: run  pip install 'reclaim[device]'")


class NoDevice(DeviceError):
    """No phone is connected (or not the one asked for)."""


class NotTrusted(DeviceError):
    """The phone has not accepted "Trust This Computer?"."""


class DeviceLocked(DeviceError):
    """The phone must be unlocked with its passcode first."""


class NotEnoughSpace(DeviceError):
    """The backup does not fit in the chosen folder."""


class TunnelRequired(DeviceError):
    """iOS 17+ serves this only through a RemoteXPC tunnel."""


class DeviceDisconnected(DeviceError):
    """The phone went away in the middle of the work (cable pulled, phone restarted)."""


class IncompleteBackup(DeviceError):
    """The phone ended the backup without the files that make it readable."""


@dataclass(slots=True)
class DeviceInfo:
    """One connected phone, as ``reclaim devices`` lists it."""

    udid: str
    connection: str  # "USB" or "Network"
    name: str = ""
    product_type: str = ""
    model: str = ""  # marketing name, e.g. "iPhone 13"
    ios: str = ""
    trusted: bool = False
    encrypted: bool | None = None  # backup encryption, when the phone says
    problem: str = ""  # why the details are missing (not trusted, locked, ...)

    def to_json(self) -> dict[str, Any]:
        return {
            "udid": self.udid,
            "connection": self.connection,
            "name": self.name,
            "product_type": self.product_type,
            "model": self.model,
            "ios": self.ios,
            "trusted": self.trusted,
            "backup_encrypted": self.encrypted,
            "problem": self.problem,
        }


@dataclass(slots=True)
class Connection:
    """Where to find the phone: which usbmuxd, which pairing records, how long to wait for "Trust"."""

    udid: str | None = None
    usbmux_address: str | None = None  # default: the system's usbmuxd (or USBMUXD_SOCKET_ADDRESS)
    pair_dir: Path | None = None  # default: pymobiledevice3's own (~/.pymobiledevice3)
    trust_wait: float = TRUST_WAIT
    on_trust_prompt: Callable[[], None] | None = None  # told once when the phone shows "Trust This Computer?"
    tunnel: bool = False  # reach the phone through a running `pymobiledevice3 remote tunneld` (iOS 17+)
    tunneld_address: tuple[str, int] = ("127.0.0.1", 49151)


@dataclass(slots=True)
class TransferProgress:
    """How a backup or copy is going: what the phone reports plus what arrived here."""

    percent: float | None = None
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    current: str = ""
    done: bool = False

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes / self.seconds if self.seconds > 0 else 0.0


ProgressCallback = Callable[[TransferProgress], None]

#: Shortest interval between two progress reports.
REPORT_EVERY = 0.2


class Tracker:
    """Collects progress from the phone (percent) and from the link (files, bytes); reports it throttled."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.state = TransferProgress()
        self.started = time.monotonic()
        self._last = 0.0

    def percent(self, value: Any) -> None:
        """pymobiledevice3's progress callback: the phone's own estimate, 0–100."""
        if isinstance(value, int | float):
            self.state.percent = float(value)
        self.report()

    def received(self, size: int) -> None:
        self.state.bytes += size
        self.report()

    def file_done(self, name: str) -> None:
        self.state.files += 1
        self.state.current = name
        self.report()

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        self.state.seconds = now - self.started
        if self.callback is not None and (force or now - self._last >= REPORT_EVERY):
            self._last = now
            self.callback(self.state)

    def finish(self) -> None:
        self.state.done = True
        self.state.percent = 100.0
        self.report(force=True)


# -- running pymobiledevice3 ---------------------------------------------------------------------


def require_pymobiledevice3() -> None:
    """Raise :class:`DeviceToolMissing` unless pymobiledevice3 can be imported."""
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError as exc:
        raise DeviceToolMissing() from exc


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one device job to completion, translating pymobiledevice3's errors into :class:`DeviceError`."""
    with translate_errors():
        return asyncio.run(coro)


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn pymobiledevice3 exceptions into one-line errors that say what to do."""
    from pymobiledevice3 import exceptions as e

    try:
        yield
    except DeviceError:
        raise
    except e.ConnectionFailedToUsbmuxdError as exc:
        raise NoDevice(
            "no iPhone found: the usbmuxd service is not running (on Linux install and start usbmuxd; "
            "on Windows install Apple Devices or iTunes), then connect the iPhone with a cable"
        ) from exc
    except e.DeviceNotFoundError as exc:
        raise NoDevice(f"no iPhone with UDID {exc.udid} is connected ('reclaim devices' lists them)") from exc
    except e.NoDeviceConnectedError as exc:
        raise NoDevice("no iPhone connected: connect it with a USB cable, unlock it and try again") from exc
    except e.PairingDialogResponsePendingError as exc:
        raise NotTrusted(
            'the iPhone does not trust this computer yet: unlock it, tap "Trust" and enter the passcode, '
            "then run the command again"
        ) from exc
    except e.UserDeniedPairingError as exc:
        raise NotTrusted(
            'the iPhone answered "Don\'t Trust": unplug it, plug it back in and tap "Trust" this time'
        ) from exc
    except (e.PasswordRequiredError, e.PasscodeRequiredError) as exc:
        raise DeviceLocked("the iPhone is locked: unlock it with its passcode, keep it unlocked and try again") from exc
    except (e.InvalidServiceError, e.StartServiceError) as exc:
        raise TunnelRequired(
            f"the iPhone refused the service ({exc}); on iOS 17 and later run  {TUNNELD_COMMAND}  "
            "in another terminal and add --tunnel"
        ) from exc
    except e.TunneldConnectionError as exc:
        raise TunnelRequired(f"no tunnel to the iPhone: start  {TUNNELD_COMMAND}  in another terminal first") from exc
    except e.NotEnoughDiskSpaceError as exc:
        raise NotEnoughSpace(str(exc)) from exc
    except (e.ConnectionTerminatedError, e.MuxException, ConnectionError, asyncio.IncompleteReadError) as exc:
        raise DeviceDisconnected(
            "the connection to the iPhone was lost (cable pulled or phone restarted): reconnect it and run "
            "the same command again; it continues from what is already in the folder"
        ) from exc
    except e.PairingError as exc:
        raise NotTrusted(f"pairing with the iPhone failed ({exc}): unplug it, plug it back in and tap Trust") from exc


async def connect(conn: Connection) -> LockdownServiceProvider:
    """A lockdown session with the phone, pairing (and waiting for "Trust") when needed."""
    if conn.tunnel:
        return await _connect_tunnel(conn)
    from pymobiledevice3.exceptions import PairingDialogResponsePendingError
    from pymobiledevice3.lockdown import create_using_usbmux

    kwargs: dict[str, Any] = {
        "serial": conn.udid,
        "usbmux_address": conn.usbmux_address,
        "pairing_records_cache_folder": conn.pair_dir,
        "autopair": True,
    }
    try:
        return await create_using_usbmux(pair_timeout=0, **kwargs)
    except PairingDialogResponsePendingError:
        if conn.trust_wait <= 0:
            raise
        if conn.on_trust_prompt is not None:
            conn.on_trust_prompt()
        return await create_using_usbmux(pair_timeout=conn.trust_wait, **kwargs)


async def _connect_tunnel(conn: Connection) -> LockdownServiceProvider:
    """The phone's RemoteXPC service provider through tunneld (the iOS 17+ route)."""
    from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid, get_tunneld_devices

    if conn.udid:
        rsd = await get_tunneld_device_by_udid(conn.udid, conn.tunneld_address)
        if rsd is None:
            raise NoDevice(f"tunneld has no tunnel to an iPhone with UDID {conn.udid}")
        return rsd
    found = await get_tunneld_devices(conn.tunneld_address)
    if not found:
        raise NoDevice(f"tunneld has no tunnel to an iPhone: connect and unlock it, and check {TUNNELD_COMMAND} runs")
    for extra in found[1:]:
        with contextlib.suppress(Exception):
            await extra.close()
    return found[0]


@contextlib.asynccontextmanager
async def session(conn: Connection) -> AsyncIterator[LockdownServiceProvider]:
    """:func:`connect` as a context that closes the session."""
    lockdown = await connect(conn)
    try:
        yield lockdown
    finally:
        with contextlib.suppress(Exception):
            await lockdown.close()


# -- reclaim devices ---------------------------------------------------------------------------


def list_devices(conn: Connection | None = None) -> list[DeviceInfo]:
    """Every phone usbmuxd sees, with its details when this computer is trusted (never pairs)."""
    require_pymobiledevice3()
    return run(_list_devices(conn or Connection()))


async def _list_devices(conn: Connection) -> list[DeviceInfo]:
    from pymobiledevice3 import exceptions as e
    from pymobiledevice3.lockdown import create_using_usbmux
    from pymobiledevice3.usbmux import list_devices as mux_devices

    out = []
    for mux in await mux_devices(usbmux_address=conn.usbmux_address):
        info = DeviceInfo(udid=mux.serial, connection=mux.connection_type)
        try:
            lockdown = await create_using_usbmux(
                serial=mux.serial,
                connection_type=mux.connection_type,
                usbmux_address=conn.usbmux_address,
                pairing_records_cache_folder=conn.pair_dir,
                autopair=False,
            )
        except e.PyMobileDevice3Exception as exc:
            info.problem = f"cannot talk to it ({type(exc).__name__})"
            out.append(info)
            continue
        try:
            values = lockdown.all_values
            info.name = values.get("DeviceName", "") or ""
            info.product_type = values.get("ProductType", "") or ""
            info.model = lockdown.display_name or info.product_type
            info.ios = values.get("ProductVersion", "") or ""
            info.trusted = bool(lockdown.paired)
            if lockdown.paired:
                with contextlib.suppress(e.PyMobileDevice3Exception):
                    info.encrypted = bool(await lockdown.get_value("com.apple.mobile.backup", "WillEncrypt"))
            else:
                info.problem = 'not trusted yet: unlock it and tap "Trust" (reclaim backup-device asks for it)'
        finally:
            with contextlib.suppress(Exception):
                await lockdown.close()
        out.append(info)
    return out


# -- reclaim backup-device ---------------------------------------------------------------------


@dataclass
class BackupOutcome:
    """What :func:`backup_device` made."""

    path: Path  # the backup folder (``<out>/<UDID>``)
    encrypted: bool
    incremental: bool
    progress: TransferProgress = field(default_factory=TransferProgress)


def backup_device(
    udid: str | None,
    out: Path,
    full: bool = False,
    progress: ProgressCallback | None = None,
    *,
    conn: Connection | None = None,
    encrypt_with: str | None = None,
) -> Path:
    """Back up the phone into ``out/<UDID>`` and return that folder (what ``reclaim recover`` reads).

    Incremental when ``out`` already holds a complete backup of this phone and ``full`` is
    false; a run cut short leaves the folder as it was plus what arrived, and the next run
    continues from there. ``encrypt_with`` (an explicit choice, never a default) turns the
    phone's backup encryption on with that password first; reclaim never switches
    encryption on or off otherwise.
    """
    return backup_device_outcome(udid, out, full, progress, conn=conn, encrypt_with=encrypt_with).path


def backup_device_outcome(
    udid: str | None,
    out: Path,
    full: bool = False,
    progress: ProgressCallback | None = None,
    *,
    conn: Connection | None = None,
    encrypt_with: str | None = None,
) -> BackupOutcome:
    """:func:`backup_device`, also saying whether the backup is encrypted and was incremental."""
    require_pymobiledevice3()
    conn = conn or Connection()
    if udid is not None:
        conn.udid = udid
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return run(_backup(conn, out, full, progress, encrypt_with))


async def _backup(
    conn: Connection, out: Path, full: bool, progress: ProgressCallback | None, encrypt_with: str | None
) -> BackupOutcome:
    from reclaim.sources._devicelink import ReclaimBackupService

    async with session(conn) as lockdown:
        udid = lockdown.udid or conn.udid or ""
        target = out / udid
        incremental = not full and _complete(target)
        tracker = Tracker(progress)
        service = ReclaimBackupService(lockdown, tracker)
        encrypted = await service.get_will_encrypt()
        if encrypt_with and not encrypted:
            await service.change_password(out, new=encrypt_with)
            await service.close()
            encrypted = await service.get_will_encrypt()
        try:
            await service.backup(full=not incremental, backup_directory=out, progress_callback=tracker.percent)
        except Exception as exc:
            service.explain_disk_refusal(exc, out)
            raise
        finally:
            await service.close()
        tracker.finish()
    if not _complete(target):
        raise IncompleteBackup("the iPhone ended the backup early; run the same command again", target)
    return BackupOutcome(path=target, encrypted=encrypted, incremental=incremental, progress=tracker.state)


def _complete(folder: Path) -> bool:
    """Whether a folder holds a finished backup (Manifest.db plus a Status.plist saying so)."""
    status = folder / "Status.plist"
    if not (folder / "Manifest.db").is_file() or not status.is_file():
        return False
    try:
        data = plistlib.loads(status.read_bytes())
    except (plistlib.InvalidFileException, ValueError, OSError):
        return False
    return isinstance(data, dict) and data.get("SnapshotState") == "finished"


# -- reclaim device-photos -----------------------------------------------------------------------


#: Where the camera roll lives under AFC's root (/var/mobile/Media).
PHOTO_FOLDERS = ("DCIM", "PhotoData")
#: The copy's layout: the phone's own paths, so ``reclaim recover OUT`` reads it as an extraction.
MEDIA_PREFIX = "private/var/mobile/Media"


@dataclass(slots=True)
class PhotoCopy:
    """What :func:`copy_photos` did."""

    folder: Path  # ``<out>/private/var/mobile/Media``
    copied: int = 0
    skipped: int = 0  # already complete from an earlier run
    bytes: int = 0


def copy_photos(
    udid: str | None,
    out: Path,
    progress: ProgressCallback | None = None,
    *,
    conn: Connection | None = None,
    folders: tuple[str, ...] = PHOTO_FOLDERS,
) -> PhotoCopy:
    """Copy the camera roll (DCIM, PhotoData) over AFC into ``out``, skipping files already complete.

    Files keep the phone's layout under ``out/private/var/mobile/Media`` so ``reclaim recover
    out`` reads them like a file-system extraction; each is written under a temporary name
    and renamed, so an interrupted copy never leaves a half file that looks complete.
    """
    require_pymobiledevice3()
    conn = conn or Connection()
    if udid is not None:
        conn.udid = udid
    return run(_copy_photos(conn, Path(out).expanduser(), progress, folders))


async def _copy_photos(
    conn: Connection, out: Path, progress: ProgressCallback | None, folders: tuple[str, ...]
) -> PhotoCopy:
    from reclaim.sources.afc import copy_tree

    result = PhotoCopy(folder=out / MEDIA_PREFIX)
    async with session(conn) as lockdown:
        await copy_tree(lockdown, folders, out, result, progress)
    return result


def describe_size(value: float) -> str:
    """Bytes as a short human figure (1.2 GB)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def now() -> float:
    return time.monotonic()


def __getattr__(name: str) -> Any:
    """``reclaim.sources.device.AfcSource`` (defined in :mod:`reclaim.sources.afc`, imported on use)."""
    if name == "AfcSource":
        from reclaim.sources.afc import AfcSource

        return AfcSource
    raise AttributeError(name)


__all__ = [  # noqa: F822 - AfcSource comes through __getattr__
    "AfcSource",
    "Connection",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceInfo",
    "DeviceLocked",
    "DeviceToolMissing",
    "IncompleteBackup",
    "NoDevice",
    "NotEnoughSpace",
    "NotTrusted",
    "TransferProgress",
    "TunnelRequired",
    "backup_device",
    "copy_photos",
    "list_devices",
]
