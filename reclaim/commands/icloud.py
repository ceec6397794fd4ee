"""``reclaim icloud login|download``: the live iCloud account through pyicloud (``pip install 'reclaim[icloud]'``).

The password comes from RECLAIM_ICLOUD_PASSWORD or a prompt, never argv; the two-factor
code is prompted; pyicloud's session cookie stays in ``--session-dir`` (default
``~/.config/reclaim/icloud``), a folder only the user can read.
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any

from reclaim.commands._common import console
from reclaim.errors import ReclaimError

NAME = "icloud"
HELP = "sign in to iCloud and download Photos and iCloud Drive into a folder reclaim recover reads"
DEFAULT_SESSION = Path("~/.config/reclaim/icloud")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="icloud_command", required=True)
    for name, text in (("login", "sign in (with the two-factor code) and keep the session"),
                       ("download", "download into -o DIR (resumable)")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--apple-id", required=True, help="the Apple ID (e-mail address)")
        cmd.add_argument("--session-dir", type=Path, default=DEFAULT_SESSION,
                         help=f"where the session cookie is kept (default {DEFAULT_SESSION})")
        if name == "download":
            cmd.add_argument("-o", "--output", type=Path, required=True, help="folder to download into")
            cmd.add_argument("--photos", action="store_true", help="iCloud Photos (the default)")
            cmd.add_argument("--drive", action="store_true", help="iCloud Drive")


def _password() -> str:
    value = os.environ.get("RECLAIM_ICLOUD_PASSWORD")
    if value:
        return value
    value = getpass.getpass("Apple ID password: ") if os.isatty(0) else ""
    if not value:
        raise ReclaimError("the Apple ID password is needed: set RECLAIM_ICLOUD_PASSWORD or run on a terminal")
    return value


def sign_in(apple_id: str, session_dir: Path) -> Any:
    """A signed-in pyicloud service, asking for the two-factor code when Apple wants one."""
    try:
        from pyicloud import PyiCloudService
        from pyicloud.exceptions import PyiCloudFailedLoginException
    except ImportError as exc:
        raise ReclaimError("iCloud support is not installed: run  pip install 'reclaim[icloud]'") from exc
    folder = session_dir.expanduser()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        api = PyiCloudService(apple_id, _password(), cookie_directory=str(folder))
    except PyiCloudFailedLoginException as exc:
        raise ReclaimError("Apple did not accept this Apple ID and password") from exc
    if api.requires_2fa:
        code = input("Enter the 6-digit code shown on your Apple device: ").strip()
        if not api.validate_2fa_code(code):
            raise ReclaimError("the code was not accepted; run the command again for a new one")
        if not api.is_trusted_session:
            api.trust_session()
    return api


def run(args: argparse.Namespace) -> int:
    from reclaim.icloud.download import download_drive, download_photos, open_photos

    api = sign_in(args.apple_id, args.session_dir)
    if args.icloud_command == "login":
        console.print(f"Signed in; the session is kept in {args.session_dir.expanduser()}", highlight=False)
        return 0
    out: Path = args.output
    photos = args.photos or not args.drive

    def show(what: str, items: int, size: int) -> None:
        console.print(f"  {what}: {items:,} files, {size / 1e6:.1f} MB", highlight=False)

    if photos:
        report = download_photos(open_photos(lambda: api.photos), out, show)
        console.print(f"Photos: {report.photos:,} downloaded, {report.skipped:,} already there, "
                      f"{report.missing:,} without a downloadable original; albums: {len(report.albums)}",
                      highlight=False)
    if args.drive:
        report = download_drive(api.drive, out, show)
        console.print(f"iCloud Drive: {report.drive_files:,} files downloaded, {report.skipped:,} already there",
                      highlight=False)
    console.print(f"Recover from it with:  reclaim recover {out} -o reclaim-report", highlight=False)
    return 0
