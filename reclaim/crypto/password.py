"""Where a backup password comes from: a file, the environment, or a prompt — never argv.

Order: ``--password-file FILE`` (first line, trailing newline removed), then the
``RECLAIM_PASSWORD`` environment variable, then an interactive ``getpass`` prompt when
stdin is a terminal. Passwords are never logged, printed or stored by reclaim.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from reclaim.errors import PasswordRequired, ReclaimError

ENV_VAR = "RECLAIM_PASSWORD"


def read_password_file(path: str | Path) -> str:
    """The password stored in a file: its first line, without the line ending."""
    try:
        with open(path, encoding="utf-8") as handle:
            line = handle.readline()
    except OSError as exc:
        raise ReclaimError(f"cannot read the password file ({exc.strerror})", path) from None
    except UnicodeDecodeError:
        raise ReclaimError("the password file is not UTF-8 text", path) from None
    return line.rstrip("\r\n")


def get_password(
    backup_name: str,
    *,
    password_file: str | Path | None = None,
    interactive: bool | None = None,
    prompt: str | None = None,
) -> str:
    """The password for ``backup_name`` (file → ``RECLAIM_PASSWORD`` → prompt).

    Raises :class:`PasswordRequired` when none is available and no prompt is possible.
    """
    if password_file is not None:
        return read_password_file(password_file)
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    if interactive is None:
        interactive = sys.stdin.isatty()
    if interactive:
        try:
            value = getpass.getpass(prompt or f"Password for backup {backup_name}: ")
        except (EOFError, KeyboardInterrupt):
            value = ""
        if value:
            return value
    raise PasswordRequired(
        f"backup {backup_name} is encrypted: give its password with --password-file FILE or {ENV_VAR}"
    )


def password_provider(
    password_file: str | Path | None = None, *, interactive: bool | None = None
) -> Callable[[str], str]:
    """A ``password_provider`` for :func:`reclaim.sources.open_source` using :func:`get_password`."""

    def provide(backup_name: str) -> str:
        return get_password(backup_name, password_file=password_file, interactive=interactive)

    return provide
