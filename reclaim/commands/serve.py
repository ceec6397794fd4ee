"""``reclaim serve [PATH]``: the local web page to choose a backup, scan it, browse, search and recover."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "serve"
HELP = "open reclaim's page in your browser: pick a backup, see everything in it, recover what you choose"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?",
                        help="a backup, extraction or database to open right away, or a case folder to browse")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--no-browser", action="store_true", help="print the link but do not open a browser")
    parser.add_argument("--case", type=Path, help="keep the scan's case in this folder (default: a temporary one)")


def run(args: argparse.Namespace) -> int:
    from reclaim.errors import NotASource
    from reclaim.output import check_output_folder
    from reclaim.web.server import serve

    # Checked before the server starts: a typo must not open a page that can only show an error.
    if args.path and not Path(args.path).expanduser().exists():
        raise NotASource("no such file or folder", args.path)
    if args.case is not None:
        check_output_folder(args.case)

    return serve(args.path, port=args.port, open_browser=not args.no_browser, case_dir=args.case)
