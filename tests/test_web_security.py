"""Every security rule of the local web page: token, host, same origin, traversal, passwords, output folder."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx
import pytest
from test_web_support import BASE, PORT, build_demo_case, client_for, post_headers

from reclaim.web.security import cookie_name
from reclaim.web.server import Server
from reclaim.web.session import WebSession


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    case = tmp_path_factory.mktemp("webcase") / "case"
    return case, build_demo_case(case)


@pytest.fixture()
def session(demo_case: tuple[Path, dict[str, str]], tmp_path: Path) -> WebSession:
    session = WebSession(case_dir=demo_case[0], work_dir=tmp_path / "work")
    session.shas = demo_case[1]  # type: ignore[attr-defined]
    yield session
    session.close()


# -- the token ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/state", "/api/case", "/static/app.js", "/api/kinds/webchat/records"])
def test_every_request_needs_the_session_cookie(session: WebSession, path: str) -> None:
    client = client_for(session, authed=False)
    response = client.get(path)
    assert response.status_code == 403
    assert "Open the link reclaim printed" in response.text


def test_wrong_cookie_is_refused(session: WebSession) -> None:
    client = client_for(session, authed=False)
    client.cookies.set(cookie_name(PORT), session.token[:-1] + "x")
    assert client.get("/api/state").status_code == 403


def test_url_token_becomes_a_strict_httponly_cookie_and_leaves_the_url(session: WebSession) -> None:
    client = client_for(session, authed=False)
    response = client.get(f"/?token={session.token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(PORT)}={session.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/")  # the client kept the cookie
    assert page.status_code == 200
    assert f'content="{session.csrf}"' in page.text
    assert session.token not in page.text  # the page never shows the session token


def test_a_browser_without_the_key_gets_a_page_that_explains_it(session: WebSession) -> None:
    """A person who opens the bare address sees how to get in; scripts still get one sentence."""
    client = client_for(session, authed=False)
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Open the link reclaim printed in the terminal (it carries a key).</h1>" in response.text
    assert "?token=" in response.text and session.token not in response.text
    assert "<script" not in response.text and "default-src 'none'" in response.headers["content-security-policy"]
    stale = client.get("/?token=guess", headers={"Accept": "text/html"}, follow_redirects=False)
    assert "This link is out of date" in stale.text and stale.headers["content-type"].startswith("text/html")
    plain = client.get("/api/state")
    assert plain.headers["content-type"].startswith("text/plain") and "<" not in plain.text


def test_wrong_url_token_sets_nothing(session: WebSession) -> None:
    client = client_for(session, authed=False)
    response = client.get("/?token=guess", follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


# -- the host (DNS rebinding) ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "127.0.0.1", "0.0.0.0:8765", ""])
def test_foreign_host_headers_are_refused_even_with_the_cookie(session: WebSession, host: str) -> None:
    client = client_for(session)
    response = client.get("/api/state", headers={"host": host})
    assert response.status_code == 403
    token_try = client.get(f"/?token={session.token}", headers={"host": host}, follow_redirects=False)
    assert token_try.status_code == 403 and "set-cookie" not in token_try.headers


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"])
def test_loopback_hosts_are_accepted(session: WebSession, host: str) -> None:
    assert client_for(session).get("/api/state", headers={"host": host}).status_code == 200


# -- same origin for state changes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no origin, no referer, no CSRF header
        {"x-reclaim-csrf": "from-page"},  # CSRF header but no origin
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": f"http://127.0.0.1:{PORT + 1}"},
        {"referer": "http://evil.example/page"},
        {"origin": BASE},  # right origin, no CSRF header
        {"origin": BASE, "x-reclaim-csrf": "wrong"},
        {"referer": f"{BASE}.evil.example/"},
    ],
)
def test_state_changes_need_same_origin_and_csrf_header(session: WebSession, headers: dict[str, str]) -> None:
    client = client_for(session)
    if headers.get("x-reclaim-csrf") == "from-page":
        headers = {"x-reclaim-csrf": session.csrf}
    response = client.post("/api/scan/cancel", headers=headers)
    assert response.status_code == 403
    assert "did not come from reclaim" in response.text


def test_same_origin_post_with_csrf_header_passes(session: WebSession) -> None:
    client = client_for(session)
    assert client.post("/api/scan/cancel", headers=post_headers(session)).json() == {"ok": True}
    by_referer = {"referer": f"{BASE}/", "x-reclaim-csrf": session.csrf}
    assert client.post("/api/scan/cancel", headers=by_referer).status_code == 200


def test_other_methods_do_not_reach_anything(session: WebSession) -> None:
    client = client_for(session)
    assert client.put("/api/scan/cancel", headers=post_headers(session)).status_code == 405
    assert client.delete("/api/export", headers={}).status_code == 403


# -- files: only case media by SHA-256, only our downloads -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/media/..%2F..%2Fcase.db",
        "/api/media/../case.db",
        "/api/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/media/" + "0" * 64,
        "/api/media/" + "A" * 64,
        "/api/media/case.db",
        "/api/thumb/..%2Fcase.db",
        "/api/downloads/..%2F..%2Fcase%2Fcase.db",
        "/api/downloads/case.db",
        "/static/..%2F..%2Fservice.py",
        "/static/../app.py",
    ],
)
def test_no_path_traversal(session: WebSession, path: str) -> None:
    response = client_for(session).get(path)
    assert response.status_code == 404
    assert b"SQLite format" not in response.content and b"import" not in response.content


def test_media_is_served_by_sha_and_sandboxed(session: WebSession) -> None:
    client = client_for(session)
    red = client.get(f"/api/media/{session.shas['red']}")  # type: ignore[attr-defined]
    assert red.status_code == 200
    assert red.headers["content-type"] == "image/jpeg"
    assert red.content[:3] == b"\xff\xd8\xff"
    assert red.headers["content-security-policy"].startswith("sandbox")
    assert red.headers["x-content-type-options"] == "nosniff"


def test_active_content_from_the_phone_is_downloaded_not_rendered(session: WebSession) -> None:
    response = client_for(session).get(f"/api/media/{session.shas['evil']}")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]


def test_note_html_is_served_sandboxed_and_the_page_forbids_inline_script(session: WebSession) -> None:
    client = client_for(session)
    rid = next(r["_rid"] for r in client.get("/api/kinds/webnotes/records").json()["items"])
    note = client.get(f"/api/records/{rid}/html")
    csp = note.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "script-src" not in csp and "default-src 'none'" in csp
    assert "<h1>Invoice 42</h1>" in note.text
    page_csp = client.get("/").headers["content-security-policy"]
    assert "script-src 'self';" in page_csp and "unsafe-inline" not in page_csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in page_csp


# -- passwords ------------------------------------------------------------------------------------------------


def tiny_encrypted_backup(target: Path, password: str) -> Path:
    """An encrypted backup with one file (the sample builder's fast keybag)."""
    from reclaim.sample.builder import write_backup
    from reclaim.sample.model import SampleFile

    return write_backup(target, [SampleFile("HomeDomain", "Library/x.txt", b"hello")], encrypted=True,
                        password=password)


def test_password_is_not_echoed_kept_or_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    password, wrong = "correct-horse-4471", "not-the-password-7731"
    backup = tiny_encrypted_backup(tmp_path / "backup", password)
    session = WebSession(case_dir=tmp_path / "case", work_dir=tmp_path / "work")
    client = client_for(session)
    caplog.set_level(logging.DEBUG)
    try:
        asked = client.post("/api/open", json={"path": str(backup)}, headers=post_headers(session))
        assert asked.status_code == 401 and asked.json() == {
            "error": "This backup is encrypted.", "needs_password": True, "wrong": False}
        denied = client.post("/api/open", json={"path": str(backup), "password": wrong}, headers=post_headers(session))
        assert denied.status_code == 401 and denied.json()["wrong"] is True
        opened = client.post("/api/open", json={"path": str(backup), "password": password},
                             headers=post_headers(session))
        assert opened.status_code == 200
        assert opened.json()["source"]["encrypted"] is True
        assert isinstance(session.derived_key, bytes)  # kept for re-scans, in memory only
        assert session.job is not None
        session.job.thread.join(30)  # type: ignore[union-attr]
        # Opening again needs no password: the derived key is reused.
        again = client.post("/api/open", json={"path": str(backup)}, headers=post_headers(session))
        assert again.status_code == 200
        session.job.thread.join(30)  # type: ignore[union-attr]
        responses = [asked.text, denied.text, opened.text, again.text, client.get("/api/state").text]
        for secret in (password, wrong):
            assert not any(secret in text for text in responses)
            assert secret not in caplog.text
            assert not any(secret in repr(value) for value in vars(session).values())
    finally:
        session.close()


def test_access_log_of_the_real_server_has_no_token_and_no_password(tmp_path: Path) -> None:
    """Through uvicorn itself: the token request and a password POST leave no secret in the log."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    session = WebSession(case_dir=tmp_path / "case", work_dir=tmp_path / "work")
    server = Server(session, port=0, access_log=True)  # (uvicorn sets up its loggers here)
    for name in ("uvicorn.access", "uvicorn.error", "reclaim"):
        logging.getLogger(name).addHandler(handler)
    server.start()
    secret = "pw-that-must-not-leak-5521"
    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, follow_redirects=True) as http:
            assert http.get(f"/?token={session.token}").status_code == 200  # follows the redirect
            response = http.post("/api/open", json={"path": str(tmp_path / "missing"), "password": secret},
                                 headers={"origin": base, "x-reclaim-csrf": session.csrf})
            assert response.status_code == 400 and secret not in response.text
    finally:
        server.stop()
        for name in ("uvicorn.access", "uvicorn.error", "reclaim"):
            logging.getLogger(name).removeHandler(handler)
    log = "\n".join(records)
    assert "GET /?token=… HTTP/1.1" in log and "POST /api/open" in log  # the requests were logged ...
    assert session.token not in log and secret not in log  # ... without their secrets


def test_server_listens_on_loopback_only(tmp_path: Path) -> None:
    session = WebSession(case_dir=tmp_path / "case", work_dir=tmp_path / "work")
    server = Server(session, port=0)
    try:
        assert server.sock.getsockname()[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}/?token={session.token}"
    finally:
        server.close()


# -- recovering to a folder ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["inside-source", "source", "relative", "work", "empty", "file"])
def test_recover_refuses_unsafe_folders(session: WebSession, tmp_path: Path, where: str) -> None:
    source = tmp_path / "backup"
    source.mkdir()
    (tmp_path / "afile").write_text("x")
    session.source_path = source
    folder = {
        "inside-source": str(source / "out"),
        "source": str(source),
        "relative": "recovered",
        "work": str(session.work / "x"),
        "empty": "",
        "file": str(tmp_path / "afile"),
    }[where]
    response = client_for(session).post("/api/export", json={"folder": folder, "formats": ["json"]},
                                        headers=post_headers(session))
    assert response.status_code == 400
    assert response.json()["error"]
    assert not (source / "out").exists() and sorted(p.name for p in source.iterdir()) == []


def test_concurrent_readers_each_get_their_own_connection(session: WebSession) -> None:
    seen: list[int] = []

    def read() -> None:
        seen.append(id(session.reader().conn))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 3
