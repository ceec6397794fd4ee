"""The ``PATH`` and ``--password-file`` arguments every source-reading command shares.

``add_source_arguments(parser)`` declares them; ``open_source_from_args(args)`` opens the
source, asking for a password only if it is encrypted (see :mod:`reclaim.crypto.password`)
and, when PATH holds several backups, offering a numbered choice on a terminal or a
clear error listing them otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reclaim.crypto.password import password_provider
from reclaim.errors import NotASource, PasswordRequired, WrongPassword
from reclaim.sources.detect import open_source
from reclaim.sources.discovery import summarize
from reclaim.sources.errors import MultipleBackups
from reclaim.vfs import VirtualFS


def add_source_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``PATH`` (a backup, folder of backups, extraction, app folder or database) and ``--password-file``."""
    parser.add_argument(
        "path",
        nargs=None if required else "?",
        metavar="PATH",
        help="backup folder, folder of backups, file-system extraction (folder/.zip/.tar), app folder or database",
    )
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="file whose first line is the backup password (else RECLAIM_PASSWORD, else a prompt)",
    )


def choose_backup(error: MultipleBackups, *, interactive: bool | None = None) -> Path:
    """Ask which backup to use (numbered prompt on a terminal); re-raise the error otherwise."""
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if not interactive:
        raise error
    print("Several backups are here:", file=sys.stderr)
    for n, path in enumerate(error.candidates, 1):
        s = summarize(path)
        what = ", ".join(x for x in (s.device_name, s.product_version and f"iOS {s.product_version}", s.date) if x)
        lock = " (encrypted)" if s.encrypted else ""
        print(f"  {n}. {path.name}  {what}{lock}", file=sys.stderr)
    while True:
        try:
            answer = input(f"Which one [1-{len(error.candidates)}]? ").strip()
        except EOFError:
            raise error from None
        if answer.isdigit() and 1 <= int(answer) <= len(error.candidates):
            return error.candidates[int(answer) - 1]


def open_source_from_args(args: argparse.Namespace) -> VirtualFS:
    """Open the source named by ``args.path`` with the password options of ``args``."""
    path = getattr(args, "path", None)
    if not path:
        raise NotASource("no PATH given")
    provider = password_provider(getattr(args, "password_file", None))
    try:
        try:
            return open_source(path, password_provider=provider)
        except MultipleBackups as error:
            path = choose_backup(error)
            return open_source(path, password_provider=provider)
    except WrongPassword as error:
        if error.path is not None:
            raise
        raise WrongPassword("wrong password for this encrypted backup", path) from None
    except PasswordRequired as error:
        if error.path is not None:
            raise
        raise PasswordRequired(
            "this backup is encrypted: give its password with --password-file FILE or RECLAIM_PASSWORD", path
        ) from None
