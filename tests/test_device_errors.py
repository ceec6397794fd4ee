"""What a person is told when the phone cannot be used, and ``reclaim devices``; against the emulated phone."""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import pytest
from emulator import EmulatedDevice
from emulator.fixtures import attached, small_backup

from reclaim.sources.device import (
    Connection,
    DeviceLocked,
    NoDevice,
    NotEnoughSpace,
    NotTrusted,
    TunnelRequired,
    backup_device,
    list_devices,
)

UDID = "00008110-000A1B2C3D4E5F60"


@pytest.fixture(scope="module")
def phone_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_backup(tmp_path_factory.mktemp("phone") / "backup", {("HomeDomain", "Library/a.txt"): b"a" * 100})


def test_devices_lists_the_phone_with_its_details(phone_data: Path) -> None:
    with attached(EmulatedDevice(phone_data)) as (_, conn):
        devices = list_devices(conn)
    assert len(devices) == 1
    d = devices[0]
    assert (d.udid, d.name, d.product_type, d.model, d.ios) == (UDID, "Alex's iPhone", "iPhone14,5", "iPhone 13",
                                                               "17.4.1")
    assert d.connection == "USB" and d.trusted and d.encrypted is False and d.problem == ""


def test_devices_says_when_a_phone_is_not_trusted_and_never_pairs(phone_data: Path) -> None:
    phone = EmulatedDevice(phone_data, trusted=False)
    with attached(phone) as (_, conn):
        (d,) = list_devices(conn)
    assert not d.trusted and d.encrypted is None and "Trust" in d.problem
    assert d.ios == "17.4.1"  # lockdownd tells the version even before pairing
    assert phone.saved_pair_records == []


def test_devices_command_prints_json(phone_data: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from reclaim.commands import devices as command

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    with attached(EmulatedDevice(phone_data)) as (_, conn):
        monkeypatch.setattr(command, "Connection", lambda: conn)
        assert command.run(parser.parse_args(["--json"])) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["udid"] == UDID and item["backup_encrypted"] is False and item["model"] == "iPhone 13"


def test_no_phone_connected(tmp_path: Path) -> None:
    with attached() as (_, conn), pytest.raises(NoDevice, match="no iPhone connected: connect it with a USB cable"):
        backup_device(None, tmp_path, conn=conn)


def test_usbmuxd_not_running(tmp_path: Path) -> None:
    conn = Connection(usbmux_address=str(tmp_path / "no-such-socket"), pair_dir=tmp_path / "pair", trust_wait=0)
    with pytest.raises(NoDevice, match="usbmuxd service is not running"):
        list_devices(conn)


def test_other_udid_asked_for(phone_data: Path, tmp_path: Path) -> None:
    with attached(EmulatedDevice(phone_data)) as (_, conn), pytest.raises(NoDevice, match="UDID 00008030-FFFF"):
        backup_device("00008030-FFFF", tmp_path, conn=conn)


def test_trust_dialog_not_answered(phone_data: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, trusted=False, pairing="pending")
    with attached(phone) as (_, conn), pytest.raises(NotTrusted, match='tap "Trust"'):
        backup_device(None, tmp_path, conn=conn)
    assert not (tmp_path / UDID).exists()


def test_trust_refused(phone_data: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, trusted=False, pairing="deny")
    with attached(phone) as (_, conn), pytest.raises(NotTrusted, match="Don't Trust"):
        backup_device(None, tmp_path, conn=conn)


def test_trust_accepted_pairs_and_backs_up(phone_data: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, trusted=False, pairing="accept")
    with attached(phone) as (_, conn):
        path = backup_device(None, tmp_path, conn=conn)
    assert (path / "Manifest.db").is_file()
    assert len(phone.saved_pair_records) == 1  # handed to usbmuxd, as Finder does
    assert len(phone.host_ids) == 2
    assert conn.pair_dir is not None and (conn.pair_dir / f"{UDID}.plist").is_file()


def test_locked_phone(phone_data: Path, tmp_path: Path) -> None:
    with attached(EmulatedDevice(phone_data, locked=True)) as (_, conn), \
            pytest.raises(DeviceLocked, match="unlock it with its passcode"):
        backup_device(None, tmp_path, conn=conn)


def test_service_only_through_a_tunnel(phone_data: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, tunnel_only=frozenset({"com.apple.mobilebackup2"}))
    with attached(phone) as (_, conn), \
            pytest.raises(TunnelRequired, match="sudo pymobiledevice3 remote tunneld"):
        backup_device(None, tmp_path, conn=conn)


def test_tunnel_asked_but_tunneld_not_running(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(tunnel=True, tunneld_address=("127.0.0.1", port))
    with pytest.raises(TunnelRequired, match="start  sudo pymobiledevice3 remote tunneld"):
        backup_device(None, tmp_path, conn=conn)


def test_not_enough_disk_space_says_how_much(phone_data: Path, tmp_path: Path) -> None:
    phone = EmulatedDevice(phone_data, required_bytes=10**18)
    with attached(phone) as (_, conn), pytest.raises(NotEnoughSpace) as caught:
        backup_device(None, tmp_path, conn=conn)
    message = str(caught.value)
    assert "the iPhone needs 1000000.0 TB free" in message and "choose a folder on another disk" in message
    assert phone.sessions == []  # refused before any file was sent
