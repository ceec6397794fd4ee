"""Errors a user sees as one clear line (never a traceback).

Every error raised on purpose by reclaim derives from :class:`ReclaimError`; the
CLI prints ``str(error)`` and exits non-zero. Messages name the file and the problem.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from pathlib import Path


class ReclaimError(Exception):
    """A problem the user can understand and act on."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        #: The problem alone, without the file's name.
        self.reason = message
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


def is_bad_text(exc: BaseException) -> bool:
    """Whether ``exc`` is Python refusing a database's text that is not valid UTF-8 (a damaged value, or a
    damaged name in the schema): the reading can go on with the bad bytes replaced."""
    return isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, sqlite3.OperationalError) and str(exc).startswith("Could not decode to UTF-8"))


#: ``errno`` values that mean the disk being written cannot take more (never raised by a read).
_NO_ROOM = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
_SQLITE_FULL = 13


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk being written is full (or over quota, or read-only): nothing more can be
    saved there, so the work stops with one line instead of going on kind after kind. SQLite's own error
    counts too, even when it lost its code on its way from another process (its text is SQLite's)."""
    if isinstance(exc, OSError):
        return exc.errno in _NO_ROOM
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_FULL
    return isinstance(exc, sqlite3.OperationalError) and "database or disk is full" in str(exc)


def disk_full_error(folder: str | Path) -> OutputNotWritable:
    """The one line a user sees when the disk of an output folder filled up."""
    return OutputNotWritable("the disk is full (or read-only): nothing more could be saved here; free some space "
                             "or choose an output folder on another disk", folder)


#: What to do when a folder cannot be read on a Mac: macOS keeps backups from apps without Full Disk Access.
PERMISSION_HINT = ("on a Mac, allow the app you run reclaim from (Terminal, or the one the web page came from) "
                   "Full Disk Access in System Settings > Privacy & Security, then try again")


def os_error_line(exc: OSError, output: str | Path | None = None) -> str:
    """An operating-system error as one line naming the file (else the output folder being written, when
    the error says the disk is full) and the problem; on a Mac, a refusal says what to do about it."""
    problem = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        line = f"{output}: {problem}" if output is not None and is_disk_full(exc) else problem
    else:
        line = f"{exc.filename}: {problem}" + (f" (to {exc.filename2})" if exc.filename2 is not None else "")
    if isinstance(exc, PermissionError) and sys.platform == "darwin":
        line += f"; {PERMISSION_HINT}"
    return line
