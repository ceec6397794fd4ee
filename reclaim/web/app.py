"""The web page's HTTP interface: a thin layer over :mod:`reclaim.service` and the case store.

Routes return JSON for the page's script (``static/app.js`` and the ES modules it imports), media from the case by
SHA-256 only, and the one HTML page. Every request has already passed
:class:`~reclaim.web.security.SecurityMiddleware`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from reclaim import __version__, service
from reclaim.errors import PasswordRequired, ReclaimError, WrongPassword, os_error_line
from reclaim.web import linkcheck
from reclaim.web import media as web_media
from reclaim.web.linkcheck import ensure_links
from reclaim.web.scanning import open_source_checked, start_scan
from reclaim.web.security import SecurityMiddleware
from reclaim.web.session import WebSession

log = logging.getLogger("reclaim.web")
HERE = Path(__file__).resolve().parent
_DOWNLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}\.zip$")


def _shown_picture(picture: dict[str, Any] | None) -> str | None:
    """The sha256 of the file a browser shows for a profile picture (its JPEG copy, if it has one), ``None``
    when there is none or the browser cannot show it (a HEIC without a JPEG copy: initials stand in)."""
    if picture is None:
        return None
    shown, mime = (picture["preview"], picture.get("preview_mime")) if picture.get("preview") else \
        (picture.get("sha256"), picture.get("mime"))
    return shown if shown and mime in web_media.INLINE_TYPES and mime.startswith("image/") else None


def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


class _PageFiles(StaticFiles):
    """The page's own files: scripts as ``text/javascript`` (ES modules need a JavaScript type, and the
    system's MIME table may say otherwise), and revalidated on every load (``no-cache``): the modules
    are imported without the version in their address, so an upgraded reclaim must not mix old and new."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Any, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if str(full_path).endswith(".js"):
            response.headers["content-type"] = "text/javascript; charset=utf-8"
        response.headers["cache-control"] = "no-cache"
        return response


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise HTTPException(400, "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the request body must be a JSON object")
    return data


def create_app(session: WebSession, *, port: int, preset: str | None = None) -> FastAPI:
    """The ASGI application for one session, wrapped in the security rules for ``127.0.0.1:port``."""
    app = FastAPI(title="reclaim", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    env = _templates()
    app.mount("/static", _PageFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(ReclaimError)
    async def reclaim_error(_: Request, exc: ReclaimError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(OSError)
    async def system_error(_: Request, exc: OSError) -> JSONResponse:  # a full disk while saving, ...
        return JSONResponse({"error": os_error_line(exc)}, status_code=500)

    # -- the page ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        page = env.get_template("index.html").render(csrf=session.csrf, version=__version__)
        return HTMLResponse(page, headers={"cache-control": "no-store"})

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return {
            "version": __version__,
            "preset": preset if not session.source_path else None,
            "source": _source_json(session),
            "job": session.job.snapshot() if session.job else None,
            "case": session.has_case(),
            "existing_case": session.existing_case,
        }

    # -- choosing and scanning a source ----------------------------------------------------

    @app.get("/api/backups")
    def backups() -> dict[str, Any]:
        return {"backups": service.list_backups(), "unreadable": service.unreadable_backup_dirs()}

    @app.post("/api/open")
    async def open_path(request: Request) -> JSONResponse:
        data = _json_body(await request.body())
        path = str(data.get("path") or "").strip()
        password = data.get("password")
        session.recover_deleted = data.get("deleted") is not False
        del data  # the password must not linger in a structure that might be logged
        if not path:
            raise ReclaimError("type or choose the backup to open")
        if password is not None and not isinstance(password, str):
            raise HTTPException(400, "bad password field")
        if session.job and session.job.state == "running":
            raise ReclaimError("a scan is running: cancel it first")
        try:
            info = await asyncio.to_thread(open_source_checked, session, path, password or None)
        except (PasswordRequired, WrongPassword) as exc:
            wrong = isinstance(exc, WrongPassword)
            message = "That password does not unlock this backup." if wrong else "This backup is encrypted."
            return JSONResponse({"error": message, "needs_password": True, "wrong": wrong}, status_code=401)
        finally:
            password = None
        start_scan(session)
        return JSONResponse({"source": info})

    @app.post("/api/scan")
    def rescan() -> dict[str, Any]:
        if not session.source_path:
            raise ReclaimError("open a backup first")
        if session.job and session.job.state == "running":
            raise ReclaimError("a scan is already running")
        start_scan(session)
        return {"ok": True}

    @app.post("/api/scan/cancel")
    def cancel() -> dict[str, Any]:
        if session.job:
            session.job.cancel.set()
        return {"ok": True}

    @app.get("/api/scan/events")
    async def scan_events() -> StreamingResponse:
        async def stream():
            last = -1
            beat = time.monotonic()
            while True:
                job = session.job
                if job is None:
                    yield "event: none\ndata: {}\n\n"
                    return
                snap = job.snapshot()
                if snap["version"] != last:
                    last = snap["version"]
                    yield f"data: {json.dumps(snap)}\n\n"
                    beat = time.monotonic()
                if snap["state"] != "running":
                    return
                if time.monotonic() - beat > 10:
                    yield ": still scanning\n\n"
                    beat = time.monotonic()
                await asyncio.sleep(0.15)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    # -- browsing ------------------------------------------------------------------------

    @app.get("/api/case")
    def case_summary() -> dict[str, Any]:
        case = session.reader()
        kinds = case.kinds()
        return {"source": case.source(), "kinds": kinds, "formats": _formats()}

    @app.get("/api/kinds/{kind}/chats")
    def chats(kind: str, offset: int = 0, limit: int = Query(100, ge=1, le=500), q: str = "") -> dict[str, Any]:
        case = session.reader()
        _known_kind(case, kind)
        everything = session.chats(kind, lambda: service.chat_summaries(case, kind))
        if q:
            needle = q.casefold()
            everything = [c for c in everything if needle in str(c["chat"]).casefold()]
        page = everything[offset:offset + limit]
        pictures = session.pictures()
        out = []
        for chat in page:
            item = dict(chat)
            last = service.last_message(case, kind, chat["chat_id"])
            item["last_text"] = _preview_line(last) if last else ""
            item["picture"] = _shown_picture(pictures.for_chat(chat["chat_id"]))
            out.append(item)
        more = offset + limit < len(everything)
        return {"chats": out, "total": len(everything), "next": offset + limit if more else None}

    @app.get("/api/kinds/{kind}/records")
    def records(
        kind: str,
        chat: str | None = None,
        before: str | None = None,
        after: str | None = None,
        deleted: int | None = Query(None, ge=0, le=1),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        case = session.reader()
        _known_kind(case, kind)
        page = service.page_records(case, kind, chat_id=chat, deleted=None if deleted is None else bool(deleted),
                                    before=before, after=after, limit=limit)
        return {"items": page.items, "older": page.older, "newer": page.newer, "pictures": _pictures(page.items)}

    @app.get("/api/records/{rid}")
    def record(rid: int) -> dict[str, Any]:
        case = session.reader()
        item = case.record(rid)
        if item is None:
            raise HTTPException(404, "no such record")
        return service.with_kinds(case, [item])[0]

    @app.get("/api/records/{rid}/around")
    def around(rid: int, limit: int = Query(50, ge=2, le=500)) -> dict[str, Any]:
        page = service.page_around(session.reader(), rid, limit=limit)
        if page is None:
            raise HTTPException(404, "no such record")
        return {"items": page.items, "older": page.older, "newer": page.newer, "pictures": _pictures(page.items)}

    def _pictures(items: list[dict[str, Any]]) -> dict[str, str]:
        """The profile picture (the sha256 of a file the browser shows) of each sender of these messages that
        has one, by sender id."""
        pictures = session.pictures()
        out: dict[str, str] = {}
        for item in items:
            sender_id = item.get("sender_id")
            if not isinstance(sender_id, str) or sender_id in out:
                continue
            shown = _shown_picture(pictures.find(sender_id))
            if shown:
                out[sender_id] = shown
        return out

    @app.get("/api/records/{rid}/html")
    def record_html(rid: int) -> Response:
        item = session.reader().record(rid)
        if item is None or not isinstance(item.get("html"), str):
            raise HTTPException(404, "no HTML for this record")
        return web_media.sandboxed_html(item["html"])

    @app.get("/api/search")
    def search(
        q: str,
        kinds: str = "",
        since: str | None = None,
        until: str | None = None,
        chat: str | None = None,
        sender: str | None = None,
        deleted: int | None = Query(None, ge=0, le=1),
        offset: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=200),
    ) -> dict[str, Any]:
        case = session.reader()
        wanted = [k for k in kinds.split(",") if k] or None
        started = time.perf_counter()
        hits = list(case.search(q, kinds=wanted, limit=limit + 1, offset=offset, since=_day(since),
                                until=_day(until, end=True), chat=chat or None, sender=sender or None,
                                deleted=None if deleted is None else bool(deleted)))
        more = len(hits) > limit
        return {"items": service.with_kinds(case, hits[:limit]), "next": offset + limit if more else None,
                "ms": round((time.perf_counter() - started) * 1000, 1)}

    # -- links and QR codes ------------------------------------------------------------------

    @app.get("/api/links")
    def links(
        only: str = Query("all", pattern="^(all|dangerous)$"),
        offset: int = Query(0, ge=0),
        limit: int = Query(100, ge=0, le=500),
    ) -> dict[str, Any]:
        session.reader()  # a case must exist
        job = ensure_links(session)
        out = job.snapshot()
        out["indicator_files"] = [{"path": f["path"], "name": f["name"], "count": f["count"]}
                                  for f in session.indicator_files]
        out["items"], out["next"], out["matching"] = [], None, 0
        if out["state"] == "done":
            items, total = linkcheck.page(job, only_dangerous=only == "dangerous", offset=offset, limit=limit)
            out["items"], out["matching"] = items, total
            out["next"] = offset + limit if offset + limit < total else None
        return out

    @app.post("/api/links/indicators")
    async def indicators(request: Request) -> dict[str, Any]:
        data = _json_body(await request.body())
        session.reader()
        files = list(session.indicator_files)
        if "remove" in data:
            files = [f for f in files if f["path"] != str(data["remove"])]
        else:
            path = service.check_indicator_file(str(data.get("path") or ""))
            count = await asyncio.to_thread(service.indicator_count, path)
            files = [f for f in files if f["path"] != str(path)]
            files.append({"path": str(path), "name": path.name, "count": count})
        ensure_links(session)
        await asyncio.to_thread(linkcheck.set_indicator_files, session, files)
        return {"indicator_files": session.indicator_files, **session.links.snapshot()}

    # -- locked notes ------------------------------------------------------------------------

    @app.get("/api/notes/locked")
    def notes_locked() -> dict[str, Any]:
        info = service.locked_notes(session.reader())
        info["tried"] = len(session.note_passwords)
        info["can_unlock"] = session.source_path is not None
        return info

    @app.post("/api/notes/unlock")
    async def notes_unlock(request: Request) -> dict[str, Any]:
        data = _json_body(await request.body())
        password = data.get("password")
        del data  # the password must not linger in a structure that might be logged
        if not isinstance(password, str) or not password:
            raise HTTPException(400, "type the notes password")
        if not session.source_path:
            raise ReclaimError("locked notes are unlocked from the backup: open the backup they are in first")
        if session.job and session.job.state == "running":
            raise ReclaimError("a scan is running: wait for it to finish")
        session.note_passwords.add(password)
        password = None
        start_scan(session)
        return {"ok": True}

    # -- media -----------------------------------------------------------------------------

    @app.get("/api/media/{sha}")
    def media(sha: str, download: int = 0) -> Response:
        return web_media.serve(session.reader(), sha, download=bool(download))

    @app.get("/api/thumb/{sha}")
    def thumb(sha: str) -> Response:
        return web_media.thumbnail(session.reader(), sha, session.work / "thumbs")

    # -- recovering --------------------------------------------------------------------------

    @app.post("/api/export")
    async def export(request: Request) -> dict[str, Any]:
        data = _json_body(await request.body())
        formats = [f for f in data.get("formats") or [] if isinstance(f, str)] or None
        selection = data.get("selection") or {}
        if not isinstance(selection, dict):
            raise HTTPException(400, "bad selection")
        as_zip = bool(data.get("zip"))
        session.reader()  # a case must exist
        if as_zip:
            return await asyncio.to_thread(_export_zip, session, selection, formats)
        out = service.check_output_folder(
            str(data.get("folder") or ""), forbidden=[session.source_path, session.work, session.case_dir]
        )
        result = await asyncio.to_thread(service.recover_selection, session.case_dir, out, selection=selection,
                                         formats=formats)
        session.outputs.append(out)
        return result

    @app.get("/api/downloads/{name}")
    def download(name: str) -> FileResponse:
        if not _DOWNLOAD_NAME.match(name):
            raise HTTPException(404, "no such download")
        path = session.downloads / name
        if not path.is_file():
            raise HTTPException(404, "no such download")
        return FileResponse(path, media_type="application/zip", filename="reclaim-recovered.zip",
                            headers={"cache-control": "no-store"})

    @app.get("/favicon.ico")
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "icon.svg", media_type="image/svg+xml")

    return _secure(app, session, port)


def _secure(app: FastAPI, session: WebSession, port: int) -> Any:
    secured = SecurityMiddleware(app, token=session.token, csrf=session.csrf, port=port)
    secured.fastapi = app  # type: ignore[attr-defined]  # for tests that need the inner app
    return secured


def _source_json(session: WebSession) -> dict[str, Any] | None:
    if not session.source_path:
        return None
    return {**session.source_info, "path": str(session.source_path), "unlocked": session.derived_key is not None}


def _known_kind(case: Any, kind: str) -> None:
    if case.kind(kind) is None:
        raise HTTPException(404, "no such kind in this case")


def _formats() -> list[str]:
    try:
        from reclaim.export import known_formats
    except ImportError:
        return ["html", "json", "csv"]
    return known_formats()


def _day(value: str | None, *, end: bool = False) -> str | None:
    """A date filter from the page (YYYY-MM-DD) as the case's ISO bound; ``until`` includes its day."""
    if not value:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ReclaimError("dates look like 2024-05-01")
    if end:
        from datetime import date, timedelta

        return (date.fromisoformat(value) + timedelta(days=1)).isoformat()
    return value


def _preview_line(record: dict[str, Any]) -> str:
    text = str(record.get("text") or "").strip()
    if not text:
        card = record.get("card") or {}
        if isinstance(card, dict) and card.get("title"):
            text = str(card["title"])
        elif record.get("attachments"):
            text = "📎 attachment"
    sender = record.get("sender")
    if sender and record.get("direction") == "incoming":
        text = f"{sender}: {text}"
    return text[:120]


_export_lock = threading.Lock()


def _export_zip(session: WebSession, selection: dict[str, Any], formats: list[str] | None) -> dict[str, Any]:
    import secrets
    import shutil

    with _export_lock:
        name = secrets.token_urlsafe(12).replace("-", "_")
        staging = session.work / "exports" / name
        staging.parent.mkdir(parents=True, exist_ok=True)
        service.recover_selection(session.case_dir, staging, selection=selection, formats=formats)
        session.downloads.mkdir(parents=True, exist_ok=True)
        target = service.zip_folder(staging, session.downloads / f"{name}.zip")
        shutil.rmtree(staging, ignore_errors=True)
    return {"download": f"/api/downloads/{quote(target.name)}", "size": target.stat().st_size}
