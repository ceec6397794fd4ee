"""WeChat message rendering, emoji codes, XML recovery, zstd rows and SILK voice, on payloads alone."""

from __future__ import annotations

import io
import wave

import pytest
import zstandard

from reclaim.artifacts.wechat import compression
from reclaim.artifacts.wechat.content import render, split_group_sender
from reclaim.artifacts.wechat.emoji import known_codes, replace_emoji
from reclaim.artifacts.wechat.xmltools import parse
from reclaim.media.silk import audio_kind, to_wav, wav_seconds
from reclaim.sample.content import _wechat_payloads as P
from reclaim.sample.content._wechat_media import amr_voice, silk_voice

NAMES = {"wxid_a": "Anna", "wxid_b": "Ben", "wxid_me": "Me"}


def name_of(username: str) -> str:
    return NAMES.get(username, username)


def test_emoji_codes_become_unicode() -> None:
    assert replace_emoji("好的[微笑][Smile] /::) [强] /:strong") == "好的🙂🙂 🙂 👍 👍"
    assert replace_emoji("[不存在的] [1] [OK]") == "[不存在的] [1] 👌"  # unknown codes are kept
    assert replace_emoji("/:,@-D vs /:,@P") == "😊 vs 🤭"  # longest legacy code wins
    assert known_codes() >= 300


def test_group_sender_prefix() -> None:
    assert split_group_sender("wxid_a:\n你好\n第二行") == ("wxid_a", "你好\n第二行")
    assert split_group_sender("no prefix: here") == ("", "no prefix: here")
    assert split_group_sender("<msg>:\n</msg>") == ("", "<msg>:\n</msg>")


def test_every_type_renders_what_a_reader_sees() -> None:
    r = render(34, P.voice(7300, 9000, "wxid_a"), name_of)
    assert (r.text, r.type_name, r.hints["voice_ms"]) == ("[Voice message 0:07]", "voice", 7300)
    r = render(43, P.video(75, 1000, "wxid_a", "m"), name_of)
    assert (r.text, r.sender_id) == ("[Video 1:15]", "wxid_a")
    r = render(48, P.location(31.230416, 121.473701, "上海市黄浦区人民大道", "人民广场", "wxid_a"), name_of)
    assert r.text == "[Location] 人民广场, 上海市黄浦区人民大道 (31.230416, 121.473701)"
    assert r.card["url"].startswith("https://www.openstreetmap.org/?mlat=31.230416&mlon=121.473701")
    r = render(42, P.contact_card("wxid_t", "Tom Becker", "tombecker", "Berlin", "Germany"), name_of)
    assert (r.text, r.card["type"], r.card["extra"]["username"]) == (
        "[Contact card] Tom Becker (tombecker)", "contact", "wxid_t")
    r = render(49, P.link("Ten tips", "for managers", "https://mp.weixin.qq.com/s?a=1&b=2", "wxid_a", "Daily"),
               name_of)
    assert (r.type_name, r.card["title"], r.card["url"]) == ("link", "Ten tips", "https://mp.weixin.qq.com/s?a=1&b=2")
    r = render(49, P.file("report.pdf", 245_760, "pdf", "abc", "wxid_a"), name_of)
    assert (r.text, r.hints["fileext"]) == ("[File] report.pdf (240.0 KB)", "pdf")
    r = render(49, P.transfer("￥520.00", "dinner", 3, "wxid_a", "wxid_me", "1000"), name_of)
    assert r.text == "[Transfer] ￥520.00 · dinner · accepted"
    assert (r.card["type"], r.card["extra"]["payer"], r.card["extra"]["receiver"]) == ("transfer", "Anna", "Me")
    r = render(49, P.red_packet("恭喜发财，大吉大利", "wxid_b"), name_of)
    assert (r.text, r.type_name) == ("[Red packet] 恭喜发财，大吉大利", "red-packet")
    r = render(49, P.mini_program("点外卖", "美团外卖", "wx2c3", "pages/index", "wxid_a"), name_of)
    assert (r.text, r.card["extra"]["app_id"]) == ("[Mini program] 美团外卖: 点外卖", "wx2c3")
    r = render(49, P.quote("Yes[OK]", 1, 77, "wxid_a", "wxid_a", "Anna W", "Dinner?", "wxid_me", 1), name_of)
    assert (r.text, r.quote["sender"], r.quote["text"], r.quote["server_id"]) == ("Yes👌", "Anna W", "Dinner?", "77")
    items = [{"datatype": "1", "dataid": "x1", "name": "Ben", "user": "wxid_b", "time": "2024-03-01 19:20",
              "text": "周六回家"},
             {"datatype": "2", "dataid": "x2", "name": "Anna", "user": "wxid_a", "time": "2024-03-01 19:21",
              "datafmt": "jpg"}]
    r = render(49, P.chat_history("聊天记录", items, "wxid_me"), name_of)
    assert r.text == "[Chat history] 聊天记录\n2024-03-01 19:20 Ben: 周六回家\n2024-03-01 19:21 Anna: [Photo]"
    assert [i["data_id"] for i in r.card["extra"]["items"]] == ["x1", "x2"]
    r = render(49, P.pat_app("wxid_a", "wxid_me", '"${wxid_a}" 拍了拍我', "wxid_a", 1), name_of)
    assert (r.text, r.system) == ('"Anna" 拍了拍我', True)
    r = render(10002, P.pat_sysmsg("wxid_a", "wxid_b", "g@chatroom", '"${wxid_a}" 拍了拍 "${wxid_b}"'), name_of)
    assert r.text == '"Anna" 拍了拍 "Ben"'
    r = render(50, P.voip(1, 4, 125), name_of)
    assert (r.text, r.card["extra"]["seconds"]) == ("[Voice call] duration 2:05", 125)
    assert render(50, P.voip(0, 1, 0), name_of).text == "[Video call] cancelled"
    r = render(10002, P.revoke("wxid_a", '"Anna" 撤回了一条消息', 5), name_of)
    assert (r.text, r.status, r.type_name) == ('"Anna" 撤回了一条消息', "recalled", "recalled")
    r = render(10002, P.invite_template("wxid_a", "Anna", [("wxid_b", "Ben"), ("wxid_c", "Cara")]), name_of)
    assert r.text == '"Anna"邀请"Ben、Cara"加入了群聊'
    assert render(10000, '<_wc_custom_link_ href="weixin://x">设置拍一拍</_wc_custom_link_>，朋友拍了拍你',
                  name_of).text == "设置拍一拍，朋友拍了拍你"
    r = render(47, P.sticker("d41d8cd98f00b204e9800998ecf8427e", "wxid_b", "g"), name_of)
    assert (r.text, r.sender_id, r.hints["md5"]) == ("[Sticker]", "wxid_b", "d41d8cd98f00b204e9800998ecf8427e")
    assert render(3, P.image("m" * 32, 100), name_of).text == "[Photo]"


def test_unknown_types_are_shown_not_dropped() -> None:
    r = render(12345, "<msg>secret</msg>", name_of)
    assert (r.text, r.type_name) == ("[Message type 12345] <msg>secret</msg>", "type-12345")
    r = render(49, "<msg><appmsg><title>New thing</title><type>888</type></appmsg></msg>", name_of)
    assert (r.text, r.type_name) == ("[App message] New thing", "app-888")


def test_broken_xml_is_recovered() -> None:
    root = parse('<?xml version="1.0"?>\n<msg><appmsg><url>https://a.cn/?x=1&y=2</url>\x08</appmsg></msg>')
    assert root is not None and root.find("appmsg/url").text == "https://a.cn/?x=1&y=2"
    assert parse("plain text") is None
    assert parse("<a><b></a>") is None


def test_zstd_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    compression.forget_dictionaries()
    monkeypatch.delenv(compression.ENV_VAR, raising=False)
    plain = zstandard.ZstdCompressor().compress("你好 plain".encode())
    assert compression.decode_message(plain) == compression.Decoded("你好 plain", "zstd", 0)
    samples = [f"message number {i} 今天 晚上 吃饭 {i * 7}".encode() for i in range(300)]
    zdict = zstandard.train_dictionary(1024, samples, dict_id=42, threads=1, k=64, d=8)
    framed = zstandard.ZstdCompressor(dict_data=zdict).compress("晚上吃饭吗".encode())
    assert compression.frame_dict_id(framed) == 42
    assert compression.decode_message(framed) == compression.Decoded(None, "unreadable", 42)
    assert compression.register_dictionary(zdict.as_bytes()) == 42
    assert compression.decode_message(framed).text == "晚上吃饭吗"
    compression.forget_dictionaries()
    assert compression.decode_message("already text").text == "already text"


def test_silk_voice_becomes_wav_of_the_right_length() -> None:
    data = silk_voice(2.5, 300)
    assert data[:10] == b"\x02#!SILK_V3" and audio_kind(data) == "silk"
    wav, mime = to_wav(data)
    assert mime == "audio/wav"
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
    assert wav_seconds(wav) == pytest.approx(2.5, abs=0.05)
    amr, mime = to_wav(amr_voice(10))  # WeChat's AMR-NB, its magic left out: ten 20 ms frames
    assert mime == "audio/wav"
    with wave.open(io.BytesIO(amr)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (8000, 1, 2, 1600)


def test_amr_voice_without_a_decoder_is_a_proper_amr_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from reclaim.media import audio

    monkeypatch.setattr(audio, "to_wav", lambda data: None)  # as without PyAV
    amr, mime = to_wav(amr_voice(10))
    assert mime == "audio/amr" and amr == b"#!AMR\n" + amr_voice(10)
    assert to_wav(b"not audio") is None


def test_fast_json_matches_the_generic_form() -> None:
    from datetime import UTC, datetime

    from reclaim.artifacts.base import MediaRef, Provenance, Record
    from reclaim.artifacts.wechat.records import WeChatMessage

    msg = WeChatMessage(id="wechat:a:b:1", date=datetime(2024, 3, 2, 11, 15, tzinfo=UTC), deleted=True,
                        provenance=Provenance("freeblock", 3, 100, None, 0.8, True), chat="Mum", text="hi",
                        attachments=[MediaRef(name="1.jpg", sha256="ab" * 32, role="hd")],
                        card={"type": "link", "extra": {"n": 1}}, quote={"sender": "A", "text": "q"}, local_id=1)
    assert msg.to_json() == Record.to_json(msg)
