"""``reclaim info PATH [--json]``: what a backup or extraction is (device, iOS, date, apps)."""

from __future__ import annotations

import argparse
import json
import sys

from reclaim.commands.backups import model_label
from reclaim.sources.cli_support import add_source_arguments, open_source_from_args

NAME = "info"
HELP = "show the device, iOS version, date, encryption, file count and apps of a backup"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    with open_source_from_args(args) as source:
        info = source.info
        count = info.extra.get("file_count")
        if count is None:
            count = sum(1 for _ in source.files())
        data = {
            "name": source.name,
            "location": str(source.location) if source.location else None,
            "kind": info.kind,
            "device_name": info.device_name,
            "product_type": info.product_type,
            "product_name": info.extra.get("product_name"),
            "product_version": info.product_version,
            "build_version": info.build_version,
            "serial_number": info.serial_number,
            "udid": info.udid,
            "phone_number": info.phone_number,
            "imei": info.imei,
            "backup_date": info.backup_date,
            "encrypted": info.encrypted,
            "file_count": count,
            "apps": info.apps,
            "warnings": info.warnings,
        }
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    build = f"({data['build_version']})" if data["build_version"] else None
    ios = " ".join(str(x) for x in (data["product_version"], build) if x)
    labels = [
        ("Source", f"{data['name']} ({data['kind']})"),
        ("Device", data["device_name"]),
        ("Model", model_label(data["product_name"], data["product_type"])),
        ("iOS", ios),
        ("Serial", data["serial_number"]),
        ("UDID", data["udid"]),
        ("Phone", data["phone_number"]),
        ("Backup date", data["backup_date"]),
        ("Encrypted", "yes" if data["encrypted"] else "no"),
        ("Files", f"{count:,}"),
        ("Apps", f"{len(data['apps'])}: " + ", ".join(data["apps"]) if data["apps"] else "none listed"),
    ]
    for label, value in labels:
        if value:
            print(f"{label + ':':<13}{value}")
    for warning in data["warnings"]:
        print(f"{'Warning:':<13}{warning}")
    return 0
