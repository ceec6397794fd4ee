"""Opening the chosen source and running its scan in a worker thread the page can follow and cancel."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reclaim.case.context import ScanCancelled, ScanOptions
from reclaim.errors import ReclaimError
from reclaim.web.session import KindProgress, ScanJob, WebSession

log = logging.getLogger("reclaim.web")


def _open(path: Path, *, password: str | None = None, derived_key: bytes | None = None) -> Any:
    from reclaim.sources.detect import open_source

    return open_source(path, password=password, derived_key=derived_key)


def open_source_checked(session: WebSession, path: str, password: str | None) -> dict[str, Any]:
    """Open a source once to check it (and unlock it); remember its path, device and derived key.

    The password is only handed to the key derivation; what is kept is the derived
    key, in memory, for this session.
    """
    location = Path(path).expanduser()
    if not location.is_absolute():
        raise ReclaimError("type the full path of the backup (for example /home/you/Backup/0000…)")
    same = session.source_path == location.resolve() and session.derived_key is not None
    fs = _open(location, password=password, derived_key=session.derived_key if same else None)
    try:
        info = asdict(fs.info)
        extra = info.pop("extra", None) or {}
        info["product_name"] = extra.get("product_name")  # "iPhone 13" beside the identifier
        info["name"] = fs.name
        key = getattr(fs, "derived_key", None)
    finally:
        fs.close()
    session.set_source(location.resolve(), info, key if isinstance(key, bytes) else None)
    return info


def _kinds() -> list[KindProgress]:
    from reclaim.artifacts import select

    return [KindProgress(cls.kind, cls.title) for cls in select(None)]


def start_scan(session: WebSession) -> ScanJob:
    """Scan the session's source into its case folder in a worker thread."""
    assert session.source_path is not None
    job = ScanJob(kinds=_kinds())
    session.prepare_case_folder()
    session.job = job
    path, key = session.source_path, session.derived_key

    def progress(kind: str, count: int, phase: str) -> None:
        # Raising here stops the scan between kinds too, not only every 500 records.
        if job.cancel.is_set():
            raise ScanCancelled()
        job.update(kind, count, phase)

    def work() -> None:
        from reclaim.case.scan import scan

        try:
            options = ScanOptions(recover_deleted=session.recover_deleted,
                                  note_passwords=session.note_passwords.values())
            with _open(path, derived_key=key) as fs:
                scan(fs, session.case_dir, options=options, progress=progress, cancel=job.cancel)
        except ScanCancelled:
            job.finish("cancelled")
        except ReclaimError as exc:
            job.finish("failed", str(exc))
        except Exception as exc:  # shown on the page; the traceback goes to the terminal
            log.exception("scan failed")
            job.finish("failed", f"{type(exc).__name__}: {exc}")
        else:
            session.case_changed()
            warm_up(session)
            job.finish("done")

    job.thread = threading.Thread(target=work, name="reclaim-scan", daemon=True)
    job.thread.start()
    return job


def warm_chat_lists(session: WebSession) -> None:
    """Compute the conversation lists of the chat kinds now, so the first click on one is instant.

    (A ``GROUP BY`` over a million messages takes seconds; it runs once, while the page
    still shows the scan.)
    """
    from reclaim import service

    case = session.reader()
    for kind in case.kinds():
        if kind["view"] == "chat" and kind["live"] + kind["deleted"]:
            session.chats(kind["kind"], lambda k=kind["kind"]: service.chat_summaries(case, k))


def warm_up(session: WebSession) -> None:
    """Start the links check in the background and compute the chat lists (a new case is ready)."""
    from reclaim.web.linkcheck import ensure_links

    ensure_links(session)
    warm_chat_lists(session)
