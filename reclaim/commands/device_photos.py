"""``reclaim device-photos [--udid U] -o DIR``: copy the camera roll of a connected iPhone, without a backup."""

from __future__ import annotations

import argparse
from pathlib import Path

from reclaim.commands._common import console
from reclaim.commands.backup_device import add_connection_arguments, connection_from_args, transfer_progress
from reclaim.sources.device import copy_photos, describe_size

NAME = "device-photos"
HELP = "copy the photos and videos of a connected iPhone (DCIM and the Photos library) into a folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="folder to copy into (run again to fetch only what is new or was cut short)")
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    with transfer_progress("photos") as progress:
        result = copy_photos(None, args.output, progress, conn=connection_from_args(args))  # type: ignore[arg-type]
    console.print(f"Copied {result.copied:,} files ({describe_size(result.bytes)}); {result.skipped:,} were already "
                  f"there. Photos are in {result.folder / 'DCIM'}", highlight=False)
    console.print(f"Albums, dates and deleted photos: reclaim recover {args.output} -o reclaim-report", highlight=False)
    return 0
