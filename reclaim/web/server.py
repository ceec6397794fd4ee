"""Running the page: bind 127.0.0.1, print the link with its token, open the browser, serve with uvicorn."""

from __future__ import annotations

import logging
import re
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from reclaim.web.app import create_app
from reclaim.web.session import WebSession

HOST = "127.0.0.1"


class RedactToken(logging.Filter):
    """Keeps the session token out of uvicorn's access log (it would show the ``/?token=…`` request)."""

    _pattern = re.compile(r"token=[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(self._pattern.sub("token=…", a) if isinstance(a, str) else a for a in record.args)
        record.msg = self._pattern.sub("token=…", str(record.msg))
        return True


def bind(port: int = 0) -> socket.socket:
    """A listening socket on the loopback address (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        from reclaim.errors import ReclaimError

        raise ReclaimError(f"cannot listen on {HOST}:{port} ({exc.strerror})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class Server:
    """One running web page: its session, app, socket and uvicorn server."""

    def __init__(self, session: WebSession, *, port: int = 0, preset: str | None = None,
                 access_log: bool = True) -> None:
        self.session = session
        self.sock = bind(port)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/?token={session.token}"
        self.app = create_app(session, port=self.port, preset=preset)
        config = uvicorn.Config(self.app, log_level="info" if access_log else "warning", access_log=access_log,
                                lifespan="off", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        logging.getLogger("uvicorn.access").addFilter(RedactToken())
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.close()

    def start(self) -> None:
        """Serve in a background thread (tests, embedding); returns once the server accepts requests."""
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        started = threading.Event()

        def wait() -> None:
            import time

            for _ in range(200):
                if self.server.started:
                    started.set()
                    return
                time.sleep(0.025)

        wait()
        if not started.is_set():
            raise RuntimeError("the web server did not start")

    def stop(self) -> None:
        """Stop a server started with :meth:`start`."""
        self.server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.sock.close()
        self.session.close()


def session_for(path: str | None, case_dir: Path | None = None) -> tuple[WebSession, str | None]:
    """The session for ``reclaim serve [PATH] [--case DIR]`` and the source the page opens right away.

    A ``PATH`` that is a case (a folder with ``case.db``, or a ``reclaim recover`` output
    with ``case/case.db``) is opened for browsing without a scan; anything else is a
    source the page opens and scans.
    """
    from reclaim import service

    if not path:
        return WebSession(case_dir=case_dir), None
    location = Path(path).expanduser().resolve()
    existing = service.find_case_folder(location)
    if existing is not None:
        return WebSession(case_dir=case_dir, existing_case=existing), None
    return WebSession(case_dir=case_dir), str(location)


def serve(
    path: str | None = None,
    *,
    port: int = 0,
    open_browser: bool = True,
    case_dir: Path | None = None,
    out: Callable[[str], None] | None = None,
) -> int:
    """``reclaim serve``: print the link (first line of output), open it, and serve until Ctrl-C."""
    session, preset = session_for(path, case_dir)
    server = Server(session, port=port, preset=preset)
    if session.has_case():  # a finished case: ready to browse, lists and links checked in the background
        from reclaim.web.scanning import warm_up

        threading.Thread(target=warm_up, args=(session,), name="reclaim-warm", daemon=True).start()
    say = out or (lambda line: print(line, flush=True))
    say(server.url)
    say("reclaim is running on this computer only. Keep this window open; press Ctrl-C to stop.")
    if open_browser:
        threading.Timer(0.5, lambda: webbrowser.open(server.url)).start()
    _stop_as_with_ctrl_c()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    print("reclaim stopped.", file=sys.stderr)
    return 0


def _stop_as_with_ctrl_c() -> None:
    """Being told to stop (``kill``, a closed terminal, a shutdown) stops the page as Ctrl-C does: the session's
    folder (the case scanned, downloads) is removed instead of left behind in the temporary folder."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
