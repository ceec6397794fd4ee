"""``reclaim devices``: the iPhones connected to this computer."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from reclaim.commands._common import console
from reclaim.sources.device import Connection, list_devices

NAME = "devices"
HELP = "list connected iPhones: name, model, iOS version, UDID, trusted or not, backup encryption"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    devices = list_devices(Connection())
    if args.json:
        print(json.dumps([d.to_json() for d in devices], indent=2))
        return 0
    if not devices:
        console.print("No iPhone connected. Connect one with a USB cable and unlock it.", highlight=False)
        return 1
    table = Table("Name", "Model", "iOS", "UDID", "Connection", "Trusted", "Backup encryption")
    for d in devices:
        encryption = "unknown" if d.encrypted is None else "on" if d.encrypted else "off"
        table.add_row(d.name or "?", d.model or d.product_type or "?", d.ios or "?", d.udid, d.connection,
                      "yes" if d.trusted else "no", encryption)
    console.print(table)
    for d in devices:
        if d.problem:
            console.print(f"{d.udid}: {d.problem}", highlight=False)
    return 0
