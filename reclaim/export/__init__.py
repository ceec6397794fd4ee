"""Exporters: turn a case into files people can open.

``export_case`` is the one service the CLI (``reclaim recover``/``export``) and the
web page ("Recover to computer") call. It writes, under the output folder:

* ``index.html`` and per-kind pages (:mod:`reclaim.export.html`), with the media they show;
* ``json/<kind>.jsonl`` (:mod:`reclaim.export.jsonl`) and ``csv/<kind>.csv`` (:mod:`reclaim.export.csv_generic`);
* each kind's natural format (vCard, ICS, transcripts, notes, photos, ...) from every module in
  this package that declares ``FORMAT``, ``KINDS`` and ``export(case, kind, out)``;
* ``links/`` with every link and QR code and what is known against it (:mod:`reclaim.links`);
* ``manifest.sha256`` listing every file with its SHA-256.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from reclaim.case.store import MEDIA_DIR, CaseReader
from reclaim.errors import ReclaimError
from reclaim.output import write_manifest

#: Formats every kind gets, handled here rather than by a natural-format module.
CORE_FORMATS = ("html", "json", "csv", "links")

#: Called with (kind, format) as each part is written.
ExportProgress = Callable[[str, str], None]


@dataclass
class Selection:
    """A subset of a case chosen by the user: record ids and/or whole chats, per kind."""

    rids: dict[str, set[int]] = field(default_factory=dict)
    chats: dict[str, set[str]] = field(default_factory=dict)

    def kinds(self) -> set[str]:
        return set(self.rids) | set(self.chats)

    def allows(self, kind: str, record: dict[str, Any]) -> bool:
        if record.get("_rid") in self.rids.get(kind, ()):
            return True
        chat = record.get("chat_id") or record.get("chat")
        return chat is not None and chat in self.chats.get(kind, ())


class SelectedCase:
    """A case seen through a :class:`Selection`: exporters read it exactly like a :class:`CaseReader`."""

    def __init__(self, case: CaseReader, selection: Selection) -> None:
        self._case = case
        self._selection = selection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)

    def records(self, kind: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        for record in self._case.records(kind, **filters):
            if self._selection.allows(record["kind"], record):
                yield record

    def records_json(self, kind: str | None = None, **filters: Any) -> Iterator[tuple[str, int]]:
        """The chosen records' stored JSON text and rid (what :meth:`CaseReader.records_json` gives)."""
        for record in self.records(kind, **filters):
            rid = record.pop("_rid")
            yield orjson.dumps(record).decode("utf-8"), rid

    def count(self, kind: str | None = None, **filters: Any) -> int:
        return sum(1 for _ in self.records(kind, **filters))

    def chats(self, kind: str) -> list[dict[str, Any]]:
        wanted = self._selection.chats.get(kind, set())
        rids = self._selection.rids.get(kind, set())
        chats = self._case.chats(kind)
        if rids:
            return chats  # individual messages chosen: any chat may hold one
        return [c for c in chats if c["chat_id"] in wanted]

    def kinds(self) -> list[dict[str, Any]]:
        chosen = self._selection.kinds()
        return [k for k in self._case.kinds() if k["kind"] in chosen]


@cache
def natural_exporters() -> dict[str, ModuleType]:
    """Natural-format exporter modules by format name (vcard, ics, txt, ...)."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "FORMAT") and hasattr(module, "KINDS") and hasattr(module, "export"):
            found[module.FORMAT] = module
    return found


def known_formats() -> list[str]:
    """Every format name ``--format`` accepts."""
    return [*CORE_FORMATS, *natural_exporters()]


@dataclass
class ExportResult:
    """What an export wrote."""

    out: Path
    files: list[Path] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    #: What the user should know about what could not be written (media gone from the case's folder).
    warnings: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path | None:
        page = self.out / "index.html"
        return page if page.exists() else None


def export_case(
    case: CaseReader | Path,
    out: Path,
    *,
    kinds: list[str] | None = None,
    formats: list[str] | None = None,
    selection: Selection | None = None,
    progress: ExportProgress | None = None,
    iocs: list[Path] | None = None,
) -> ExportResult:
    """Write a case (or a selection of it) to ``out`` in the chosen formats (default: all).

    ``iocs`` are indicator files (STIX 2 bundles or plain lists) the links check matches against. A case given
    by its folder is opened, and closed again, here.
    """
    if not isinstance(case, Path):
        return _export(case, out, kinds, formats, selection, progress, iocs)
    with CaseReader(case) as reader:
        return _export(reader, out, kinds, formats, selection, progress, iocs)


def _export(reader: CaseReader, out: Path, kinds: list[str] | None, formats: list[str] | None,
            selection: Selection | None, progress: ExportProgress | None, iocs: list[Path] | None) -> ExportResult:
    view: CaseReader | SelectedCase = SelectedCase(reader, selection) if selection else reader
    known = known_formats()
    wanted = formats or known
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ReclaimError(f"unknown format(s): {', '.join(unknown)} (known: {', '.join(known)})")
    present = [k["kind"] for k in view.kinds()]
    if kinds:
        missing = [k for k in kinds if k not in present]
        if missing:
            raise ReclaimError(f"kind(s) not in this case: {', '.join(missing)} (present: {', '.join(present)})")
        present = [k for k in present if k in kinds]
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out=out, kinds=present)
    if "html" in wanted or "media" in wanted:
        missing, total = reader.missing_media()
        if missing:
            result.warnings.append(f"{missing:,} of the case's {total:,} media files are gone from "
                                   f"{reader.folder / MEDIA_DIR} (moved or deleted since the scan?): the report "
                                   "marks them missing and they are not copied")

    # The report (and the links it shows) is written by a second process meanwhile when there is other
    # work to do: a whole case's export then takes as long as the longer of the two, not their sum.
    report = None
    if "html" in wanted and selection is None and set(wanted) - {"html", "links"}:
        from reclaim.export.report_process import ReportProcess  # not at the top: the child runs it as __main__

        report = ReportProcess.start(reader.folder, out, present, "links" in wanted, iocs or [])
        if report is not None:
            _note(progress, "report", "html")
    try:
        _formats(view, present, wanted, out, result, progress)
        if report is not None:
            result.files += report.wait()
            report = None
        else:
            result.files += report_and_links(view, out, present, html="html" in wanted, links="links" in wanted,
                                             iocs=iocs or [], progress=progress)
    finally:
        if report is not None:  # stopped by an error or an interruption here
            report.stop()
    write_manifest(out)
    return result


def report_and_links(view: CaseReader | SelectedCase, out: Path, kinds: list[str], *, html: bool, links: bool,
                     iocs: list[Path], progress: ExportProgress | None = None) -> list[Path]:
    """The links (checked against the indicator files ``iocs``) and the HTML report of ``kinds``, as far as they
    are wanted, written in this process; the files written."""
    from reclaim.export import html as report

    files: list[Path] = []
    found = None
    if links:
        from reclaim.links.analyse import analyse_case
        from reclaim.links.export import write_data
        from reclaim.links.iocs import load_indicators

        _note(progress, "links", "links")
        found = analyse_case(view, load_indicators(iocs))
        files += write_data(found, out / "links")
    if html:
        _note(progress, "report", "html")
        files += report.export_report(view, out, kinds=kinds, links=found)
    return files


def _formats(view: CaseReader | SelectedCase, present: list[str], wanted: list[str], out: Path,
             result: ExportResult, progress: ExportProgress | None) -> None:
    """Every format but the report and links: JSON Lines, CSV and each kind's natural formats."""
    from reclaim.export import csv_generic, jsonl

    for kind in present:
        if "json" in wanted:
            _note(progress, kind, "json")
            result.files += jsonl.export(view, kind, out / "json")
        if "csv" in wanted:
            _note(progress, kind, "csv")
            result.files += csv_generic.export(view, kind, out / "csv")
        for fmt, module in natural_exporters().items():
            if fmt in wanted and kind in module.KINDS:
                _note(progress, kind, fmt)
                result.files += module.export(view, kind, out / kind)


def _note(progress: ExportProgress | None, kind: str, fmt: str) -> None:
    if progress is not None:
        progress(kind, fmt)
