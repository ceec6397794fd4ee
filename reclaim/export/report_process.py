"""The HTML report (and the links it shows), written by a child process while the caller writes the other
formats: ``python -m reclaim.export.report_process CASE OUT --kinds K,K [--links [IOC ...]]``.

It prints the files it wrote as a JSON list on its standard output, or one line saying what went
wrong on its standard error (exit status 1).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from pathlib import Path

from reclaim import child
from reclaim.errors import ReclaimError, disk_full_error, is_disk_full


class ReportProcess:
    """The child process writing the report; :meth:`wait` gives the files it wrote."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def start(cls, case: Path, out: Path, kinds: list[str], links: bool, iocs: list[Path]) -> ReportProcess | None:
        """Start writing the report of ``kinds`` of the case folder ``case`` into ``out`` (``links``: the links
        page too, checked against the indicator files ``iocs``); ``None`` when no child can be started."""
        if not child.can_start():
            return None
        args = [str(case), str(out), "--kinds", ",".join(kinds)]
        if links:
            args += ["--links", *map(str, iocs)]
        try:
            return cls(child.start_group(__spec__.name, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        except OSError:
            return None

    def wait(self) -> list[Path]:
        """The files written, once the report is done; a :class:`ReclaimError` saying why it could not be."""
        output, errors = self._process.communicate()
        if self._process.returncode != 0:
            lines = errors.decode("utf-8", "replace").strip().splitlines()
            why = lines[-1] if lines else f"exit status {self._process.returncode}"
            raise ReclaimError(f"the HTML report could not be written: {why}")
        return [Path(p) for p in json.loads(output)]

    def stop(self) -> None:
        """Stop writing (an error or an interruption in the caller), with the workers it started to decode
        QR codes: they hold its output pipes, so reading those to their end would wait for them forever."""
        child.kill_group(self._process)
        for pipe in (self._process.stdout, self._process.stderr):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()  # type: ignore[union-attr]


def write_report(case: Path, out: Path, kinds: list[str], links: bool, iocs: list[Path]) -> list[Path]:
    """The links (when asked for) and the HTML report of ``kinds`` of the case, into ``out``."""
    from reclaim.case.store import CaseReader
    from reclaim.export import report_and_links

    with CaseReader(case) as reader:
        return report_and_links(reader, out, kinds, html=True, links=links, iocs=iocs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="reclaim.export.report_process")
    parser.add_argument("case", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--kinds", default="")
    parser.add_argument("--links", nargs="*", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        files = write_report(args.case, args.out, [k for k in args.kinds.split(",") if k],
                             args.links is not None, args.links or [])
    except Exception as exc:  # the caller reports it in one line
        why = disk_full_error(args.out) if is_disk_full(exc) else f"{type(exc).__name__}: {exc}"
        print(str(why).replace("\n", " "), file=sys.stderr)
        return 1
    json.dump([str(p) for p in files], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
