"""Locked notes unlocked from the page, and ``reclaim serve CASE`` opening an existing case without a scan."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_web_support import build_demo_case, client_for, post_headers

from reclaim.case.store import CASE_DB, CaseReader
from reclaim.web.server import session_for
from reclaim.web.session import WebSession

WIFI = "Wi-Fi and door codes"


@pytest.fixture(scope="module")
def notes_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain backup holding only the sample's NoteStore (with its password-protected note)."""
    from reclaim.sample.builder import write_backup
    from reclaim.sample.content import notes
    from reclaim.sample.model import SampleContext

    return write_backup(tmp_path_factory.mktemp("notes") / "backup", list(notes.files(SampleContext())))


def wait(session: WebSession) -> None:
    assert session.job is not None and session.job.thread is not None
    session.job.thread.join(60)
    assert session.job.state == "done", session.job.error


def open_quick(client: Any, session: WebSession, path: Path) -> Any:
    """Open a backup from the page without deleted-record recovery and wait for its scan; the page's answer."""
    opened = client.post("/api/open", json={"path": str(path), "deleted": False}, headers=post_headers(session))
    assert opened.status_code == 200, opened.text
    wait(session)
    return opened


def wifi_note(session: WebSession) -> dict[str, Any]:
    with CaseReader(session.case_dir) as case:
        return next(r for r in case.records("notes") if r["title"] == WIFI)


def test_locked_notes_are_unlocked_with_a_password_typed_in_the_page(
        notes_backup: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from reclaim.sample.content.notes import IOS17_HINT, PASSWORD, PASSWORD_HINT

    wrong = "not-the-notes-password-3319"
    caplog.set_level(logging.DEBUG)
    session = WebSession(work_dir=tmp_path / "work")
    client = client_for(session)
    try:
        opened = open_quick(client, session, notes_backup)
        assert client.get("/api/notes/locked").json() == {
            "locked": 2, "hints": [PASSWORD_HINT, IOS17_HINT], "wrong": 0, "passcode": 0, "tried": 0,
            "can_unlock": True}
        note = wifi_note(session)
        assert (note["locked"], note["unlocked"], note["text"]) == (True, False, "")

        denied = client.post("/api/notes/unlock", json={"password": wrong}, headers=post_headers(session))
        assert denied.json() == {"ok": True}
        wait(session)
        still = client.get("/api/notes/locked").json()
        assert (still["locked"], still["wrong"], still["tried"]) == (2, 2, 1)

        unlocked = client.post("/api/notes/unlock", json={"password": PASSWORD}, headers=post_headers(session))
        assert unlocked.json() == {"ok": True}
        wait(session)
        assert client.get("/api/notes/locked").json()["locked"] == 0
        note = wifi_note(session)
        assert note["unlocked"] is True and "Home Wi-Fi: BlueFox-5G / correct-horse-battery" in note["text"]

        texts = [opened.text, denied.text, unlocked.text, client.get("/api/state").text,
                 client.get("/api/notes/locked").text]
        for secret in (PASSWORD, wrong):
            assert not any(secret in text for text in texts)  # never returned
            assert secret not in caplog.text  # never logged
            assert not any(secret in repr(value) for value in vars(session).values())
            assert secret.encode() not in (session.case_dir / CASE_DB).read_bytes()  # never written
    finally:
        session.close()


def test_note_password_only_in_the_body_and_only_from_the_page(notes_backup: Path, tmp_path: Path) -> None:
    session = WebSession(work_dir=tmp_path / "work")
    client = client_for(session)
    try:
        open_quick(client, session, notes_backup)
        job = session.job
        in_url = client.post("/api/notes/unlock?password=reclaim-notes", headers=post_headers(session))
        assert in_url.status_code == 400  # a password in the address is not read
        for headers in ({}, {"origin": "http://evil.example", "x-reclaim-csrf": session.csrf},
                        {"origin": post_headers(session)["origin"]}):
            refused = client.post("/api/notes/unlock", json={"password": "reclaim-notes"}, headers=headers)
            assert refused.status_code == 403
        assert client_for(session, authed=False).get("/api/notes/locked").status_code == 403
        assert len(session.note_passwords) == 0 and session.job is job  # no scan was started
    finally:
        session.close()


def test_unlocking_needs_the_source(tmp_path: Path) -> None:
    build_demo_case(tmp_path / "case")
    session = WebSession(work_dir=tmp_path / "work", existing_case=tmp_path / "case")
    try:
        client = client_for(session)
        assert client.get("/api/notes/locked").json()["can_unlock"] is False
        response = client.post("/api/notes/unlock", json={"password": "x"}, headers=post_headers(session))
        assert response.status_code == 400 and "open the backup" in response.json()["error"]
        assert len(session.note_passwords) == 0
    finally:
        session.close()


# -- reclaim serve CASE ---------------------------------------------------------------------------


def test_serve_path_tells_a_case_from_a_source(tmp_path: Path, notes_backup: Path) -> None:
    build_demo_case(tmp_path / "case")
    build_demo_case(tmp_path / "recovered" / "case")
    for path, expected in [(tmp_path / "case", tmp_path / "case"), (tmp_path / "case" / CASE_DB, tmp_path / "case"),
                           (tmp_path / "recovered", tmp_path / "recovered" / "case")]:
        session, preset = session_for(str(path))
        try:
            assert (session.case_dir, session.existing_case, preset) == (expected.resolve(), True, None)
        finally:
            session.close()
    session, preset = session_for(str(notes_backup))
    try:
        assert (session.existing_case, preset, session.has_case()) == (False, str(notes_backup.resolve()), False)
    finally:
        session.close()


def test_a_scan_never_touches_the_case_opened_for_browsing(tmp_path: Path, notes_backup: Path) -> None:
    build_demo_case(tmp_path / "kept")
    before = (tmp_path / "kept" / CASE_DB).read_bytes()
    session = WebSession(work_dir=tmp_path / "work", existing_case=tmp_path / "kept")
    client = client_for(session)
    try:
        assert client.get("/api/state").json()["existing_case"] is True
        assert client.get("/api/kinds/webchat/chats").json()["total"] == 2
        open_quick(client, session, notes_backup)
        assert session.case_dir == tmp_path / "work" / "case" and not session.existing_case
        assert [k["kind"] for k in client.get("/api/case").json()["kinds"] if k["live"]] == ["notes"]
        assert (tmp_path / "kept" / CASE_DB).read_bytes() == before
    finally:
        session.close()
    assert (tmp_path / "kept" / CASE_DB).is_file()  # closing the session leaves it too


def test_reclaim_serve_opens_a_recover_output_for_browsing(tmp_path: Path) -> None:
    build_demo_case(tmp_path / "Recovered" / "case")
    scratch = tmp_path / "tmp"  # where the page keeps its session's folder
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "reclaim.cli", "serve", "--no-browser",
                                str(tmp_path / "Recovered")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(scratch)})
    try:
        first = process.stdout.readline().strip()  # type: ignore[union-attr]
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=[A-Za-z0-9_-]{40,}", first)
        assert match, first
        base = f"http://127.0.0.1:{match.group(1)}"
        with httpx.Client(follow_redirects=True, timeout=10) as http:
            assert http.get(first).status_code == 200
            state = http.get(f"{base}/api/state").json()
            assert (state["case"], state["existing_case"], state["preset"], state["job"]) == (True, True, None, None)
            kinds = {k["kind"]: k for k in http.get(f"{base}/api/case").json()["kinds"]}
            assert kinds["webchat"]["live"] == 134 and kinds["webchat"]["deleted"] == 1
        assert [p.name[:12] for p in scratch.iterdir()] == ["reclaim-web-"]
    finally:
        process.terminate()  # (as a shutdown or a closed terminal stops it)
        process.wait(10)
    assert (tmp_path / "Recovered" / "case" / CASE_DB).is_file()
    assert list(scratch.iterdir()) == []  # the session's folder went with it


def test_notes_locked_with_the_iphone_passcode_are_counted_apart(tmp_path: Path) -> None:
    """No notes password opens a passcode-locked note, so the page must not offer one for it."""
    from datetime import UTC, datetime

    from reclaim.artifacts.base import KindStatus
    from reclaim.artifacts.notes import Note
    from reclaim.case.store import CaseWriter
    from reclaim.service import locked_notes

    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    writer = CaseWriter(tmp_path / "case")
    writer.add(Note(id="notes:1", date=when, source="s", title="Bank", locked=True, password_hint="pet",
                    unlock_error="wrong password for this note"))
    writer.add(Note(id="notes:2", date=when, source="s", title="PINs", locked=True,
                    unlock_error="locked with the iPhone passcode (iOS 16+ \"Use iPhone Passcode\"): no password"))
    writer.add(Note(id="notes:3", date=when, source="s", title="Open", locked=True, unlocked=True))
    writer.add(Note(id="notes:4", date=when, source="s", title="Plain"))
    writer.set_status(KindStatus(kind="notes", title="Notes", live=4, deleted=0), "cards", ("notes",))
    writer.close()
    with CaseReader(tmp_path / "case") as case:
        assert locked_notes(case) == {"locked": 1, "hints": ["pet"], "wrong": 1, "passcode": 1}


def test_open_names_the_model_and_refuses_a_database_cut_short(notes_backup: Path, tmp_path: Path,
                                                                corpus: Path) -> None:
    """The page shows "iPhone 13 (iPhone14,5)"; a lone SQLite file cut in its first page is one clear error."""
    session = WebSession(work_dir=tmp_path / "work")
    client = client_for(session)
    try:
        source = open_quick(client, session, notes_backup).json()["source"]
        assert (source["product_name"], source["product_type"]) == ("iPhone 13", "iPhone14,5")
        cut = tmp_path / "cut.db"
        cut.write_bytes((corpus / "sqlite-corpus" / "corpus" / "0A-02.db").read_bytes()[:1000])
        refused = client.post("/api/open", json={"path": str(cut)}, headers=post_headers(session))
        assert refused.status_code >= 400 and "cut.db" in refused.text and "truncated" in refused.text.lower()
    finally:
        session.close()
