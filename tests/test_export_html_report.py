"""The HTML report of the sample backup, as a person opens it: every link and media file it points
to exists, deleted messages can be found from the conversation list, and labels are plain words."""

from __future__ import annotations

import contextlib
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reclaim.case.people import colour, initials
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export import export_case
from reclaim.sources import open_source


class _Refs(HTMLParser):
    """Collects every href/src of a page and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src", "poster") and value:
                self.refs.append(value)
            elif key == "id" and value:
                self.ids.add(value)


def parse(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text(encoding="utf-8"))
    return refs


@pytest.fixture(scope="module")
def report(sample_backup: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of the plain sample backup, deleted records included."""
    base = tmp_path_factory.mktemp("report")
    with open_source(sample_backup) as fs:
        scan(fs, base / "case")
    export_case(base / "case", base / "out", formats=["html", "links"])
    return base / "out"


def test_every_link_and_media_file_exists(report: Path) -> None:
    pages = sorted(report.rglob("*.html"))
    assert len(pages) > 40
    parsed = {page.resolve(): parse(page) for page in pages}
    checked, broken = 0, []
    for page, refs in parsed.items():
        for ref in refs.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue  # web links are the person's data, never opened
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_relative_to(report.resolve()) or not target.is_file():
                broken.append(f"{page.relative_to(report.resolve())}: {ref}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parsed[target].ids:
                broken.append(f"{page.relative_to(report.resolve())}: {ref} (no such anchor)")
    assert checked > 250
    assert broken == []


def test_recovered_messages_listed_and_reachable(report: Path) -> None:
    index = report / "report" / "messages" / "index.html"
    text = index.read_text(encoding="utf-8")
    assert '<h2 id="recovered">Recovered messages</h2>' in text
    item = r'<li><a href="([^"]+)">([^<]+)</a>.*?</span> · (.*?) <span class="badge">recovered ([^<]+)</span>'
    listed = re.findall(item, text)
    # The sample's 7 deleted iMessages/SMS and a reaction deleted on its own, each once, and a file left behind.
    assert len(listed) == 9
    by_text = {body: (href, chat, where) for href, chat, body, where in listed}
    assert [(c, w) for _, c, _, w in listed if w == "from a file the app left behind"] == [
        ("Attachments without a message", "from a file the app left behind")]
    href, chat, where = by_text["you: I&#39;m thinking of quitting my job"]
    assert chat == "Priya Patel" and where == "from the database&#39;s free space"
    page, anchor = href.split("#")
    transcript = (index.parent / page).read_text(encoding="utf-8")
    bubble = transcript[transcript.index(f'id="{anchor}"'):]
    assert bubble.index("I&#39;m thinking of quitting my job") < bubble.index("</div>\n  </div>")
    assert "4 recovered messages on this page" in transcript
    assert 'title="recovered from ' in transcript and "recovered from freeblock<" not in transcript


def test_media_a_browser_cannot_show_is_a_download(report: Path) -> None:
    pages = "".join(p.read_text(encoding="utf-8") for p in (report / "report" / "wechat").rglob("page-*.html"))
    images = re.findall(r'<img [^>]*src="([^"]+)"', pages)
    assert images and all(src.rsplit(".", 1)[-1] in ("jpg", "png", "gif") for src in images)
    assert re.search(r'<a href="[^"]+">176\.wxgf</a>', pages)  # the WeChat wxgf picture: a file to save
    players = re.findall(r'<audio controls preload="none" src="([^"]+)"', pages)
    assert players and all(src.endswith(".wav") for src in players)


def test_locked_note_says_how_to_read_it(report: Path) -> None:
    notes = (report / "report" / "notes" / "index.html").read_text(encoding="utf-8")
    card = notes[notes.index("Passport and PINs"):]
    card = card[:card.index("</article>")]
    assert "🔒 <strong>Locked note.</strong>" in card and "(hint: “same as the old notes one”)" in card
    assert "<dt>Pinned</dt><dd>no</dd>" not in notes and "<dt>Pinned</dt><dd>yes</dd>" in notes  # only "yes" flags


PHONE_PAGES = ["index.html", "report/messages/index.html", "report/wechat/index.html", "report/voicemail/index.html",
               "report/safari-history/index.html", "report/notes/index.html", "report/photos/index.html",
               "report/links/index.html", "report/wechat/0001-家人群/page-1.html",
               "report/messages/0010-Priya-Patel/page-1.html", "report/whatsapp/0004-Weekend-Hikers/page-1.html"]

_OVERFLOW = """() => { const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')].filter(e => {
    const box = e.getBoundingClientRect();  // a wide table scrolls inside its own box, not the page
    return box.width > 0 && box.right > width + 1 && !e.closest('.scroll');
  }).slice(0, 5).map(e => e.tagName + '.' + e.className); }"""


@pytest.mark.browser
def test_phone_width_no_overflow_no_console_errors_media_load(report: Path) -> None:
    """At 390 px nothing sticks out sideways, no page logs an error, pictures decode and voice plays."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            page = chromium.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            for rel in PHONE_PAGES:
                page.goto((report / rel).as_uri())
                page.wait_for_load_state("load")
                assert page.evaluate(_OVERFLOW) == [], rel
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, rel
                narrowest = page.evaluate("Math.min(...[...document.querySelectorAll('td')].filter(c => c.innerText"
                                          ".trim() && c.getClientRects().length).map(c => c.offsetWidth), 1e9)")
                assert narrowest >= 80, rel  # table cells are readable, not one letter a line
            assert errors == []

            page.goto((report / "report/wechat/0001-家人群/page-1.html").as_uri())
            images = page.locator(".bubble img")
            assert images.count() > 0
            for i in range(images.count()):
                images.nth(i).scroll_into_view_if_needed()
                images.nth(i).evaluate("img => img.decode()")
                assert images.nth(i).evaluate("img => img.naturalWidth") > 0
            page.goto((report / "report/photos/index.html").as_uri())
            page.wait_for_function("[...document.querySelectorAll('video')].every(v => v.readyState > 0)"
                                   " || document.querySelectorAll('a.cannot-play').length > 0")
            page.wait_for_timeout(300)
            videos, saves = page.locator(".gallery video").count(), page.locator(".gallery a.cannot-play")
            assert videos + saves.count() == 3  # a video plays, or is a link to save it: never a blank box
            assert all((report / "report/photos" / a.get_attribute("href")).resolve().is_file() for a in saves.all())

            page.goto((report / "report/wechat/0013-奶奶/page-1.html").as_uri())
            audio = page.locator(".bubble audio").first
            duration = audio.evaluate("""a => new Promise(done => { a.preload = 'metadata';
                a.onloadedmetadata = () => done(a.duration); a.onerror = () => done(-1); a.load(); })""")
            assert duration > 0
        finally:
            chromium.close()


def test_sender_names_only_in_group_chats(report: Path) -> None:
    one_to_one = (report / "report/messages/0010-Priya-Patel/page-1.html").read_text(encoding="utf-8")
    group = (report / "report/messages/0001-Climbing-Crew/page-1.html").read_text(encoding="utf-8")
    assert '<div class="who">' not in one_to_one  # the owner's name on outgoing messages is no second person
    assert '<div class="who">Jamie Lee</div>' in group and '<div class="who">Leo King</div>' in group


_MESSAGE = re.compile(r'<div class="msg (\w+)[^"]*"[^>]*>\n(?:<img class="av" src="([^"]+)" alt="">|'
                      r'<span class="av c(\d)" aria-hidden="true">([^<]*)</span>)?')


@pytest.mark.parametrize(("kind", "chat"), [("wechat", "家人群"), ("messages", "Mum"), ("whatsapp", "Weekend Hikers")])
def test_each_message_has_its_sender_s_face(report: Path, kind: str, chat: str) -> None:
    """Beside each message its sender's picture when the case has one (a WeChat avatar by username, a contact's
    photo by phone number: SMS, the owner's own card, WhatsApp numbers), else their initials on their colour;
    nothing beside a system line."""
    page = next((report / "report" / kind).glob(f"*-{chat.replace(' ', '-')}/page-1.html"))
    shown = _MESSAGE.findall(page.read_text(encoding="utf-8"))
    with CaseReader(report.parent / "case") as case:
        pictures = case.pictures()
        chat_id = next(c["chat_id"] for c in case.chats(kind) if c["chat"] == chat)
        records = list(case.records(kind, chat_id=chat_id))
    assert len(shown) == len(records)
    faces = {"picture": 0, "initials": 0}
    for record, (direction, src, tint, letters) in zip(records, shown, strict=True):
        assert direction == record["direction"]
        picture = pictures.find(record["sender_id"])
        if direction == "system":
            assert not src and not letters
        elif picture is not None:
            data = (page.parent / src).read_bytes()
            assert hashlib.sha256(data).hexdigest() == picture["sha256"]
            faces["picture"] += 1
        else:
            assert (letters, int(tint)) == (initials(record["sender"]), colour(record["sender_id"] or record["sender"]))
            faces["initials"] += 1
    assert faces["picture"] and (faces["initials"] or kind == "messages"), faces  # the groups show both


@pytest.mark.parametrize(("kind", "pictured", "initialled"), [
    ("wechat", ["Mum", "Dad"], {"家人群": "家", "Hiking Club 🥾": "HC", "陈建国": "陈"}),
    ("messages", ["Mum", "Sam Carter"], {"Climbing Crew 🧗": "CC", "+447700900011": "+"}),
    ("whatsapp", ["Sam Taylor", "Priya Shah"], {"Weekend Hikers": "WH"}),
])
def test_the_conversation_list_shows_who_each_chat_is_with(report: Path, kind: str, pictured: list[str],
                                                          initialled: dict[str, str]) -> None:
    """A one-to-one chat's row has the picture of the person it is with (by the chat's username, handle or number),
    a group's its initials."""
    index = (report / "report" / kind / "index.html").read_text(encoding="utf-8")
    rows = dict((name, face) for face, name in re.findall(r'<div class="conv">(.*?)<a href="[^"]+">([^<]+)</a>', index))
    with CaseReader(report.parent / "case") as case:
        pictures = case.pictures()
        ids = {c["chat"]: c["chat_id"] for c in case.chats(kind)}
        whatsapp = {c["name"]: c["photo"] for c in case.records("whatsapp-contacts")}
    for name in pictured:
        src = re.fullmatch(r'<img class="av" src="([^"]+)" alt="">', rows[name]).group(1)
        data = (report / "report" / kind / src).read_bytes()
        assert hashlib.sha256(data).hexdigest() == pictures.for_chat(ids[name])["sha256"]
    if kind == "whatsapp":  # the picture WhatsApp cached for her, not found in the address book
        assert pictures.for_chat(ids["Priya Shah"])["sha256"] == whatsapp["Priya Shah"]["sha256"]
    for name, letters in initialled.items():
        face = rf'<span class="av c\d" aria-hidden="true">{re.escape(letters)}</span>'
        assert re.fullmatch(face, rows[name]), rows[name]


def test_a_chat_named_like_a_vanity_number_is_nobody_s() -> None:
    """``chat831…`` read as keypad digits could end like someone's number: a chat id is looked up only when it is a
    handle (a number, an address, a WeChat username), so it gets no one's picture."""
    from reclaim.artifacts._phone import handle_key
    from reclaim.case.people import Pictures

    picture = {"sha256": "ab" * 32, "mime": "image/jpeg"}
    pictures = Pictures({handle_key("chat831039203581098256"): picture, "wxid_mum": picture})
    assert pictures.find("chat831039203581098256") is picture  # (a message's sender id is a real handle)
    assert pictures.for_chat("messages:chat831039203581098256") is None
    assert pictures.for_chat("wxid_owner:wxid_mum") is picture
    assert pictures.for_chat("wxid_owner:1234@chatroom") is None and pictures.for_chat("") is None


def test_a_system_line_shows_no_empty_card(report: Path) -> None:
    """WhatsApp's system lines carry a card of event codes only: the line is shown, not a box saying "system"."""
    page = next((report / "report/whatsapp").glob("*-Weekend-Hikers/page-1.html")).read_text(encoding="utf-8")
    assert "You created the group" in page and '<div class="ct">system</div>' not in page


def test_headings_read_as_words(report: Path) -> None:
    """Field names become headings as the web page shows them: "all_day" → "All day", "job_title" → "Job title"."""
    calendar = (report / "report/calendar/index.html").read_text(encoding="utf-8")
    contacts = (report / "report/contacts/index.html").read_text(encoding="utf-8")
    assert "<th>All day</th>" in calendar and "<th>all day</th>" not in calendar
    assert "<dt>Job title</dt><dd>Architect</dd>" in contacts


def test_links_page_names_kinds_by_their_titles(report: Path) -> None:
    page = (report / "report/links/index.html").read_text(encoding="utf-8")
    assert "<td>WeChat<br>" in page and "<td>Messages<br>" in page and "<td>wechat<br>" not in page
    assert "warnings apply. reclaim never opens these links." in page


def test_the_conversation_list_counts_files_no_longer_on_the_phone(report: Path) -> None:
    """Missing media is listed per chat: each row counts its conversation's files the source no longer holds."""
    index = (report / "report/wechat/index.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<a href="[^"]+">([^<]+)</a></div></td><td>(.*?)</td>', index))
    with CaseReader(report.parent / "case") as case:
        expected = {}
        for chat in case.chats("wechat"):
            expected[chat["chat"]] = sum(1 for r in case.records("wechat", chat_id=chat["chat_id"])
                                         for a in r["attachments"] if a.get("missing"))
        ids = {c["chat"]: c["chat_id"] for c in case.chats("wechat")}
        by_chat = case.missing_files_by_chat("wechat")  # what the CLI and the web page's chat list show
    assert expected["Mum"] and not expected["Daily Tech News"]
    assert by_chat == {ids[name]: count for name, count in expected.items() if count}
    for name, count in expected.items():
        said = re.search(r"([\d,]+) files? no longer on the phone", rows[name])
        assert (int(said.group(1).replace(",", "")) if said else 0) == count, name
    assert "Pictures and files the phone no longer had" in index


def test_a_wechat_contact_card_opens_the_conversation(report: Path) -> None:
    """A WeChat contact's card links to the conversation with them (its first page), a contact with none has no
    link; the link's target exists (checked for every link by the first test)."""
    cards = (report / "report/wechat-contacts/index.html").read_text(encoding="utf-8")
    links = {}
    for tile in cards.split('<article class="tile">')[1:]:
        title = re.search(r'<div class="t">([^<]*)', tile).group(1).strip()
        link = re.search(r'<a href="([^"]+)">Open the conversation</a>', tile)
        if link:
            links[title] = link.group(1)
    with CaseReader(report.parent / "case") as case:
        chats = {c["chat"] for c in case.chats("wechat")}
        contacts = [r for r in case.records("wechat-contacts") if r["category"] != "account"]
    with_chat = {r["name"] for r in contacts if r["name"] in chats}
    assert set(links) == with_chat and "Mum" in links and len(with_chat) < len(contacts)
    page = (report / "report/wechat-contacts" / links["Mum"]).resolve()
    assert page.is_file() and "<h1>Mum</h1>" in page.read_text(encoding="utf-8")


def test_initials() -> None:
    assert [initials(n) for n in ("Sam Carter", "Zhang Wei (work)", "王小明", "Mum", "", "  ", "émile zola x")] == \
        ["SC", "ZW", "王", "M", "?", "?", "ÉZ"]


def test_overview_in_plain_words(report: Path) -> None:
    index = (report / "index.html").read_text(encoding="utf-8")
    assert '<span title="itunes-backup">iTunes / Finder backup</span>' in index
    assert "times shown in " in index and "(UTC" in index  # the zone every time is shown in is named
    tiles = re.findall(r'<div class="t">([^<]+)</div>\s*<div class="n">([\d,]+)', index)
    assert ("Messages", "246") in tiles and ("WeChat", "2,873") in tiles
    empty = index[index.index('<div class="t">iCloud Drive</div>'):]  # a kind with nothing says why
    shown = r'<div class="t">iCloud Drive</div>\s*<div class="n">0</div>\s*<div class="small muted">no iCloud'
    assert re.match(shown, empty)


def test_zone_label_names_both_offsets_of_a_summer_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from reclaim.export.clock import LocalClock
    from reclaim.export.html import local_zone_label

    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        assert local_zone_label() == "Europe/London time (GMT, UTC+00:00 / BST, UTC+01:00)"
        clock = LocalClock()  # its own cache: the report's clock keeps the process's zone
        assert clock.local("2024-01-10T12:00:00Z") == "2024-01-10 12:00"
        assert clock.local("2024-07-10T12:00:00Z") == "2024-07-10 13:00"
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        assert local_zone_label() == "Asia/Shanghai time, CST (UTC+08:00)"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_all_day_items_show_their_day_and_cards_without_a_name_a_readable_heading() -> None:
    """An all-day event is a day, not midnight shifted into a zone; a Moments post is headed by its text."""
    from reclaim.export.html import ItemView

    event = {"kind": "calendar", "id": "calendar:7", "date": "2024-05-27T00:00:00Z", "summary": "Bank holiday",
             "start": "2024-05-27T00:00:00Z", "end": "2024-05-28T00:00:00Z", "all_day": True}
    row = ItemView(event, None, "table.html", ["summary", "start", "end"])  # type: ignore[arg-type]
    assert (row.cells, row.date) == (["Bank holiday", "2024-05-27", "2024-05-28"], "2024-05-27")
    timed = ItemView({**event, "all_day": False}, None, "table.html", ["start"])  # type: ignore[arg-type]
    assert re.fullmatch(r"2024-05-2[67] \d\d:\d\d", timed.cells[0])
    post = {"kind": "wechat-moments", "id": "wechat-moments:wxid_a:1412", "date": "2024-04-20T08:00:00Z",
            "text": "外滩夜景\nsecond line", "author": "Lin"}
    assert ItemView(post, None).title == "外滩夜景"  # type: ignore[arg-type]


def test_table_drops_a_column_that_only_repeats_the_date() -> None:
    """A call's or an event's start is already the Date column; a column that differs somewhere stays."""
    from reclaim.export.html import _columns

    rows = [{"kind": "calendar", "date": "2024-05-27T09:00:00Z", "start": "2024-05-27T09:00:00Z",
             "end": "2024-05-27T10:00:00Z", "summary": "Dentist"},
            {"kind": "calendar", "date": "2024-05-28T09:00:00Z", "start": "2024-05-28T09:00:00Z",
             "end": "2024-05-28T09:30:00Z", "summary": "Gym"}]
    assert _columns(rows) == ["end", "summary"]
    undated = [*rows, {"kind": "calendar", "date": None, "start": "2024-06-01T09:00:00Z", "summary": "?"}]
    assert _columns(undated) == ["start", "end", "summary"]  # the undated event's start would be lost


def test_plain_bubbles_written_directly_are_the_template_s(report: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Chat pages write a message that is text alone without the template (quicker): the pages are byte for
    byte the ones the template alone writes, in 1:1 and group chats of Messages, WhatsApp and WeChat."""
    from reclaim.export import html

    written = []
    plain_html = html.MessageView.plain_html

    def counting(self: html.MessageView, group: bool) -> object:
        found = plain_html(self, group)
        written.append((found is not None, group))
        return found

    monkeypatch.setattr(html.MessageView, "plain_html", counting)
    export_case(report.parent / "case", tmp_path / "quick", formats=["html"])
    monkeypatch.setattr(html, "_PLAIN_BUBBLES", False)
    export_case(report.parent / "case", tmp_path / "template", formats=["html"])
    pages = sorted(p.relative_to(tmp_path / "quick") for p in (tmp_path / "quick").rglob("page-*.html"))
    assert len(pages) > 25 and {p.parts[1] for p in pages} >= {"messages", "whatsapp", "wechat"}
    for page in pages:
        assert (tmp_path / "quick" / page).read_bytes() == (tmp_path / "template" / page).read_bytes(), page
    assert sum(quick for quick, _ in written) > 300 and (True, True) in written  # in groups too
    assert sum(not quick for quick, _ in written) > 100  # the others through the template


def test_report_written_by_a_second_process_is_the_same(report: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With other formats to write, the report and links come from a child process meanwhile: every file is
    the one written in a single process (but the minute the report was made), and all are in the manifest."""
    from reclaim import child
    from reclaim.export import report_process

    started = []
    start = report_process.ReportProcess.start
    monkeypatch.setattr(report_process.ReportProcess, "start",
                        classmethod(lambda cls, *a: started.append(start(*a)) or started[-1]))
    apart = export_case(report.parent / "case", tmp_path / "apart", formats=["json", "html", "links"])
    monkeypatch.setattr(child, "can_start", lambda: False)
    here = export_case(report.parent / "case", tmp_path / "here", formats=["json", "html", "links"])
    assert started[0] is not None and started[1:] == [None]  # the second export had no child
    names = sorted(p.relative_to(tmp_path / "apart") for p in apart.files)
    assert names == sorted(p.relative_to(tmp_path / "here") for p in here.files) and len(names) > 100
    assert {n.parts[0] for n in names} >= {"json", "links", "report", "media", "index.html"}
    for name in names:
        if name.name != "index.html" or len(name.parts) > 1:
            assert (tmp_path / "apart" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    made = re.compile(r"<dt>Report made</dt><dd>[^<]*</dd>")
    assert made.sub("", (tmp_path / "apart/index.html").read_text()) == made.sub("", (tmp_path / "here/index.html")
                                                                                  .read_text())
    listed = (tmp_path / "apart/manifest.sha256").read_text(encoding="utf-8")
    assert all(f"  {name.as_posix()}\n" in listed for name in names)


def test_a_report_process_that_fails_says_why_in_one_line(report: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from reclaim.errors import ReclaimError
    from reclaim.export import report_process

    monkeypatch.setattr(report_process.child, "module_command", lambda module, *args: (
        [sys.executable, "-c", "import sys; print('noise', file=sys.stderr); sys.exit('OSError: disk full')"], {}))
    with pytest.raises(ReclaimError, match=r"^the HTML report could not be written: OSError: disk full$"):
        export_case(report.parent / "case", tmp_path / "out", formats=["json", "html"])


def test_an_export_that_fails_stops_the_report_process_and_what_it_started(
        report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report process may start workers (decoding QR codes) that hold its output pipes: stopping it after a
    failure here (a full disk) must stop them too, not wait for those pipes to close (it waited forever)."""
    import errno
    import os
    import signal
    import sys
    import threading

    from reclaim.export import report_process

    pid_file = tmp_path / "worker.pid"
    started = threading.Event()
    worker = ("import subprocess, sys, time, pathlib; "
              "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
              f"pathlib.Path({str(pid_file)!r}).write_text(str(w.pid)); time.sleep(600)")
    monkeypatch.setattr(report_process.child, "module_command",
                        lambda module, *args: ([sys.executable, "-c", worker], dict(os.environ)))

    def disk_full(*args: object, **kwargs: object) -> None:
        while not pid_file.exists() or not pid_file.read_text():  # the report process has its worker now
            started.wait(0.05)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sys.modules["reclaim.export"], "_formats", disk_full)
    failed: list[BaseException] = []

    def export() -> None:
        try:
            export_case(report.parent / "case", tmp_path / "out", formats=["json", "html"])
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=export, daemon=True)
    thread.start()
    thread.join(timeout=120)  # a watchdog, not a measure: it returns at once unless it hangs
    worker_pid = int(pid_file.read_text())
    try:
        assert not thread.is_alive(), "the export waited for the report process's worker"
        assert len(failed) == 1 and isinstance(failed[0], OSError) and failed[0].errno == errno.ENOSPC
        state = Path(f"/proc/{worker_pid}/stat")

        def gone() -> bool:  # killed (maybe not reaped yet: a zombie)
            with contextlib.suppress(FileNotFoundError):
                return state.read_text().split(") ")[1][0] == "Z"
            return True

        for _ in range(600):  # SIGKILL is delivered asynchronously: give it a moment to land
            if gone():
                break
            started.wait(0.05)
        assert gone(), "the report process's worker was left running"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker_pid, signal.SIGKILL)


@pytest.mark.parametrize("view", ["table", "cards", "gallery", "chat"])
def test_what_went_wrong_while_reading_a_kind_is_listed_on_its_page(tmp_path: Path, view: str) -> None:
    """A kind's warnings (a damaged database read around, a missing file) are spelled out on its page, and the
    overview's tile says there are some."""
    from test_web_support import Person

    from reclaim.artifacts.base import KindStatus
    from reclaim.case.store import CaseWriter

    writer = CaseWriter(tmp_path / "case")
    writer.add(Person(id="p:1", source="HomeDomain/Library/AddressBook/AddressBook.sqlitedb", name="Ann Lee"))
    warning = ("HomeDomain/Library/AddressBook/AddressBook.sqlitedb is damaged (Page 7: btreeInitPage() returns "
               "error code 11): read around the damage, 12 rows in 3 tables")
    writer.set_status(KindStatus(Person.KIND, "People", live=1, warnings=[warning, "a photo <is> missing"]), view, ())
    writer.close()
    export_case(tmp_path / "case", tmp_path / "out", formats=["html"])
    page = (tmp_path / "out" / "report" / Person.KIND / "index.html").read_text(encoding="utf-8")
    assert "2 warnings while reading this" in page
    assert f"<li>{warning}</li>" in page and "<li>a photo &lt;is&gt; missing</li>" in page
    assert "2 warnings: see the page" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_a_bubble_with_odd_values_goes_through_the_template() -> None:
    from reclaim.export.html import MessageView

    plain = MessageView({"text": "see <you> & 'them'", "date": "2024-01-01T10:00:00Z", "sender": "Sam"}, None)
    plain.new_day = True
    html = plain.plain_html(group=True)
    assert html is not None and "see &lt;you&gt; &amp; &#39;them&#39;" in html and '<div class="who">Sam</div>' in html
    assert MessageView({"text": 17, "date": "2024-01-01T10:00:00Z"}, None).plain_html(group=False) is None
    assert MessageView({"text": "x", "reactions": [{"reaction": "👍"}]}, None).plain_html(group=False) is None


def test_the_first_and_last_days_a_date_can_name_are_shown_not_a_traceback() -> None:
    """A recovered row's garbage can date a message 31 December 9999: shown (in UTC where local time would pass the
    last day), where the export stopped with OverflowError."""
    from datetime import timedelta, timezone

    from reclaim.export.clock import LocalClock

    east, west = LocalClock(timezone(timedelta(hours=5))), LocalClock(timezone(timedelta(hours=-5)))
    assert east.parts("9999-12-31T23:00:00Z") == ("23:00", "Friday 31 December 9999")
    assert west.parts("9999-12-31T23:00:00Z") == ("18:00", "Friday 31 December 9999")
    assert east.local("0001-01-01T00:30:00Z").endswith("05:30") and west.offset("0001-01-01T00:30:00Z") == "UTC+00:00"
    assert east.parts("2024-03-01T10:00:00Z") == ("15:00", "Friday 01 March 2024")
