"""``reclaim backup-device [--udid U] -o DIR [--full]``: back up a connected iPhone into DIR.

Also home to what the other device commands share: the ``--udid``/``--tunnel`` options,
the transfer progress display, and :func:`backup_for_recover`, which ``reclaim recover
--device`` calls to make the backup it then reads.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from reclaim.commands._common import console, interactive
from reclaim.sources.device import Connection, TransferProgress, describe_size

NAME = "backup-device"
HELP = "back up a connected iPhone (USB, or Wi-Fi once paired) into a folder that reclaim recover reads"

#: Seconds between two progress lines when not on a terminal.
PLAIN_EVERY = 10.0


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--udid`` and ``--tunnel``, shared by every device command."""
    parser.add_argument("--udid", help="which iPhone, when several are connected (see: reclaim devices)")
    parser.add_argument("--tunnel", action="store_true",
                        help="reach an iOS 17+ iPhone through a running 'sudo pymobiledevice3 remote tunneld'")


def connection_from_args(args: argparse.Namespace) -> Connection:
    """The :class:`Connection` the device options describe (with the "tap Trust" hint on screen)."""
    return Connection(
        udid=getattr(args, "udid", None),
        tunnel=bool(getattr(args, "tunnel", False)),
        on_trust_prompt=lambda: console.print(
            'Unlock the iPhone and tap "Trust", then enter its passcode. Waiting…', highlight=False
        ),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="folder for the backup (it goes into DIR/<UDID>; an earlier backup there is updated)")
    add_connection_arguments(parser)
    add_backup_options(parser)


def add_backup_options(parser: argparse.ArgumentParser) -> None:
    """``--full`` and ``--encrypt`` (shared with ``reclaim recover --device``)."""
    parser.add_argument("--full", action="store_true", help="make a full backup even if DIR holds an earlier one")
    parser.add_argument(
        "--encrypt", action="store_true",
        help="turn on the iPhone's backup encryption first (password from --encrypt-password-file, "
             "RECLAIM_NEW_BACKUP_PASSWORD or a prompt); encrypted backups also hold Health, Wi-Fi and keychain data",
    )
    parser.add_argument("--encrypt-password-file", type=Path, metavar="FILE",
                        help="file whose first line is the new backup password for --encrypt")


@contextlib.contextmanager
def transfer_progress(label: str, enabled: bool | None = None) -> Iterator[object]:
    """A progress callback: a rich bar with bytes, rate and files on a terminal, else a line now and then."""
    if enabled is None:
        enabled = interactive()
    if not enabled:
        last = [0.0]

        def plain(state: TransferProgress) -> None:
            if state.done or time.monotonic() - last[0] >= PLAIN_EVERY:
                last[0] = time.monotonic()
                pct = f"{state.percent:.0f}% " if state.percent is not None else ""
                console.print(f"  {label}: {pct}{state.files:,} files, {describe_size(state.bytes)}, "
                              f"{describe_size(state.rate)}/s", highlight=False)

        yield plain
        return
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[pct]}"),
                        DownloadColumn(), TransferSpeedColumn(), TextColumn("{task.fields[files]} files"),
                        console=console, transient=False)
    with progress:
        task = progress.add_task(label, total=None, pct="", files="0")

        def rich_update(state: TransferProgress) -> None:
            # bytes and rate are what arrived here; the percentage is the phone's own estimate
            pct = f"{state.percent:.0f}%" if state.percent is not None else ""
            progress.update(task, completed=state.bytes, pct=pct, files=f"{state.files:,}",
                            total=state.bytes if state.done else None)

        yield rich_update


def encryption_password(args: argparse.Namespace) -> str | None:
    """The new backup password for ``--encrypt`` (file → RECLAIM_NEW_BACKUP_PASSWORD → prompt), or ``None``."""
    if not getattr(args, "encrypt", False):
        return None
    import os

    from reclaim.crypto.password import get_password, read_password_file
    from reclaim.errors import PasswordRequired

    if getattr(args, "encrypt_password_file", None):
        return read_password_file(args.encrypt_password_file)
    env = os.environ.get("RECLAIM_NEW_BACKUP_PASSWORD")
    if env:
        return env
    try:
        return get_password("new", password_file=None, prompt="New backup password for the iPhone: ")
    except PasswordRequired as exc:
        raise PasswordRequired(
            "--encrypt needs the new backup password: --encrypt-password-file FILE or RECLAIM_NEW_BACKUP_PASSWORD"
        ) from exc


def make_backup(args: argparse.Namespace, out: Path) -> Path:
    """Run the backup the options describe into ``out`` and say what happened; returns the backup folder."""
    from reclaim.sources.device import backup_device_outcome

    conn = connection_from_args(args)
    new_password = encryption_password(args)
    console.print(f"Backing up the iPhone into {out} (keep it connected and unlocked)…", highlight=False)
    with transfer_progress("backup") as progress:
        outcome = backup_device_outcome(None, out, bool(getattr(args, "full", False)), progress,  # type: ignore[arg-type]
                                        conn=conn, encrypt_with=new_password)
    state = outcome.progress
    kind = "incremental" if outcome.incremental else "full"
    console.print(f"Backup complete ({kind}): {outcome.path} — {state.files:,} files, {describe_size(state.bytes)} "
                  f"in {state.seconds:.0f} s", highlight=False)
    if outcome.encrypted:
        console.print("This iPhone encrypts its backups: reading it needs the backup password "
                      "(RECLAIM_PASSWORD, --password-file or a prompt).", highlight=False)
    return outcome.path


def backup_for_recover(args: argparse.Namespace, out: Path) -> Path:
    """For ``reclaim recover --device``: back up into ``out`` and return the backup folder to read."""
    return make_backup(args, out)


def run(args: argparse.Namespace) -> int:
    path = make_backup(args, args.output)
    console.print(f"Recover from it with:  reclaim recover {path} -o reclaim-report", highlight=False)
    return 0
