"""Links & QR codes: URL finding, QR decoding of photographed-looking images, STIX 2 matching, warnings."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageFilter

from reclaim.artifacts.base import KindStatus, MediaRef, Record
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.errors import ReclaimError
from reclaim.export import export_case
from reclaim.links.analyse import analyse_case, links_in_record
from reclaim.links.iocs import load_indicators
from reclaim.links.qr import decode_image, payload_type
from reclaim.links.urls import find_urls, parse_url
from reclaim.links.warnings import check_link

T0 = datetime(2024, 4, 2, 8, 15, tzinfo=UTC)


def qr_image(text: str, *, scale: int = 6, rotate: float = 0, canvas: tuple[int, int] | None = None,
             jpeg_quality: int | None = None, blur: float = 0) -> bytes:
    """A QR code rendered by a real encoder, optionally made to look photographed or screenshotted."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=4)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if rotate:
        img = img.rotate(rotate, expand=True, fillcolor=(255, 255, 255))
    if canvas:
        big = Image.new("RGB", canvas, (236, 229, 221))
        big.paste(img, (canvas[0] // 3, canvas[1] // 2))
        img = big
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    if jpeg_quality:
        img.save(out, "JPEG", quality=jpeg_quality)
    else:
        img.save(out, "PNG")
    return out.getvalue()


STIX = {
    "type": "bundle", "id": "bundle--1", "objects": [
        {"type": "malware", "id": "malware--1", "name": "Pegasus", "is_family": True},
        {"type": "indicator", "id": "indicator--1", "pattern_type": "stix", "name": "NSO domain",
         "pattern": "[domain-name:value = 'bad-updates.example']"},
        {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
         "pattern": "[url:value = 'http://evil.example.net/x/landing'] OR [ipv4-addr:value = '203.0.113.9']"},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
         "source_ref": "indicator--1", "target_ref": "malware--1"},
    ]}


def test_find_urls_in_chat_text() -> None:
    text = "看这个：https://mp.weixin.qq.com/s/AbC123。还有 www.example.org/a?b=1) and (http://x.cn/p)"
    assert find_urls(text) == ["https://mp.weixin.qq.com/s/AbC123", "www.example.org/a?b=1", "http://x.cn/p"]
    assert parse_url("HTTP://Sub.Example.COM:8080/a").host == "sub.example.com"


@pytest.mark.parametrize(("url", "visible", "codes"), [
    ("https://apple-id-verify.com/login", None, ["lookalike"]),
    ("http://paypa1.com/", None, ["lookalike", "payment-page"]),
    ("https://bit.ly/3xYz", None, ["shortener"]),
    ("http://203.0.113.9/a", None, ["ip-address"]),
    ("https://dl.example.com/WeChat_8.0.apk", None, ["app-package"]),
    ("https://example.com/profile.mobileconfig", None, ["app-package"]),
    ("http://weixin-pay.example.top/redpacket?id=1", None, ["payment-page"]),
    ("https://xn--pple-43d.com/", None, ["punycode", "lookalike"]),
    ("https://login.evil.example/", "www.icloud.com", ["text-mismatch"]),
])
def test_warnings(url: str, visible: str | None, codes: list[str]) -> None:
    assert [w.code for w in check_link(url, visible)] == codes


ORDINARY = [
    "https://www.bbc.co.uk/news/world-asia-123", "https://mp.weixin.qq.com/s/xyz", "https://www.apple.com/iphone/",
    "https://support.apple.com/en-gb/HT201302", "https://weixin.qq.com/", "https://www.google.com/maps?q=pay+station",
    "https://en.wikipedia.org/wiki/Jim_Nettles", "https://github.com/ReagentX/Logria", "https://www.taobao.com/",
    "https://www.paypal.com/signin", "https://pay.weixin.qq.com/index.php", "https://www.jd.com/", "https://t.me/x",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.applebees.com/", "https://news.qq.com/a/1.htm",
    "https://www.zhihu.com/question/1", "https://www.amazon.co.uk/dp/B0", "https://chrissardegna.com/",
    "https://maps.apple.com/?ll=51.5,-0.12", "https://www.booking.com/hotel/gb/x.html", "https://www.nytimes.com/",
]


def test_no_false_warnings_on_ordinary_links() -> None:
    flagged = {u: [w.code for w in check_link(u)] for u in ORDINARY if check_link(u)}
    assert flagged == {}


def test_payload_types() -> None:
    assert payload_type("wxp://f2f0abcdef") == "WeChat Pay payment code"
    assert payload_type("https://weixin.qq.com/g/AbCdEf") == "WeChat group invite code"
    assert payload_type("https://qr.alipay.com/fkx123") == "Alipay payment code"
    assert payload_type("WIFI:S:Home;T:WPA;P:secret;;") == "Wi-Fi network settings"


@pytest.mark.parametrize("variant", [
    {}, {"rotate": 17}, {"rotate": 90}, {"scale": 3}, {"jpeg_quality": 35}, {"blur": 0.8, "jpeg_quality": 60},
    {"canvas": (1170, 2532), "scale": 5},  # small in a phone screenshot
])
def test_qr_decodes_photographed_variants(tmp_path: Path, variant: dict) -> None:
    path = tmp_path / "img"
    path.write_bytes(qr_image("https://weixin.qq.com/g/Fam1lyGr0up", **variant))
    codes = decode_image(path)
    assert [(c.text, c.format, c.payload) for c in codes] == [
        ("https://weixin.qq.com/g/Fam1lyGr0up", "QRCode", "WeChat group invite code")]


def test_non_images_and_plain_photos_have_no_codes(tmp_path: Path) -> None:
    (tmp_path / "text").write_bytes(b"not an image")
    photo = Image.radial_gradient("L").resize((800, 600)).convert("RGB")
    photo.save(tmp_path / "photo.jpg")
    assert decode_image(tmp_path / "text") == [] and decode_image(tmp_path / "photo.jpg") == []


def test_stix_and_plain_list_loading(tmp_path: Path) -> None:
    (tmp_path / "pegasus.stix2").write_text(json.dumps(STIX))
    (tmp_path / "scams.txt").write_text("# my list\nweixin-pay.example.top\nhttps://bit.ly/3xYz\n")
    iocs = load_indicators([tmp_path / "pegasus.stix2", tmp_path / "scams.txt"])
    assert len(iocs) == 5
    hit = iocs.match(parse_url("https://cdn.bad-updates.example/i"))
    assert [(m.indicator.name, m.how) for m in hit] == [("Pegasus", "subdomain")]
    assert [m.how for m in iocs.match(parse_url("http://evil.example.net/x/landing/"))] == ["url"]
    assert [m.how for m in iocs.match(parse_url("http://203.0.113.9/"))] == ["ip"]
    assert iocs.match(parse_url("https://not-bad-updates.example/")) == []
    (tmp_path / "broken.json").write_text("{oops")
    with pytest.raises(ReclaimError, match=r"broken\.json: not valid JSON"):
        load_indicators([tmp_path / "broken.json"])


@dataclass(kw_only=True)
class Msg(Record):
    KIND = "chatmsgs"
    chat_id: str
    chat: str
    sender: str
    direction: str = "incoming"
    text: str = ""
    card: dict | None = None
    attachments: list[MediaRef] = field(default_factory=list)


def test_links_in_record_reads_cards_and_note_html() -> None:
    record = {"kind": "notes", "html": '<p>see <a href="https://evil.example/x">www.icloud.com</a></p>',
              "text": "see www.icloud.com"}
    assert list(links_in_record(record)) == [("https://evil.example/x", "note", "www.icloud.com"),
                                             ("www.icloud.com", "note", None)]
    card = {"kind": "wechat", "text": "", "card": {"type": "link", "title": "红包", "url": "http://a.top/pay"}}
    assert list(links_in_record(card)) == [("http://a.top/pay", "card", "红包")]


def test_case_analysis_and_report(tmp_path: Path) -> None:
    writer = CaseWriter(tmp_path / "case")
    sha, size = writer.media.add_bytes(qr_image("https://bad-updates.example/install", rotate=8, jpeg_quality=70),
                                       "IMG_7.jpg", "image/jpeg")
    writer.add(Msg(id="m:1", date=T0, chat_id="g", chat="家人群", sender="二姨",
                   text="抢红包 http://weixin-pay.example.top/redpacket?id=1"))
    writer.add(Msg(id="m:2", date=T0, chat_id="g", chat="家人群", sender="Mum", deleted=True,
                   attachments=[MediaRef(name="IMG_7.jpg", sha256=sha, size=size, mime="image/jpeg")]))
    writer.add(Msg(id="m:3", date=T0, chat_id="s", chat="Sam", sender="Sam", text="https://www.bbc.co.uk/news"))
    writer.set_status(KindStatus("chatmsgs", "Chats", live=2, deleted=1), "chat", ())
    writer.close()
    (tmp_path / "p.json").write_text(json.dumps(STIX))

    with CaseReader(tmp_path / "case") as case:
        report = analyse_case(case, load_indicators([tmp_path / "p.json"]), workers=1)
        assert report.images_checked == 1
        by_url = {i.url: i for i in report.items}
        code = by_url["https://bad-updates.example/install"]
        assert (code.found_in, code.sender, code.deleted, code.severity) == ("qr", "Mum", True, "match")
        assert code.matches[0].indicator.name == "Pegasus"
        assert [w.code for w in by_url["http://weixin-pay.example.top/redpacket?id=1"].warnings] == ["payment-page"]
        assert by_url["https://www.bbc.co.uk/news"].severity == "ok"

        export_case(case, tmp_path / "out", formats=["html", "links"], iocs=[tmp_path / "p.json"])
    page = (tmp_path / "out" / "report" / "links" / "index.html").read_text()
    assert "Known threat: Pegasus" in page and "家人群" in page and "<img" in page
    rows = [json.loads(line) for line in (tmp_path / "out" / "links" / "links.jsonl").read_text().splitlines()]
    assert {r["severity"] for r in rows} == {"match", "danger", "ok"}
    assert "Links &amp; QR codes" in (tmp_path / "out" / "index.html").read_text()


def test_sample_backup_links_and_codes(sample_backup: Path, tmp_path: Path) -> None:
    """The sample's WeChat and Messages hold suspicious links and QR pictures; the check finds and explains them."""
    from reclaim.case.context import ScanOptions
    from reclaim.case.scan import scan
    from reclaim.sources import open_source

    with open_source(sample_backup) as fs:
        scan(fs, tmp_path / "case", kinds=["wechat", "messages"], options=ScanOptions(recover_deleted=False))
    with CaseReader(tmp_path / "case") as case:
        report = analyse_case(case, workers=1)
    found = {(i.url, i.found_in): i for i in report.items}
    invite = found["https://weixin.qq.com/g/AbCdEfGh1234", "qr"]
    assert (invite.payload, invite.chat, invite.severity) == ("WeChat group invite code", "家人群", "ok")
    fake = found["http://weixin-pay.example.top/redpacket?id=2", "qr"]
    assert [w.code for w in fake.warnings] == ["payment-page"] and fake.date == "2024-04-28T19:02:00Z"
    assert [w.code for w in found["http://weixin-pay.example.top/redpacket?id=1", "text"].warnings] == ["payment-page"]
    phish = found["https://apple-id-verify.com/unlock?u=alex&src=qr", "qr"]
    assert (phish.kind, phish.severity, [w.code for w in phish.warnings]) == ("messages", "danger", ["lookalike"])
    assert found["https://apple-id-verify.com/unlock?u=alex", "text"].severity == "danger"
