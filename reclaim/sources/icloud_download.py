"""A folder written by ``reclaim icloud download``, as a source.

The download lays iCloud data out like Apple's Data & Privacy export (see
:mod:`reclaim.icloud.download`), so this is :class:`~reclaim.sources.privacy_export.PrivacyExport`
over that folder, recognised by its ``reclaim-icloud.json`` marker.
"""

from __future__ import annotations

import json
from pathlib import Path

from reclaim.errors import NotASource
from reclaim.icloud.download import MARKER
from reclaim.sources.privacy_export import PrivacyExport
from reclaim.vfs import SourceInfo


def is_icloud_download(path: Path) -> bool:
    """Whether ``path`` is a folder made by ``reclaim icloud download``."""
    return path.is_dir() and (path / MARKER).is_file()


class IcloudDownload(PrivacyExport):
    """The downloaded folder's files in the ``iCloudExport`` domain."""

    source_kind = "icloud-download"

    @property
    def info(self) -> SourceInfo:
        assert self.location is not None
        try:
            meta = json.loads((self.location / MARKER).read_text("utf-8"))
        except (OSError, ValueError):
            meta = {}
        return SourceInfo(kind=self.source_kind, backup_date=meta.get("fetched"),
                          extra={"parts": meta.get("parts", [])})


def open_icloud_download(path: str | Path) -> IcloudDownload:
    """Open a download folder; raises :class:`NotASource` when it is not one."""
    path = Path(path).expanduser()
    if not is_icloud_download(path):
        raise NotASource(f"not a reclaim icloud download folder (no {MARKER})", path)
    return IcloudDownload([path], location=path)
