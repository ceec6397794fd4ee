"""Running one of reclaim's modules in a child process, to use the second CPU.

A child is a fresh interpreter running ``python -m <module>``: it never imports the caller's
script (unlike :mod:`multiprocessing`'s spawn) and never inherits its threads' locks (unlike
fork). A bundled application cannot run ``-m``: then there is no child, and the caller does
the work itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Where the ``reclaim`` package is, for the child to import it from.
_ROOT = str(Path(__file__).resolve().parents[1])


def can_start() -> bool:
    """Whether a child interpreter can be started (not in a bundled application)."""
    return not getattr(sys, "frozen", False)


def module_command(module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run ``module`` with ``args`` in a child interpreter."""
    path = os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))
    return [sys.executable, "-m", module, *args], {**os.environ, "PYTHONPATH": path}


def start_group(module: str, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``module`` in a child interpreter leading its own process group (on POSIX), so that
    :func:`kill_group` also stops the processes it starts itself (a pool of workers, which would
    otherwise keep its pipes open and outlive it)."""
    argv, env = module_command(module, *args)
    return subprocess.Popen(argv, env=env, start_new_session=hasattr(os, "killpg"), **popen)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a child started by :func:`start_group` and whatever it started, then reap it."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):  # all gone already
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    process.wait()
