"""Some kinds of data extracted by a second process while the scan's own process extracts the others.

A phone's kinds are independent of one another (each reads its own databases), and their extractors
are Python: one process keeps one CPU busy. When the source can be opened again in another process
(:meth:`~reclaim.vfs.VirtualFS.reopener`: a backup, a folder; not a device) and there is enough work for
two, :func:`split_work` divides the kinds in two by the size of the databases they read, and a child
(``python -m reclaim.case.kinds_process``, started through :mod:`reclaim.child`) extracts its share into a
file of the case's layout (:class:`~reclaim.case.store.PartWriter`) and the case's media folder. The scan
appends that file's records after its own (:meth:`~reclaim.case.store.CaseWriter.merge`), so records stay
grouped by kind and numbered the same way from one run to the next.

The job (the source's reopener, which may hold an encrypted backup's derived key, and the scan options,
which may hold note passwords) travels through the child's standard input, never its command line.
Progress, log lines and the outcome come back on a private pipe, length-prefixed pickles. If the child
fails, the scan extracts its kinds itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reclaim import child
from reclaim.artifacts.base import Artifact, KindStatus
from reclaim.case.context import ScanCancelled, ScanOptions
from reclaim.vfs import Entry, VirtualFS

log = logging.getLogger("reclaim.scan")

#: The second process is worth starting (a fresh interpreter importing reclaim: about half a second of CPU)
#: only when the databases its kinds read add up to this much.
MIN_BYTES = 16 << 20
#: The case part the child writes, in the case folder.
PART = "case.db.kinds"

Group = tuple[str, list[type[Artifact]]]
Progress = Callable[[str, int, str], None]


@dataclass
class Finished:
    """What the child extracted: each kind's status, how many shapes its records use, the media it stored."""

    statuses: list[KindStatus]
    shapes: int
    media: dict[str, tuple[int, str, str]]


def split_work(fs: VirtualFS, groups: list[Group]) -> tuple[list[Group], list[Group]]:
    """The kinds this process extracts and those a second one may, both in their original order.

    Kinds whose artifacts come from one module (WeChat's, WhatsApp's) stay together: they share databases.
    The biggest share stays here; the others go to the lighter side, biggest first. The second share is
    empty when it would read less than :data:`MIN_BYTES` (its cost: the size of the files its artifacts read,
    see :func:`_cost`), or on a single CPU.
    """
    if _cpus() < 2:  # the staging process has the other one already
        return groups, []
    clusters = _clusters(groups)
    costs = [_cost(fs, cluster) for cluster in clusters]
    here: list[int] = []
    there: list[int] = []
    loads = [0, 0]
    for index in sorted(range(len(clusters)), key=lambda i: -costs[i]):
        side = 0 if not here or loads[0] <= loads[1] else 1
        (here if side == 0 else there).append(index)
        loads[side] += costs[index]
    if loads[1] < MIN_BYTES:
        return groups, []
    chosen = {kind for index in there for kind, _ in clusters[index]}
    return [g for g in groups if g[0] not in chosen], [g for g in groups if g[0] in chosen]


def _cpus() -> int:
    """The CPUs this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _clusters(groups: list[Group]) -> list[list[Group]]:
    """The groups joined when an artifact module contributes to more than one of them."""
    clusters: list[tuple[set[str], list[Group]]] = []
    for group in groups:
        modules = {_module(cls) for cls in group[1]}
        joined = [c for c in clusters if c[0] & modules]
        for cluster in joined:
            clusters.remove(cluster)
            modules |= cluster[0]
        clusters.append((modules, [g for c in joined for g in c[1]] + [group]))
    return [members for _, members in clusters]


def _module(cls: type[Artifact]) -> str:
    """The module an artifact comes from (a package such as WeChat's counts as one)."""
    parts = cls.__module__.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["reclaim", "artifacts"] else cls.__module__


def _cost(fs: VirtualFS, cluster: list[Group]) -> int:
    """What a cluster's artifacts read, in bytes, each file once: the files they name, and those their patterns
    match where the source lists them from an index (a backup's Manifest.db; walking a folder per pattern would
    cost more than the split saves)."""
    indexed = type(fs).find is not VirtualFS.find
    sizes: dict[tuple[str, str], int] = {}
    for _, group in cluster:
        for spec in (spec for cls in group for spec in cls.files):
            if not any(c in spec.domain + spec.path for c in "*?["):
                entry = fs.get(spec.domain, spec.path)
                found: Iterable[Entry] = [entry] if entry is not None and entry.is_file else ()
            else:
                found = fs.files(spec.domain, spec.path) if indexed else ()
            sizes.update(((e.domain, e.path), e.size) for e in found)
    return sum(sizes.values())


class KindsProcess:
    """The child extracting some kinds; :meth:`wait` gives what it found."""

    def __init__(self, process: subprocess.Popen[bytes], answers: BinaryIO, part: Path) -> None:
        self._process = process
        self.part = part
        self._updates: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._outcome: tuple[Any, ...] | None = None  # ("done", …), ("error", why) or ("gone",), the first one
        self._reader = threading.Thread(target=self._read, args=(answers,), name="reclaim-kinds", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, fs: VirtualFS, case: Path, groups: list[Group], options: ScanOptions) -> KindsProcess | None:
        """Start extracting ``groups`` from the source ``fs`` into the case folder ``case``; ``None`` when no
        child can do it (the source cannot be opened again, no interpreter can be started)."""
        reopen = fs.reopener()
        if reopen is None or not child.can_start() or os.name == "nt":  # (no pipe can be handed to a child there)
            return None
        part = case / PART
        try:
            job = pickle.dumps({"reopen": reopen, "case": str(case), "part": str(part), "options": options,
                                "groups": groups})
        except Exception as exc:  # an artifact or a source that cannot travel: everything is extracted here
            log.info("kinds extracted in one process: %s", exc)
            return None
        read, write = os.pipe()
        argv, env = child.module_command(__spec__.name, str(write))
        try:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, pass_fds=(write,))
        except OSError:
            os.close(read)
            os.close(write)
            return None
        os.close(write)
        assert process.stdin is not None
        try:
            process.stdin.write(job)
            process.stdin.close()
        except OSError:  # it stopped already: its outcome says so
            pass
        return cls(process, os.fdopen(read, "rb"), part)

    def _read(self, answers: BinaryIO) -> None:
        """Queue each answer as it comes; then ("gone",), even after a message cut short (a child killed while it
        wrote one: the scan must not wait for it forever)."""
        try:
            with answers:
                while len(head := answers.read(8)) == 8:
                    self._updates.put(pickle.loads(answers.read(int.from_bytes(head, "little"))))
        except Exception as exc:  # a truncated or unreadable answer: the child is gone or broken
            log.debug("second scanning process: unreadable answer (%s)", exc)
        finally:
            self._updates.put(("gone",))

    def relay(self, progress: Progress) -> Progress:
        """``progress`` to call from this process, which also passes on the child's progress so far (in this
        thread: a callback may stop the scan by raising)."""
        def report(kind: str, count: int, phase: str) -> None:
            self._pass_on(progress, block=False)
            progress(kind, count, phase)
        return report

    def _pass_on(self, progress: Progress | None, *, block: bool) -> None:
        """Hand the child's progress and log lines on, and keep its outcome when it comes (``block``: wait a
        moment for something to come)."""
        while self._outcome is None:
            try:
                update = self._updates.get(block=block, timeout=0.1 if block else None)
            except queue.Empty:
                return
            what = update[0]
            if what == "progress":
                if progress is not None:
                    progress(*update[1:])
            elif what == "log":
                log.log(update[1], "%s", update[2])
            else:
                self._outcome = update

    def wait(self, progress: Progress | None, cancel: threading.Event | None) -> Finished | None:
        """What the child extracted, once it is done (``None`` if it failed: the log says why)."""
        while self._outcome is None:
            self._pass_on(progress, block=True)
            if cancel is not None and cancel.is_set():
                raise ScanCancelled()
        outcome = self._outcome
        self._process.wait()
        if outcome[0] == "done" and self._process.returncode == 0:
            return Finished(*outcome[1:])
        why = outcome[1] if outcome[0] == "error" else f"exit status {self._process.returncode}"
        log.warning("the second scanning process failed (%s): its kinds are extracted again by the first", why)
        self._remove_part()
        return None

    def stop(self) -> None:
        """Stop it (the scan failed or was cancelled) and remove what it wrote. It is asked to stop first, so that
        it removes its decrypted copies of the source's databases."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process.wait()
        self._reader.join(timeout=5)
        self._remove_part()

    def _remove_part(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()


# -- the child -------------------------------------------------------------------------------------


class _Relay(logging.Handler):
    """Sends the child's log lines to the scan's process, which logs them as its own."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__(logging.INFO)
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self._send(("log", record.levelno, self.format(record)))


def _extract(job: dict[str, Any], send: Callable[[tuple[Any, ...]], None]) -> None:
    from reclaim.case.context import DatabaseCopies
    from reclaim.case.scan import run_kind
    from reclaim.case.store import PartWriter

    writer = PartWriter(Path(job["part"]), Path(job["case"]))
    copies = DatabaseCopies(budget=DatabaseCopies.BUDGET // 2)  # the temporary folder (maybe memory) is shared
    try:
        with job["reopen"]() as fs:
            statuses = [run_kind(fs, writer, copies, job["options"], kind, group,
                                 lambda kind, count, phase: send(("progress", kind, count, phase)), None)
                        for kind, group in job["groups"]]
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        copies.close()
    send(("done", statuses, writer.shape_count, writer.media.known))


def main(fd: int) -> int:
    """Extract the job read from standard input, answering on the pipe ``fd``."""
    answers = os.fdopen(fd, "wb")
    os.dup2(2, 1)  # a stray print must not reach the answers

    def send(message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message)
        try:
            answers.write(len(data).to_bytes(8, "little") + data)
            answers.flush()
        except OSError:  # the scan is gone: stop (a kind's extractor lets this one through)
            raise ScanCancelled() from None

    logger = logging.getLogger("reclaim")
    logger.addHandler(_Relay(send))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        _extract(pickle.load(sys.stdin.buffer), send)
    except BaseException as exc:  # the scan extracts these kinds itself, and says why
        with contextlib.suppress(Exception):
            send(("error", f"{type(exc).__name__}: {exc}".replace("\n", " ")))
        return 1
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle: it stops this process
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped: the copies are removed on the way out
    sys.exit(main(int(sys.argv[1])))
