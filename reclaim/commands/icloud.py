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
HELP = ("sign in to iCloud and download Photos, Notes, Reminders, Contacts, Calendars and iCloud Drive "
        "into a folder reclaim recover reads")
#: What ``download`` fetches, in order; all but Drive (which can be huge) are on unless some are named.
PARTS = ("photos", "notes", "reminders", "contacts", "calendars", "drive")
DEFAULT_OFF = {"drive"}
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
            for part in PARTS:
                default = "off" if part in DEFAULT_OFF else "on"
                cmd.add_argument(f"--{part}", action=argparse.BooleanOptionalAction, default=None,
                                 help=f"iCloud {part.capitalize()} ({default} unless parts are named)")
            cmd.add_argument("--calendar-years", type=int, default=5, metavar="N",
                             help="calendar events from N years back to one year ahead (default 5)")


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


def selected_parts(args: argparse.Namespace) -> list[str]:
    """The parts to download: those named with ``--part`` if any, else the defaults minus ``--no-part``."""
    named = [p for p in PARTS if getattr(args, p, None) is True]
    if named:
        return named
    return [p for p in PARTS if p not in DEFAULT_OFF and getattr(args, p, None) is not False]


def run(args: argparse.Namespace) -> int:
    from reclaim.icloud.download import IcloudError

    api = sign_in(args.apple_id, args.session_dir)
    if args.icloud_command == "login":
        console.print(f"Signed in; the session is kept in {args.session_dir.expanduser()}", highlight=False)
        return 0
    out: Path = args.output
    failed = 0
    for part in selected_parts(args):
        try:
            line = _download(part, api, out, args)
        except IcloudError as exc:
            failed += 1
            console.print(str(exc), style="red", markup=False, highlight=False)
            continue
        console.print(line, markup=False, highlight=False)
    console.print(f"Recover from it with:  reclaim recover {out} -o reclaim-report", highlight=False)
    return 1 if failed else 0


def _show(what: str, items: int, size: int) -> None:
    console.print(f"  {what}: {items:,}" + (f", {size / 1e6:.1f} MB" if size else ""), highlight=False)


def _download(part: str, api: Any, out: Path, args: argparse.Namespace) -> str:
    """Download one part; the one-line summary to print (an :class:`IcloudError` when iCloud refuses)."""
    from datetime import date

    from reclaim.icloud import pim
    from reclaim.icloud.download import download_drive, download_photos, open_photos

    def service(name: str) -> Any:
        with pim.service_errors(name.capitalize()):
            return getattr(api, name)

    if part == "photos":
        with pim.service_errors("Photos"):
            report = download_photos(open_photos(lambda: api.photos), out, _show)
        return (f"Photos: {report.photos:,} downloaded, {report.skipped:,} already there, "
                f"{report.missing:,} without a downloadable original; albums: {len(report.albums)}")
    if part == "drive":
        with pim.service_errors("iCloud Drive"):
            report = download_drive(service("drive"), out, _show)
        return f"iCloud Drive: {report.drive_files:,} files downloaded, {report.skipped:,} already there"
    if part == "notes":
        report = pim.download_notes(service("notes"), out, _show)
        return (f"Notes: {report.notes:,} downloaded, {report.skipped:,} unchanged, "
                f"{report.notes_locked:,} locked (their text stays on the devices)"
                + "".join(f"\n  warning: {w}" for w in report.warnings[:20]))
    if part == "reminders":
        report = pim.download_reminders(service("reminders"), out, _show)
        return (f"Reminders: {report.reminders:,} in {len(report.reminder_lists)} lists"
                + (f" ({report.reminders_deleted:,} deleted ones left out)" if report.reminders_deleted else ""))
    if part == "contacts":
        report = pim.download_contacts(service("contacts"), out, _show)
        return f"Contacts: {report.contacts:,}" + "".join(f"\n  warning: {w}" for w in report.warnings[:20])
    today = date.today()
    report = pim.download_calendars(service("calendar"), out, today.replace(year=today.year - args.calendar_years,
                                                                             day=1),
                                    today.replace(year=today.year + 1, day=28), _show)
    return f"Calendars: {report.events:,} events in {len(report.calendars)} calendars"
