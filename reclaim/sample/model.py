"""What the sample-backup generator is made of.

Every module in :mod:`reclaim.sample.content` contributes files to the sample
backup through ``def files(ctx: SampleContext) -> Iterator[SampleFile]``; the
builder (:mod:`reclaim.sample.builder`) writes them as an iTunes/Finder backup,
plain or encrypted. Content is deterministic (seeded), so tests can assert on it.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: The moment the sample backup was "taken"; all sample data is dated before it.
SAMPLE_NOW = datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC)

#: Device metadata written into the sample's Info.plist.
SAMPLE_DEVICE = {
    "Device Name": "Alex's iPhone",
    "Display Name": "Alex's iPhone",
    "Product Type": "iPhone14,5",
    "Product Name": "iPhone 13",
    "Product Version": "17.4.1",
    "Build Version": "21E236",
    "Serial Number": "F2LXK0SAMPLE",
    "Unique Identifier": "00008110-000A1B2C3D4E5F60",
    "Target Identifier": "00008110-000A1B2C3D4E5F60",
    "Phone Number": "+44 7700 900123",
    "IMEI": "356938035643809",
    "ICCID": "8944200000000000000",
}


@dataclass(slots=True)
class SampleFile:
    """One entry of the sample backup: a file (bytes or a local file to copy) or a directory."""

    domain: str
    path: str
    data: bytes | Path | None = None  # None for a directory
    mtime: datetime = SAMPLE_NOW
    mode: int | None = None  # default: 0o100644 for files, 0o040755 for directories

    @property
    def is_dir(self) -> bool:
        return self.data is None


@dataclass
class SampleContext:
    """Shared state for content generators: a seeded RNG and a scratch folder for building databases."""

    seed: int = 1
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="reclaim-sample-")))
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # The scratch folder goes with the context (generators keep the bytes of what they build there).
        weakref.finalize(self, shutil.rmtree, self.scratch, True)

    def scratch_path(self, name: str) -> Path:
        """A fresh path in the scratch folder (for a database a generator builds with sqlite3)."""
        path = self.scratch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
