"""The page in a real browser (Debian's Chromium through Playwright) against a real server and the sample.

One journey, as a person would take it: open the link, pick the encrypted sample backup,
type a wrong then the right password, watch the deep scan (deleted records too), open the
WeChat family group, find a voice message and a recovered message, search for "invoice",
check the links and QR codes, unlock the locked note, tick two photos and recover them into
a folder; then the same page on a phone-sized screen. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import pytest

from reclaim.case.people import initials
from reclaim.case.store import CaseReader
from reclaim.links.analyse import analyse_case
from reclaim.sample import SAMPLE_PASSWORD
from reclaim.sample.content.notes import PASSWORD as NOTES_PASSWORD
from reclaim.sample.content.notes import PASSWORD_HINT
from reclaim.web.server import Server
from reclaim.web.session import WebSession

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
STATIC = Path(__file__).resolve().parents[1] / "reclaim" / "web" / "static"
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts"
GROUP = "家人群"
FAKE_RED_PACKET = "http://weixin-pay.example.top/redpacket?id=1"


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web-{name}.png"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shown_sender_message(case: CaseReader, chat_id: str) -> dict[str, Any]:
    """A text message of the group's newest page whose bubble shows its sender's name."""
    newest = list(case.conn.execute(
        "SELECT rid FROM records WHERE kind='wechat' AND chat_id=? ORDER BY date DESC, rid DESC LIMIT 60", (chat_id,)))
    page = [case.record(rid) for (rid,) in reversed(newest)]
    for before, message in itertools.pairwise(page):
        if (message["direction"] == "incoming" and message["text"] and not message["text"].startswith("[")
                and before["sender"] != message["sender"] and before["date"][:10] == message["date"][:10]):
            return message
    raise AssertionError("no suitable message in the sample's family group")


def newer_in_chat(case: CaseReader, record: dict[str, Any]) -> int:
    """How many messages of its conversation are newer than ``record`` (the page shows the newest 80 first)."""
    return case.conn.execute(
        "SELECT count(*) FROM records WHERE kind=? AND chat_id=? AND (date, rid) > (?, ?)",
        ("wechat", record["chat_id"], record["date"], record["_rid"])).fetchone()[0]


def test_journey_unlock_scan_browse_search_recover(sample_backup_encrypted: Path, tmp_path: Path, browser: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECLAIM_BACKUP_DIRS", str(sample_backup_encrypted.parent))
    session = WebSession(work_dir=tmp_path / "work")
    server = Server(session, port=0, access_log=False)
    server.start()
    errors: list[str] = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(20_000)
        page.goto(server.url)
        assert page.url == f"http://127.0.0.1:{server.port}/"  # the token left the address bar

        # 1. Choose the source: the sample is listed (from RECLAIM_BACKUP_DIRS) as encrypted.
        card = page.locator("button.backup").filter(has_text="Alex's iPhone")
        card.wait_for()
        assert "Encrypted" in card.inner_text() and "iOS 17.4.1" in card.inner_text()
        assert "iPhone 13 (iPhone14,5)" in card.inner_text()  # the model by name, its identifier beside
        shot(page, "1-start")
        assert page.is_checked("#deep-scan")  # deleted records are recovered too (the default)
        card.click()
        page.fill("#password-input", "wrong password")
        page.press("#password-input", "Enter")
        page.get_by_role("alert").filter(has_text="does not unlock").wait_for()
        assert page.input_value("#password-input") == ""  # the typed password is cleared
        page.fill("#password-input", SAMPLE_PASSWORD)
        shot(page, "2-password")
        page.get_by_role("button", name="Unlock").click()

        # 2. The scan's progress, then the categories with their counts.
        page.locator(".progress-list li, #sidebar a.kind").first.wait_for()
        if page.locator(".progress-list li").first.is_visible():
            shot(page, "3-scan")
        page.locator("#sidebar a.kind").first.wait_for(timeout=120_000)
        case = CaseReader(session.case_dir)
        kinds = {k["kind"]: k for k in case.kinds()}
        wechat = page.locator("#sidebar a.kind[data-kind='wechat']")
        total = kinds["wechat"]["live"] + kinds["wechat"]["deleted"]
        assert wechat.locator(".n").inner_text().replace(",", "") == str(total)

        # 3. WeChat: the family group, a message with its sender; a playable voice message.
        wechat.click()
        # The conversation list: a one-to-one chat with the person's picture, a group with its initials.
        mum_chat = next(c["chat_id"] for c in case.chats("wechat") if c["chat"] == "Mum")
        mum_picture = case.pictures().for_chat(mum_chat)["sha256"]
        assert page.locator(f".chatlist li[data-chat='{mum_chat}'] img.avatar").get_attribute("src") == \
            f"/api/thumb/{mum_picture}"
        assert page.locator(".chatlist a.chat").filter(has_text=GROUP).locator("span.avatar").inner_text() == "家"
        # Missing media listed per chat: Mum's conversation names a photo the phone no longer had.
        assert page.locator(f".chatlist li[data-chat='{mum_chat}'] .gone").inner_text() == "1 file gone"
        assert page.locator(".chatlist a.chat").filter(has_text=GROUP).locator(".gone").count() == 0
        page.locator(".chatlist a.chat").filter(has_text=GROUP).click()
        chat_id = next(c["chat_id"] for c in case.chats("wechat") if c["chat"] == GROUP)
        message = shown_sender_message(case, chat_id)
        bubble = page.locator(f".msg[data-rid='{message['_rid']}']")
        assert bubble.locator(".text").inner_text() == message["text"]
        assert bubble.locator(".sender").inner_text() == message["sender"]
        assert page.locator(".conv-head h2").inner_text() == GROUP
        # Each message has its sender's face: the avatar WeChat cached (decoded by the browser), else initials.
        pictures = case.pictures()
        latest = list(case.records("wechat", chat_id=chat_id))[-80:]
        pictured = next(m for m in reversed(latest) if m["direction"] == "incoming" and pictures.find(m["sender_id"]))
        plain = next(m for m in reversed(latest) if m["direction"] == "incoming" and m["sender"]
                     and not pictures.find(m["sender_id"]))
        face = page.locator(f".msg[data-rid='{pictured['_rid']}'] img.face")
        assert face.get_attribute("src") == f"/api/thumb/{pictures.find(pictured['sender_id'])['sha256']}"
        face.scroll_into_view_if_needed()
        assert face.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
        assert page.locator(f".msg[data-rid='{plain['_rid']}'] span.face").inner_text() == initials(plain["sender"])
        shot(page, "4-wechat-group")
        voice = next(r for r in case.records("wechat")
                     if any(a.get("role") == "voice" and a.get("preview") for a in r["attachments"]))
        page.evaluate(f"location.hash = '#/k/wechat/m/{voice['_rid']}'")
        player = page.locator(f".msg[data-rid='{voice['_rid']}'] audio[controls]")
        player.wait_for()
        duration = player.evaluate(
            "a => new Promise(ok => { a.onloadedmetadata = () => ok(a.duration); a.preload = 'auto'; a.load(); })")
        assert duration > 0  # the browser decodes the WAV preview: the play button plays
        shot(page, "5-voice")

        # A WeChat contact's card opens the conversation with them.
        mum_card = next(r for r in case.records("wechat-contacts") if r["name"] == "Mum")
        page.evaluate(f"location.hash = '#/k/wechat-contacts/r/{mum_card['_rid']}'")
        page.get_by_role("link", name="Open the conversation").click()
        page.locator(".conv-head h2").filter(has_text="Mum").wait_for()
        assert page.locator(".thread .msg").count() > 0
        stranger = next(r for r in case.records("wechat-contacts") if r["chat_id"] and not any(
            True for _ in case.records("wechat", chat_id=r["chat_id"], limit=1)))
        page.evaluate(f"location.hash = '#/k/wechat-contacts/r/{stranger['_rid']}'")
        page.locator(".detailpane h2").filter(has_text=stranger["name"]).wait_for()
        page.locator(".detail > dl.fields").wait_for()  # (written after the conversation was looked for)
        assert page.get_by_role("link", name="Open the conversation").count() == 0  # no conversation with them

        # A deleted WeChat message, carved back from the database, with its "Recovered" badge.
        gone = next(r for r in case.records("wechat", deleted=True) if r["text"] and newer_in_chat(case, r) < 60)
        page.locator("#sidebar a.kind[data-kind='wechat']").click()
        page.locator(f".chatlist li[data-chat='{gone['chat_id']}'] a.chat").click()
        recovered = page.locator(f".msg.deleted[data-rid='{gone['_rid']}']")
        recovered.scroll_into_view_if_needed()
        assert recovered.locator(".text").inner_text() == gone["text"]
        assert recovered.locator(".badge.recovered").inner_text() == "Recovered"
        shot(page, "5b-recovered-message")

        # Recovered call-history rows carry their mark under the time, in view without scrolling the wide table.
        page.locator("#sidebar a.kind[data-kind='calls']").click()
        row = page.locator("table.records tr.deleted").first
        mark = row.locator("td.when .badge.recovered")
        assert mark.inner_text() == "Recovered"
        box, pane = mark.bounding_box(), page.locator("#listpane").bounding_box()
        assert box and pane and box["x"] + box["width"] <= pane["x"] + pane["width"]
        # Opened: titled by its number (no name), its length as a clock shows it, no internal fields.
        call = case.record(int(row.get_attribute("data-rid")))
        row.click()
        page.locator(".detailpane h2").filter(has_text=call["name"] or call["number"]).wait_for()
        fields = dict(zip(page.locator(".detail > dl.fields > dt").all_inner_texts(),
                          page.locator(".detail > dl.fields > dd").all_inner_texts(), strict=True))
        seconds = round(call["duration"])
        assert fields["Duration"] == f"{seconds // 60}:{seconds % 60:02d}"
        assert {"kind", "_kind", "Kind"}.isdisjoint(k.strip() for k in fields)

        # 4. Search everything for "invoice".
        page.fill("#search-input", "invoice")
        page.press("#search-input", "Enter")
        page.locator(".results li .hit").first.wait_for()
        page.locator(".results + .sentinel").wait_for(state="detached")
        shown = {int(r) for r in page.locator(".results li").evaluate_all("els => els.map(e => e.dataset.rid)")}
        expected = list(case.search("invoice", limit=500))
        assert shown == {r["_rid"] for r in expected}
        found_kinds = set(page.locator(".results li").evaluate_all("els => els.map(e => e.dataset.kind)"))
        assert {"messages", "notes"} <= found_kinds  # an SMS and a note mention an invoice in the sample
        note = next(r for r in expected if r["kind"] == "notes")
        page.locator(f".results li[data-rid='{note['_rid']}'] .hit").click()
        frame = page.locator(".note-frame")
        assert frame.get_attribute("sandbox") == ""  # the note's HTML can run nothing
        assert note["title"] in page.frame_locator(".note-frame").locator("body").inner_text()
        shot(page, "6-search")

        # 5. Links & QR codes: most serious first; the fake red-packet link with its warning, opened in its chat.
        report = analyse_case(case, workers=1)
        counts = report.counts()
        entry = page.locator("#sidebar a.links-entry")
        entry.locator(".danger-n").wait_for()
        assert entry.locator(".n").inner_text().replace(",", "") == str(counts["links"] + counts["codes"])
        assert entry.locator(".danger-n").inner_text() == str(counts["match"] + counts["danger"])
        entry.click()
        rows = page.locator(".linklist > li")
        rows.first.wait_for()
        severities = rows.evaluate_all("els => els.map(e => e.dataset.severity)")
        order = {"match": 0, "danger": 1, "caution": 2, "ok": 3}
        assert severities == sorted(severities, key=order.__getitem__) and severities[0] in {"match", "danger"}
        fake = rows.filter(has=page.locator("code.linkurl", has_text=FAKE_RED_PACKET)).filter(
            has_text="Link in a message")
        assert fake.locator(".badge.sev").inner_text() == "Looks dangerous"
        assert "payment or red-packet page" in fake.locator(".why li").inner_text()
        source = next(i for i in report.items if i.url == FAKE_RED_PACKET and i.found_in == "text")
        assert source.chat in fake.locator(".where").inner_text()
        code = rows.filter(has=page.locator(".linkthumb")).filter(has_text="redpacket?id=2")
        assert "QR code in a picture: web link" in code.locator(".meta").inner_text()
        code.scroll_into_view_if_needed()
        width = code.locator(".linkthumb img").evaluate(
            "img => img.naturalWidth || new Promise(ok => { img.onload = () => ok(img.naturalWidth); })")
        assert width > 0  # the picture the code was found in, as a thumbnail
        shot(page, "12-links")
        fake.locator("a.linkhit").click()
        opened = page.locator(f".detailpane .msg.hit[data-rid='{source.rid}']")
        assert FAKE_RED_PACKET in opened.locator(".text").inner_text()
        shot(page, "13-link-in-context")
        page.check("#links-dangerous")
        page.locator(".linklist > li").first.wait_for()
        assert set(page.locator(".linklist > li").evaluate_all("els => els.map(e => e.dataset.severity)")) <= {
            "match", "danger"}

        # 6. The locked note: type its password, the backup is read again, the note opens.
        page.locator("#sidebar a.kind[data-kind='notes']").click()
        banner = page.locator(".banner.lock")
        assert "2 notes are locked" in banner.inner_text() and PASSWORD_HINT in banner.inner_text()
        banner.get_by_role("button", name="Unlock notes…").click()
        page.fill("#note-password", NOTES_PASSWORD)
        shot(page, "14-unlock-notes")
        page.locator("#unlock-dialog button[type=submit]").click()
        page.wait_for_function("() => location.hash === '#/scan'")
        page.wait_for_function("() => location.hash === '#/k/notes'", timeout=120_000)  # back when scanned
        case.close()
        case = CaseReader(session.case_dir)  # the new scan's case
        wifi = next(r for r in case.records("notes") if r["title"] == "Wi-Fi and door codes")
        assert wifi["unlocked"] is True
        page.locator(".cardlist li").filter(has_text="Wi-Fi and door codes").locator("a").click()
        assert "BlueFox-5G" in page.frame_locator(".note-frame").locator("body").inner_text()
        assert page.locator(".detail .banner.lock").count() == 0
        shot(page, "15-unlocked-note")

        # 7. Tick two photos and recover them into a folder.
        page.locator("#sidebar a.kind[data-kind='photos']").click()
        tiles = page.locator(".grid .tile")
        tiles.nth(1).wait_for()
        chosen = [int(tiles.nth(i).get_attribute("data-rid")) for i in (0, 1)]
        for i in (0, 1):
            tiles.nth(i).locator("input.pick").check()
        assert page.locator("#sel-count").inner_text() == "(2)"
        shot(page, "7-photos")
        page.click("#recover-open")
        out = tmp_path / "Recovered photos"
        page.fill("#out-folder", str(out))
        shot(page, "8-recover-dialog")
        page.locator("#recover-dialog button[type=submit]").click()
        page.locator("#recover-dialog .result.ok").wait_for(timeout=60_000)
        assert str(out) in page.locator("#recover-dialog .result").inner_text()
        shot(page, "9-recovered")
        written = {sha256(p) for p in out.rglob("*") if p.is_file()}
        assert (out / "manifest.sha256").is_file()
        for rid in chosen:
            original = case.record(rid)["media"]
            assert case.media_path(original["sha256"]) is not None
            assert original["sha256"] in written  # the photo itself, bit for bit as in the case
        not_chosen = [r for r in case.records("photos") if r["_rid"] not in chosen and r["media"]["sha256"]]
        assert not any(r["media"]["sha256"] in written for r in not_chosen
                       if r["media"]["sha256"] not in {case.record(c)["media"]["sha256"] for c in chosen})
        page.keyboard.press("Escape")

        # 8. A phone-sized screen: one pane at a time, with a way back.
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        phone.goto(server.url)
        phone.locator("#sidebar a.kind[data-kind='wechat']").click()
        phone.locator(".chatlist a.chat").filter(has_text=GROUP).click()
        phone.locator(f".msg[data-rid='{message['_rid']}']").wait_for()
        assert phone.locator(".listpane").is_hidden()
        shot(phone, "10-phone-chat")
        phone.locator(".detailpane .back").click()
        phone.locator(".chatlist").wait_for()
        assert phone.locator(".listpane").is_visible()
        shot(phone, "11-phone-list")
        phone.locator("#sidebar a.links-entry").click()
        phone.locator(".linklist > li").first.wait_for()
        shot(phone, "16-phone-links")
        phone.locator(".linklist > li a.linkhit").first.click()
        phone.locator(".detailpane .back").wait_for()
        assert phone.locator(".listpane").is_hidden()
        phone.locator(".detailpane .back").click()
        phone.locator(".linklist").wait_for()
        case.close()
    finally:
        server.stop()
    assert errors == []


def test_page_scripts_are_es_modules_served_as_javascript(tmp_path: Path) -> None:
    """Every module the page imports (from static/app.js on) is served, as JavaScript, from this server only."""
    import re

    from test_web_support import client_for

    client = client_for(WebSession(work_dir=tmp_path / "work"))
    page = client.get("/").text
    assert re.search(r'<script type="module" src="/static/app\.js\?v=[^"]+"></script>', page)
    assert "<script>" not in page  # nothing inline: the policy forbids it
    seen: set[str] = set()
    todo = ["/static/app.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/javascript"), path
        assert response.headers["cache-control"] == "no-cache"  # modules are imported without a version
        assert "script-src 'self'" in response.headers["content-security-policy"]
        text = response.text
        assert text.startswith("// "), f"{path} has no header comment"
        assert text.count("\n") < 300, f"{path} is too long"
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f"{path} names an outside address"
        base = path.rsplit("/", 1)[0]
        for target in re.findall(r"^import .* from '(\.{1,2}/[\w/]+\.js)';$", text, flags=re.M):
            parts = f"{base}/{target}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            todo.append("/".join(resolved))
    on_disk = {f"/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*.js")}
    assert seen == on_disk  # every module is reachable from app.js, and no import points at a missing file


def test_only_recovered_empty_lists_and_recover_folder(tmp_path: Path, browser: Any) -> None:
    """What a person sees when a list is empty, when only recovered items are shown, and with no folder typed."""
    from test_web_support import build_demo_case

    damage = "Manifest.db is damaged (cut short: 1,000 of its 4,096 bytes): 3 file entries were read from it"
    build_demo_case(tmp_path / "case", warnings=(damage,), note_warnings=("NoteStore.sqlite is damaged",))
    session = WebSession(case_dir=tmp_path / "case", work_dir=tmp_path / "work")
    server = Server(session, port=0, access_log=False)
    server.start()
    errors: list[str] = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(20_000)
        page.goto(server.url)
        page.locator("#sidebar a.kind").first.wait_for()
        case = CaseReader(session.case_dir)
        # What is wrong with the source stays in sight beside the device's name.
        assert page.locator("#device .warn").inner_text() == f"⚠ {damage}"
        # A kind read with warnings is marked in the list of kinds, its warnings in full on hover.
        marked = page.locator("#sidebar a.kind .warn")
        assert marked.count() == 1 and marked.get_attribute("title") == "NoteStore.sqlite is damaged"
        assert page.locator("#sidebar a.kind[data-kind='webnotes'] .warn").count() == 1

        # A search that finds nothing says so, with the words searched for.
        page.fill("#search-input", "zebra")
        page.press("#search-input", "Enter")
        assert page.locator(".results li.empty").inner_text() == "Nothing matches “zebra”. Try fewer or shorter words."

        # "Only recovered" applies to search too: only the deleted message about the invoice.
        page.check("#only-deleted")
        page.fill("#search-input", "invoice")
        page.press("#search-input", "Enter")
        page.locator(".results li .hit").first.wait_for()
        shown = {int(r) for r in page.locator(".results li").evaluate_all("els => els.map(e => e.dataset.rid)")}
        everything = {r["_rid"]: r for r in case.search("invoice", limit=50)}
        assert len(everything) > len(shown) == 1 and all(everything[rid]["deleted"] for rid in shown)
        assert page.locator(".pane-head .muted").inner_text() == "1 recovered found"
        page.fill("#search-input", "roof")  # only in a live note
        page.press("#search-input", "Enter")
        assert page.locator(".results li.empty").inner_text() == (
            "No recovered (deleted) item matches “roof”. Untick “Only recovered (deleted) items” to search everything.")

        # Leaving the results empties the search box; a list with nothing recovered says why.
        page.locator("#sidebar a.kind[data-kind='webcontacts']").click()
        assert page.input_value("#search-input") == ""
        assert page.locator("#listpane .empty-list").inner_text() == (
            "Nothing recovered (deleted) here. Untick “Only recovered (deleted) items” to see everything.")
        page.locator("#sidebar a.kind[data-kind='webchat']").click()
        page.locator(".chatlist li").first.wait_for()
        assert page.locator(".chatlist li").evaluate_all("els => els.map(e => e.dataset.chat)") == ["bob"]
        assert page.locator(".pane-head .muted").inner_text() == "1 of 2 conversations, with recovered messages"
        page.uncheck("#only-deleted")
        page.locator(".chatlist li[data-chat='family@chatroom']").wait_for()
        assert page.locator(".pane-head .muted").inner_text() == "2 conversations"

        # Recover with no folder typed: told what to do, in the dialog, before anything is sent.
        page.click("#recover-open")
        page.locator("#recover-dialog button[type=submit]").click()
        result = page.locator("#recover-dialog .result.bad")
        assert result.inner_text().startswith("Type the folder to save into")
        assert page.evaluate("document.activeElement.id") == "out-folder"
        page.keyboard.press("Escape")


        # "Open another backup", then back to the case without scanning again.
        page.get_by_role("button", name="Open another backup").click()
        page.get_by_role("link", name="‹ Back to what was found").click()
        page.locator("#sidebar a.kind").first.wait_for()
        case.close()
    finally:
        server.stop()
    assert errors == []
