"""Sources: everything reclaim reads becomes one read-only :class:`~reclaim.vfs.VirtualFS`.

Use :func:`open_source` for any path (a backup, a folder of backups, a full file-system
extraction as a folder/zip/tar, an app folder or a single database). Command-line
commands use :mod:`reclaim.sources.cli_support` for the ``PATH``/``--password-file``
arguments. See ``docs/sources.md``.
"""

from __future__ import annotations

from reclaim.sources.detect import detect_kind, open_source
from reclaim.sources.errors import MissingFile, MultipleBackups

__all__ = ["MissingFile", "MultipleBackups", "detect_kind", "open_source"]
