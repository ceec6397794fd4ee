"""What the web page's server remembers while it runs: one user, one source, one case at a time.

The server is local and single-user: the state lives in memory for the life of the
process. An encrypted backup's password is used once to derive the key and then
dropped; only the derived key is kept (never written anywhere) so re-scanning does
not ask again.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reclaim.case.people import Pictures
from reclaim.case.store import CASE_DB, CaseReader, remove_case
from reclaim.errors import ReclaimError

log = logging.getLogger("reclaim.web")


@dataclass
class KindProgress:
    """One kind's line in the scan's progress list."""

    kind: str
    title: str
    state: str = "waiting"  # waiting | running | done
    count: int = 0


@dataclass
class ScanJob:
    """A scan running in a worker thread; the page follows it through server-sent events."""

    kinds: list[KindProgress]
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "running"  # running | done | cancelled | failed
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    version: int = 0
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        """The job as JSON for the page."""
        with self.lock:
            done = sum(1 for k in self.kinds if k.state == "done")
            return {
                "state": self.state,
                "error": self.error,
                "version": self.version,
                "done": done,
                "total": len(self.kinds),
                "seconds": round(self.seconds or (time.monotonic() - self.started), 1),
                "kinds": [k.__dict__ for k in self.kinds],
            }

    def update(self, kind: str, count: int, phase: str) -> None:
        """The scan's progress callback: (kind, records so far, phase)."""
        with self.lock:
            for item in self.kinds:
                if item.kind == kind:
                    item.count = count
                    item.state = {"start": "running", "progress": "running", "done": "done"}[phase]
            self.version += 1

    def finish(self, state: str, error: str = "") -> None:
        with self.lock:
            self.state = state
            self.error = error
            self.seconds = time.monotonic() - self.started
            self.version += 1


class NotePasswords:
    """Passwords typed for locked notes: kept in memory for the session, never shown, logged or written."""

    def __init__(self) -> None:
        self._values: list[str] = []

    def add(self, password: str) -> None:
        if password and password not in self._values:
            self._values.append(password)

    def values(self) -> list[str]:
        return list(self._values)

    def clear(self) -> None:
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<{len(self._values)} note password(s)>"


class WebSession:
    """The server's state: the security tokens, the opened source, the current case, the outputs."""

    def __init__(self, *, case_dir: Path | None = None, work_dir: Path | None = None,
                 existing_case: Path | None = None) -> None:
        #: The secret in the URL printed at start; exchanged for an HttpOnly cookie.
        self.token = secrets.token_urlsafe(32)
        #: Sent by the page's scripts with every state-changing request.
        self.csrf = secrets.token_urlsafe(32)
        self._own_work = work_dir is None
        self.work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="reclaim-web-"))
        #: Where scans write their case.
        self.scan_dir = Path(case_dir) if case_dir else self.work / "case"
        #: The case being shown: the last scan's, or an existing case opened for browsing
        #: (``existing_case``), which is only read: a scan never writes into or removes it.
        self.case_dir = Path(existing_case) if existing_case else self.scan_dir
        self.existing_case = existing_case is not None
        self.downloads = self.work / "downloads"
        self.source_path: Path | None = None
        self.source_info: dict[str, Any] = {}
        self.derived_key: bytes | None = None
        #: Whether scans also carve deleted records (the slower, deeper scan).
        self.recover_deleted = True
        self.job: ScanJob | None = None
        #: Passwords to try on locked notes in the next scans (see :class:`NotePasswords`).
        self.note_passwords = NotePasswords()
        #: Indicator files added from the page, each ``{"path", "name", "count"}``, and all of them loaded.
        self.indicator_files: list[dict[str, Any]] = []
        self.indicators: Any = None
        #: The links and QR codes check of the current case (:class:`reclaim.web.linkcheck.LinksJob`).
        self.links: Any = None
        self.outputs: list[Path] = []
        self._readers = threading.local()
        self._generation = 0
        self._chat_cache: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self._pictures: dict[tuple[int, str], Pictures] = {}
        self.lock = threading.Lock()

    # -- the source -------------------------------------------------------------------

    def set_source(self, path: Path, info: dict[str, Any], derived_key: bytes | None) -> None:
        """Remember the opened source (a new source forgets the previous key)."""
        with self.lock:
            self.source_path = path
            self.source_info = info
            self.derived_key = derived_key

    # -- the case ---------------------------------------------------------------------

    def has_case(self) -> bool:
        return (self.case_dir / CASE_DB).is_file()

    def reader(self) -> CaseReader:
        """This thread's reader of the current case (SQLite connections are not shared across threads)."""
        if not self.has_case():
            raise ReclaimError("nothing scanned yet: open a backup first")
        current = getattr(self._readers, "value", None)
        if current is not None and current[0] == self._generation:
            return current[1]
        if current is not None:
            with contextlib.suppress(Exception):
                current[1].close()
        reader = CaseReader(self.case_dir)
        self._readers.value = (self._generation, reader)
        return reader

    def case_changed(self) -> None:
        """A new scan replaced the case: readers and caches of the old one are dropped."""
        with self.lock:
            self._generation += 1
            self._chat_cache.clear()
            self._pictures.clear()

    def chats(self, kind: str, compute: Any) -> list[dict[str, Any]]:
        """A kind's chat list, computed once per case (a case never changes once written)."""
        key = (self._generation, kind)
        cached = self._chat_cache.get(key)
        if cached is None:
            cached = compute()
            self._chat_cache[key] = cached
        return cached

    def pictures(self) -> Pictures:
        """The case's profile pictures of people (:meth:`CaseReader.pictures`), read once per case."""
        key = (self._generation, "")
        cached = self._pictures.get(key)
        if cached is None:
            cached = self._pictures[key] = self.reader().pictures()
        return cached

    @property
    def generation(self) -> int:
        """Changes each time the case is replaced (caches keyed on it are dropped)."""
        return self._generation

    def prepare_case_folder(self) -> None:
        """Make room for a new scan in the scan folder (an existing case opened for browsing is left alone)."""
        self.case_changed()
        with self.lock:
            self.case_dir = self.scan_dir
            self.existing_case = False
        if self.scan_dir.exists():
            remove_case(self.scan_dir)

    # -- cleaning up -------------------------------------------------------------------

    def close(self) -> None:
        """Stop a running scan and remove the session's temporary folder."""
        if self.job and self.job.thread and self.job.thread.is_alive():
            self.job.cancel.set()
            self.job.thread.join(timeout=30)
        if self.links is not None:
            self.links.cancel.set()
        self.derived_key = None
        self.note_passwords.clear()
        if self._own_work:
            shutil.rmtree(self.work, ignore_errors=True)
