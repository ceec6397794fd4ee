"""Errors a user sees as one clear line (never a traceback).

Every error raised on purpose by reclaim derives from :class:`ReclaimError`; the
CLI prints ``str(error)`` and exits non-zero. Messages name the file and the problem.
"""

from __future__ import annotations

from pathlib import Path


class ReclaimError(Exception):
    """A problem the user can understand and act on."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)


class NotASource(ReclaimError):
    """The path is not a backup, extraction, archive or database reclaim can read."""


class WrongPassword(ReclaimError):
    """The password does not unlock the backup's keybag."""


class PasswordRequired(ReclaimError):
    """The backup is encrypted and no password was given."""


class CorruptFile(ReclaimError):
    """A file is damaged beyond what reclaim can read around."""


class UnsafePath(ReclaimError):
    """A path from inside a source would escape the output folder."""


class OutputNotWritable(ReclaimError):
    """The output folder cannot be created or written (a file is in the way, no permission)."""


#: SQLite primary result codes that mean the file itself is damaged (not a bug in a query).
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def is_corruption(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite reporting a damaged or non-database file (SQLITE_CORRUPT/NOTADB).

    Lets a reader turn damage into a clear :class:`CorruptFile` while a wrong query
    (``no such column``, a locked file, ...) still surfaces as the bug it is.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
