"""``reclaim wechat chats|export|photos PATH``: WeChat on its own, the way most people need it."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reclaim.commands._common import add_scan_options, console, interactive, scan_options, scan_progress
from reclaim.errors import ReclaimError
from reclaim.output import check_output_folder
from reclaim.sources.cli_support import add_source_arguments, open_source_from_args

NAME = "wechat"
HELP = "WeChat: list accounts and chats, export conversations, save every photo and video"


def _common(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--case", type=Path, help="keep the scanned case in this folder (default: a temporary one)")
    parser.add_argument("--zstd-dict", type=Path, action="append", default=[], metavar="FILE",
                        help="WeChat zstd dictionary file or folder, for compressed messages of new versions")
    add_scan_options(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="wechat_command", metavar="ACTION", required=True)
    chats = sub.add_parser("chats", help="list accounts and conversations with message counts and dates")
    _common(chats)
    chats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = sub.add_parser("export", help="export conversations (HTML, text, CSV or JSON)")
    _common(export)
    export.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    export.add_argument("--chat", action="append", default=[], metavar="NAME|ID",
                        help="only this chat (repeatable; a name as shown by 'wechat chats' or its id)")
    export.add_argument("--since", help="only messages from this date on (YYYY-MM-DD)")
    export.add_argument("--format", default="html", choices=["html", "txt", "csv", "json"])
    photos = sub.add_parser("photos", help="save every photo and video, named by chat and date")
    _common(photos)
    photos.add_argument("-o", "--output", type=Path, required=True, help="folder to save into")


@contextlib.contextmanager
def _case(args: argparse.Namespace) -> Iterator[Path]:
    from reclaim.artifacts.wechat.compression import DICT_MAGIC, load_dictionaries
    from reclaim.artifacts.wechat.service import scan_wechat

    for folder in (getattr(args, "output", None), args.case):
        if folder is not None:
            check_output_folder(folder, args.path)
    for item in args.zstd_dict:
        if not item.exists():
            raise ReclaimError("no such zstd dictionary file or folder", item)
        if item.is_file():
            with open(item, "rb") as handle:
                if handle.read(4) != DICT_MAGIC:
                    raise ReclaimError("not a zstd dictionary (its first bytes are not 37 A4 30 EC)", item)
    if args.zstd_dict:
        load_dictionaries(list(args.zstd_dict))
    with contextlib.ExitStack() as stack:
        folder = args.case or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reclaim-wechat-")))
        with open_source_from_args(args) as fs, scan_progress(interactive()) as progress:
            result = scan_wechat(fs, folder, scan_options(args), progress)
        status = next((k for k in result.kinds if k.kind == "wechat"), None)
        if status is not None and not status.live and not status.deleted:
            console.print(f"WeChat: nothing found ({status.reason})", highlight=False)
        yield folder


def run(args: argparse.Namespace) -> int:
    from reclaim.artifacts.wechat import service
    from reclaim.case.store import CaseReader

    with _case(args) as folder, CaseReader(folder) as case:
        if args.wechat_command == "chats":
            chats = service.list_chats(case)
            if args.json:
                json.dump({"accounts": service.accounts(case), "chats": chats}, sys.stdout, ensure_ascii=False,
                          indent=1)
                sys.stdout.write("\n")
                return 0
            _print_chats(service.accounts(case), chats)
            return 0
        if args.wechat_command == "export":
            chat_ids = service.resolve_chats(case, args.chat) if args.chat else None
            files = service.export_wechat(case, args.output, args.format, chat_ids, service.parse_since(args.since))
            console.print(f"Wrote {len(files):,} files to {args.output}", highlight=False)
            return 0
        result = service.save_photos(case, args.output)
        console.print(f"Saved {len(result.written):,} photos and videos to {args.output}"
                      f" ({result.duplicates} duplicates skipped, {result.missing} no longer on the phone"
                      + (f", {result.unsupported} in WeChat's own format not saved" if result.unsupported else "")
                      + ")", highlight=False)
        return 0


def _print_chats(accounts: dict[str, str], chats: list[dict[str, object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console(file=sys.stdout, width=max(100, Console().width), highlight=False)
    for account, name in (accounts or {"": ""}).items():
        mine = [c for c in chats if c["account"] == account] if account else chats
        table = Table(title=f"{name} ({account}): {len(mine)} chats", title_justify="left")
        for column, justify in (("Chat", "left"), ("Type", "left"), ("Messages", "right"), ("Deleted", "right"),
                                ("Files gone", "right"), ("First", "left"), ("Last", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for chat in mine:
            table.add_row(str(chat["chat"]), str(chat["type"]), f"{chat['messages']:,}", str(chat["deleted"] or ""),
                          f"{chat['missing_media']:,}" if chat.get("missing_media") else "",
                          str(chat["first"] or "")[:10], str(chat["last"] or "")[:10])
        out.print(table)
