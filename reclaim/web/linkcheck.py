"""The "Links & QR codes" check for the page: run once per case in a worker thread, kept in memory.

The analysis itself is :func:`reclaim.links.analyse.analyse_case` (it reads only the
case: nothing is fetched, no link is opened); this module runs it in the background
after a scan (or when an existing case is opened), follows its progress, and re-checks
the finished result when the user adds an indicator file, without decoding the
pictures again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reclaim import service
from reclaim.case.store import CaseReader
from reclaim.errors import ReclaimError
from reclaim.web.session import WebSession

log = logging.getLogger("reclaim.web")


class _Stopped(Exception):
    """The case changed or the server is closing: the check's result is no longer wanted."""


@dataclass
class LinksJob:
    """One case's check: its state, progress through the pictures, and the result as JSON items."""

    generation: int
    state: str = "running"  # running | done | failed
    error: str = ""
    done: int = 0
    total: int = 0
    images_checked: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    report: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    def snapshot(self) -> dict[str, Any]:
        """The state for the page (without the items)."""
        with self.lock:
            return {"state": self.state, "error": self.error, "done": self.done, "total": self.total,
                    "images_checked": self.images_checked, "counts": dict(self.counts)}


def ensure_links(session: WebSession) -> LinksJob:
    """The current case's check, started in the background if it has not run for this case yet."""
    with session.lock:
        job = session.links
        if job is not None and job.generation == session.generation:
            return job
        if job is not None:
            job.cancel.set()
        job = LinksJob(generation=session.generation)
        session.links = job
    job.thread = threading.Thread(target=_run, args=(session, job, session.case_dir), name="reclaim-links",
                                  daemon=True)
    job.thread.start()
    return job


def _run(session: WebSession, job: LinksJob, case_dir: Path) -> None:
    from reclaim.links.analyse import analyse_case, rematch
    from reclaim.links.iocs import IndicatorSet

    def progress(done: int, total: int) -> None:
        if job.cancel.is_set():
            raise _Stopped()
        with job.lock:
            job.done, job.total = done, total

    try:
        with CaseReader(case_dir) as case:
            indicators = session.indicators or IndicatorSet()
            report = analyse_case(case, indicators, images=True, progress=progress)
            with job.lock:
                if session.indicators is not None and session.indicators is not indicators:
                    rematch(report, session.indicators)  # a file was added while the pictures were checked
                job.report = report
                job.items = service.link_items(case, report)
                job.counts = report.counts()
                job.images_checked = report.images_checked
                job.state = "done"
    except _Stopped:
        with job.lock:
            job.state, job.error = "failed", "stopped"
    except ReclaimError as exc:
        with job.lock:
            job.state, job.error = "failed", str(exc)
    except Exception as exc:  # shown on the page; the traceback goes to the terminal
        log.exception("the links check failed")
        with job.lock:
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"


def set_indicator_files(session: WebSession, files: list[dict[str, Any]]) -> None:
    """Use these indicator files from now on, and re-check a finished result against them."""
    from reclaim.links.analyse import rematch
    from reclaim.links.iocs import load_indicators

    indicators = load_indicators([Path(f["path"]) for f in files])
    job = session.links
    lock = job.lock if job is not None else threading.Lock()
    with lock:
        session.indicator_files = files
        session.indicators = indicators
        if job is not None and job.state == "done" and job.report is not None:
            rematch(job.report, indicators)
            job.items = service.link_items(session.reader(), job.report)
            job.counts = job.report.counts()


def page(job: LinksJob, *, only_dangerous: bool, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the check's items (most serious first) and how many there are in all."""
    with job.lock:
        items = job.items
    if only_dangerous:
        items = [i for i in items if i["severity"] in service.DANGEROUS]
    return items[offset:offset + limit], len(items)
