"""``reclaim sample DIR [--encrypted]``: write the realistic sample backup.

An encrypted sample's password comes from ``--password-file``, ``RECLAIM_PASSWORD`` or a
prompt; with none of them (non-interactive) it is ``reclaim``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reclaim.crypto.password import get_password
from reclaim.errors import PasswordRequired, ReclaimError
from reclaim.sample import SAMPLE_PASSWORD, build_sample

NAME = "sample"
HELP = "write a realistic sample backup (add --encrypted for an encrypted one, default password 'reclaim')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", type=Path, metavar="DIR", help="folder to create (must be new or empty)")
    parser.add_argument("--encrypted", action="store_true", help="encrypt it like an iTunes/Finder backup")
    parser.add_argument("--password-file", type=Path, metavar="FILE", help="file whose first line is the password")
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    target: Path = args.target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ReclaimError("already exists and is not an empty folder", target)
    password = None
    if args.encrypted:
        try:
            password = get_password(
                target.name,
                password_file=args.password_file,
                prompt="Password for the sample backup (empty: 'reclaim'): ",
            )
        except PasswordRequired:
            password = SAMPLE_PASSWORD
            print(f"reclaim: no password given: the sample's password is '{SAMPLE_PASSWORD}'", file=sys.stderr)
    build_sample(target, encrypted=args.encrypted, password=password, seed=args.seed)
    kind = "an encrypted sample backup" if args.encrypted else "a sample backup"
    print(f"Wrote {kind} to {target}", file=sys.stderr)
    return 0
