"""Helpers the device tests share: small phones made from a handful of files."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

from reclaim.sample.builder import write_backup
from reclaim.sample.model import SAMPLE_NOW, SampleFile
from reclaim.sources.device import Connection

from .device import EmulatedDevice
from .usbmuxd import FakeUsbmuxd


def small_backup(folder: Path, files: dict[tuple[str, str], bytes], *, password: str | None = None) -> Path:
    """A real backup folder (Manifest.db, plists, hashed files) holding exactly ``files``."""
    items = [SampleFile(domain, path, data, SAMPLE_NOW) for (domain, path), data in files.items()]
    return write_backup(folder, items, encrypted=password is not None, password=password)


@contextlib.contextmanager
def attached(
    *devices: EmulatedDevice, trust_wait: float = 0.0, **conn: object
) -> Iterator[tuple[FakeUsbmuxd, Connection]]:
    """A fake usbmuxd with the phones plugged in, and the :class:`Connection` that reaches it."""
    with FakeUsbmuxd(*devices) as mux, _env("USBMUXD_SOCKET_ADDRESS", mux.address):
        pair_dir = Path(mux.folder) / "pairing"
        yield mux, Connection(usbmux_address=mux.address, pair_dir=pair_dir, trust_wait=trust_wait, **conn)  # type: ignore[arg-type]


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    import os

    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield None
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def tree_digests(root: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }
