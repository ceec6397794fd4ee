"""``reclaim recover [PATH] -o OUT``: the main job: scan a backup and export everything into a report."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from reclaim import __version__
from reclaim.commands._common import add_scan_options, console, interactive, split_list
from reclaim.commands.backup_device import add_backup_options, add_connection_arguments, backup_for_recover
from reclaim.commands.scan import run_scan, summarize
from reclaim.export import export_case, known_formats
from reclaim.output import check_output_folder
from reclaim.sources.cli_support import add_source_arguments

NAME = "recover"
HELP = "recover everything from a backup into a browsable report (uses the sample backup when no PATH is given)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser, required=False)
    parser.add_argument("-o", "--output", type=Path, default=Path("reclaim-report"),
                        help="output folder (default: ./reclaim-report)")
    add_scan_options(parser)
    parser.add_argument("--format", dest="formats", help=f"comma-separated formats ({', '.join(known_formats())})")
    parser.add_argument("--iocs", type=Path, nargs="+", default=[], metavar="FILE",
                        help="indicator files (STIX 2 bundles or lists of domains/URLs) for the links check")
    parser.add_argument("--device", action="store_true",
                        help="back up the connected iPhone first (into OUT/device-backup), then recover from it")
    add_connection_arguments(parser)
    add_backup_options(parser)


def sample_backup() -> Path:
    """The bundled sample backup, generated once per version of its generator into the user's cache folder.

    The folder name carries a digest of the generator's own source, so a changed sample (a new kind,
    more messages) is rebuilt instead of an old one being shown; older copies are removed. The backup
    is built beside its final name and renamed into place, so an interrupted build is never reused.
    """
    from reclaim.sample import build_sample

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reclaim"
    target = cache / f"sample-backup-{__version__}-{sample_fingerprint()}"
    if not (target / "Manifest.db").exists():
        console.print("No backup given: making the sample backup first (reclaim sample) …", highlight=False)
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".sample-", dir=cache))
        try:
            build_sample(scratch / "backup")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(scratch / "backup", target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for old in cache.glob("sample-backup-*"):
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return target


def sample_fingerprint() -> str:
    """A short digest of the sample generator's source files (what decides the sample's content)."""
    import reclaim.sample

    root = Path(reclaim.sample.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def run(args: argparse.Namespace) -> int:
    check_output_folder(args.output)
    if args.device:
        args.path = str(backup_for_recover(args, args.output / "device-backup"))
    if not args.path:
        args.path = str(sample_backup())
        console.print(f"Using the sample backup at {args.path}", highlight=False)
    check_output_folder(args.output, args.path)
    out: Path = args.output
    case = out / "case"
    result = run_scan(args, case)
    summarize(result)
    formats = split_list(args.formats)
    export = export_case(case, out, kinds=split_list(args.kinds), formats=formats, iocs=args.iocs,
                         progress=(lambda k, f: console.print(f"  writing {k} ({f})", highlight=False))
                         if interactive() else None)
    console.print(f"Recovered {result.records:,} records in {result.seconds:.1f} s.", highlight=False)
    if export.index:
        console.print(f"Open {export.index.resolve()} in your browser.", highlight=False)
    return 0
