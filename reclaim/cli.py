"""The ``reclaim`` command line: one sub-command per module in :mod:`reclaim.commands`.

Every command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Errors derived from :class:`reclaim.errors.ReclaimError`
are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from reclaim import __version__
from reclaim.errors import ReclaimError, os_error_line

#: Command modules, in the order ``reclaim --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "recover",
    "scan",
    "export",
    "show",
    "info",
    "files",
    "extract",
    "backups",
    "sample",
    "devices",
    "backup-device",
    "device-photos",
    "icloud",
    "carve",
    "links",
    "wechat",
    "serve",
)


def _load_commands() -> list[ModuleType]:
    modules = []
    for name in COMMANDS:
        module = f"reclaim.commands.{name.replace('-', '_')}"
        try:
            modules.append(importlib.import_module(module))
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="reclaim",
        description="Take your data back from an iPhone: backups, deleted records, WeChat and more.",
    )
    parser.add_argument("--version", action="version", version=f"reclaim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _load_commands():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reclaim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        if sys.stdin.isatty() and sys.stdout.isatty() and "serve" in COMMANDS:
            try:
                return main(["serve"])
            except SystemExit as exc:  # serve not available: show help instead
                return int(exc.code or 0)
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except ReclaimError as exc:
        print(f"reclaim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reclaim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the system refused a read or write (no space left, a read-only disk, no permission)
        print(f"reclaim: error: {os_error_line(exc, getattr(args, 'output', None))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
