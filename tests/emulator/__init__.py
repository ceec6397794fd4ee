"""An emulated iPhone for the device tests: usbmuxd, lockdownd and the services reclaim uses.

It speaks the real wire protocols (usbmuxd plist packets, lockdownd with a TLS session,
DeviceLink/mobilebackup2 with its file-transfer framing, AFC) over a local Unix socket, so
pymobiledevice3's own client code talks to it exactly as it would to ``/var/run/usbmuxd``.
See ``docs/device.md`` for what this verifies and what still needs a real phone.
"""

from .device import EmulatedDevice
from .usbmuxd import FakeUsbmuxd

__all__ = ["EmulatedDevice", "FakeUsbmuxd"]
