"""The scan: run every selected artifact over a source and write one case."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from reclaim.artifacts import select
from reclaim.artifacts.base import Artifact, KindStatus, NothingFound, ShapedRows
from reclaim.case.context import DatabaseCopies, ScanCancelled, ScanContext, ScanOptions
from reclaim.case.kinds_process import KindsProcess, split_work
from reclaim.case.store import CaseWriter, RecordQueue
from reclaim.errors import ReclaimError, disk_full_error, is_bad_text, is_corruption, is_disk_full
from reclaim.vfs import VirtualFS

log = logging.getLogger("reclaim.scan")

#: Called with (kind, records so far, phase) where phase is "start", "progress" or "done".
ProgressCallback = Callable[[str, int, str], None]


@dataclass
class ScanResult:
    """What a scan produced: the case folder and each kind's counts."""

    case: Path
    kinds: list[KindStatus] = field(default_factory=list)
    seconds: float = 0.0
    #: What is wrong with the source as a whole (from :attr:`~reclaim.vfs.SourceInfo.warnings`).
    warnings: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(k.live + k.deleted for k in self.kinds)


def scan(
    fs: VirtualFS,
    case: Path,
    *,
    kinds: list[str] | None = None,
    options: ScanOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Extract every selected kind from ``fs`` into a new case folder.

    A kind that finds nothing is recorded with its reason; a kind that fails is
    recorded with the error and the others go on. The case database appears
    only when the scan completes.
    """
    options = options or ScanOptions()
    started = time.monotonic()
    writer = CaseWriter(case)
    copies = DatabaseCopies()
    result = ScanResult(case=case)
    helper: KindsProcess | None = None
    try:
        info = fs.info
        writer.set_source(info, fs.name, str(fs.location) if fs.location else None)
        result.warnings = list(info.warnings)
        groups = _by_record_kind(select(kinds))
        here, there = split_work(fs, groups)
        helper = KindsProcess.start(fs, case, there, options) if there else None
        if helper is None:
            here, there = groups, []
        report = helper.relay(progress) if helper is not None and progress else progress
        statuses = {kind: run_kind(fs, writer, copies, options, kind, group, report, cancel) for kind, group in here}
        if helper is not None:
            done = helper.wait(report, cancel)
            if done is None:  # it failed (it said why in the log): its kinds are extracted here
                statuses |= {kind: run_kind(fs, writer, copies, options, kind, group, report, cancel)
                             for kind, group in there}
            else:
                writer.merge(helper.part, done.shapes, done.media)
                statuses |= {status.kind: status for status in done.statuses}
        late = [w for w in fs.damage_found() if w not in result.warnings]
        if late:  # damage met while the kinds read the source: the report's first page says so too
            result.warnings += late
            writer.set_source(replace(info, warnings=result.warnings), fs.name,
                              str(fs.location) if fs.location else None)
        for kind, group in groups:  # in the order of the kinds, wherever each was extracted
            lead = _lead(kind, group)
            writer.set_status(statuses[kind], lead.view, lead.formats)
            result.kinds.append(statuses[kind])
        result.seconds = time.monotonic() - started
        writer.set_meta("scan", {"seconds": round(result.seconds, 3), "kinds": kinds or "default"})
        writer.close()
    except BaseException as exc:
        if helper is not None:
            helper.stop()
        writer.abort()
        if is_disk_full(exc):
            raise disk_full_error(case) from None
        raise
    finally:
        copies.close()
    return result


def run_kind(fs: VirtualFS, writer: RecordQueue, copies: DatabaseCopies, options: ScanOptions, kind: str,
             group: list[type[Artifact]], progress: ProgressCallback | None,
             cancel: threading.Event | None) -> KindStatus:
    """Extract one kind of records (every artifact yielding it) into ``writer``; what it found, or why nothing."""
    lead = _lead(kind, group)
    status = KindStatus(kind=kind, title=lead.title)
    reasons = []
    if progress:
        progress(kind, 0, "start")
    for cls in group:
        ctx = ScanContext(
            fs,
            writer.media,
            options,
            kind=kind,
            cancel=cancel,
            shapes=writer.add_shape,
            copies=copies,
            on_progress=(lambda n, k=kind, base=status.live + status.deleted: progress(k, base + n, "progress"))
            if progress
            else None,
        )
        part = KindStatus(kind=kind, title=cls.title)
        _run_artifact(cls(), ctx, writer, part)
        status.live += part.live
        status.deleted += part.deleted
        status.warnings += ctx.warnings
        if part.reason and cls is lead:
            reasons.insert(0, part.reason)
        elif part.reason and part.reason.startswith("stopped early"):
            reasons.append(f"{cls.title}: {part.reason}")
    if status.live + status.deleted == 0 or any(r.startswith("stopped early") for r in reasons):
        status.reason = "; ".join(reasons)
    if progress:
        progress(kind, status.live + status.deleted, "done")
    return status


def _lead(kind: str, group: list[type[Artifact]]) -> type[Artifact]:
    """The artifact whose title, view and formats a kind takes (the one named like it)."""
    return next((cls for cls in group if cls.kind == kind), group[0])


def _by_record_kind(artifacts: list[type[Artifact]]) -> list[tuple[str, list[type[Artifact]]]]:
    """Artifacts grouped by the kind of record they yield (a backup's and an iCloud export's contacts
    are one kind), in the order each kind first appears."""
    groups: dict[str, list[type[Artifact]]] = {}
    for cls in artifacts:
        groups.setdefault(cls.record.KIND or cls.kind, []).append(cls)
    return list(groups.items())


def _run_artifact(artifact: Artifact, ctx: ScanContext, writer: RecordQueue, status: KindStatus) -> None:
    try:
        artifact.check(ctx)
    except NothingFound as exc:
        status.reason = str(exc)
        return
    mark = writer.mark()
    try:
        _extract(artifact, ctx, writer, status)
    except (sqlite3.DatabaseError, UnicodeDecodeError):  # a damaged database stopped it (nothing else comes out)
        # What it stored goes, and it starts again, each damaged database read from a repaired copy (text that
        # is not UTF-8 read with the bad bytes replaced).
        writer.rollback(mark)
        ctx.repair = True
        ctx.warnings.clear()
        _extract(artifact, ctx, writer, status)
    if not status.reason and status.live + status.deleted == 0:
        status.reason = "its files are here but hold no records"


def _extract(artifact: Artifact, ctx: ScanContext, writer: RecordQueue, status: KindStatus) -> None:
    """Store what the artifact yields, counting it into ``status``; a failure is its reason (a damaged
    database's, the caller's to handle)."""
    total = deleted = 0
    add, tick = writer.add, ctx.tick
    try:
        for record in artifact.extract(ctx):
            add(record)
            if type(record) is ShapedRows:
                total += len(record.rows)
                tick(total)
                continue
            total += 1
            if record.deleted:
                deleted += 1
            if total % 500 == 0:
                tick(total)
    except ScanCancelled:
        raise
    except ReclaimError as exc:  # (after some records, what came after them is lost: said, not silently)
        status.reason = f"stopped early: {exc}" if total else str(exc)
    except Exception as exc:  # one kind's bug must not cost the user every other kind
        if is_disk_full(exc):  # (but a full disk would cost every one of them: the scan stops)
            raise
        if (is_corruption(exc) or is_bad_text(exc)) and not ctx.repair:
            raise  # (to be extracted again from repaired copies)
        _stopped(artifact, status, exc)
    finally:
        status.live, status.deleted = total - deleted, deleted


def _stopped(artifact: Artifact, status: KindStatus, exc: BaseException) -> None:
    """An artifact stopped by an error: the kind says so, the log has the details."""
    status.reason = f"stopped early: {type(exc).__name__}: {exc}"
    log.error("%s failed:\n%s", artifact.kind, "".join(traceback.format_exception(exc)))
