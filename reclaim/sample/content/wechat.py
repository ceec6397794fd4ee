"""WeChat for iOS in the sample backup: one account with ~3,000 messages in 16 chats.

Everything is laid out as the public reference (docs/kinds/wechat.md) describes
WeChat 8.0.4x-8.0.5x: an account folder ``Documents/<md5(wxid)>/`` with
``DB/MM.sqlite`` (old column order) and sharded ``DB/message_1..3.sqlite``
(alphabetical column order, zstd-compressed rows in the third), contacts with
protobuf blobs, groups with member lists, session list and data files, the
full-text index, official-account messages, media files (real JPEG, SILK,
AMR, MP4, PDF), deleted rows left in free space and in a ``-wal``, and rows
only committed to the ``-wal``. Deterministic: seeded RNG and fixed dates.
"""

from __future__ import annotations

import plistlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import zstandard

from reclaim.sample.content import _wechat_payloads as P
from reclaim.sample.content._qr import qr_screenshot
from reclaim.sample.content._wechat_media import (
    amr_voice,
    gif,
    jpeg,
    keyed_archive,
    mmkv,
    mp4,
    pb,
    pdf,
    silk_voice,
    varint,
)
from reclaim.sample.content._wechat_people import (
    DAD,
    FAMILY_GROUP,
    FAMILY_MEMBERS,
    FAMILY_NAME,
    FILEHELPER,
    FRIENDS,
    GRANDMA,
    HIKING_GROUP,
    HIKING_MEMBERS,
    HIKING_NAME,
    JUN,
    KAI,
    LANDLORD,
    LILY,
    MARTA,
    MEI,
    MUM,
    OFFICIAL,
    OFFICIAL_NAME,
    OWNER,
    OWNER_ALIAS,
    OWNER_NAME,
    PRIYA,
    PROMO,
    SAM,
    STRANGER,
    STRANGERS,
    TOM,
    UNCLE,
    ZHANG,
    Person,
    md5,
)
from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "AppDomain-com.tencent.xin"
GROUP_DOMAIN = "AppDomainGroup-group.com.tencent.xin"
ACCOUNT = md5(OWNER)
ROOT = f"Documents/{ACCOUNT}"
WECHAT_VERSIONS = ["8.0.44", "8.0.47", "8.0.49"]
#: zstd dictionary ids: the one tests supply, and the one nobody has (as in real backups).
DICT_PROVIDED, DICT_MISSING = 4, 5
START = datetime(2023, 10, 1, tzinfo=UTC)

__all__ = ["ACCOUNT", "DOMAIN", "files", "zstd_dictionary"]


@dataclass
class Msg:
    """One message to write (``body`` without the group sender prefix)."""

    when: datetime
    des: int
    type: int
    body: str
    sender: str = ""  # member username of a received group message ("" = no prefix)
    media: list[tuple[str, bytes]] = field(default_factory=list)  # (path with {id}, bytes)
    fate: str = "live"  # live | wal | deleted | wal-deleted | gone (never written: only its files are left)
    compress: str = ""  # "" | zstd | dict | missing-dict
    svrid: int = 0
    local_id: int = 0


WORDS_EN = ("Are you free this weekend?", "Just landed, will call later", "Thanks a lot!", "See you at 7",
            "That sounds great [Smile]", "Can you send me the address?", "Running 10 min late, sorry",
            "Happy birthday!! [Cake][Cake]", "Did you see the news?", "I'll check and get back to you",
            "Haha that's hilarious [Lol]", "Good night", "Morning! Coffee?", "Ok [OK]", "On my way",
            "Let's meet at the usual place", "Send me the photos when you can", "Weather is lovely today [Sun]",
            "Don't forget the tickets", "Call me when you're home")
WORDS_ZH = ("吃饭了吗？", "今天降温了，多穿点衣服", "好的[微笑]", "周末回家吃饭吧", "路上注意安全", "收到[强]",
            "晚安[月亮]", "我到了", "明天见", "哈哈哈[呲牙]", "记得按时吃药", "新年快乐[福][红包]",
            "这个周末有空吗", "谢谢[抱拳]", "在忙，晚点回你", "天气真好[太阳]", "别太累了[爱心]", "/::) 好久不见")


#: MesLocalID of the leftover voice file of the deleted conversation with 二叔.
LEFTOVER_VOICE_ID = 7


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@cache
def zstd_dictionary(dict_id: int) -> bytes:
    """The trained zstd dictionary with this id (deterministic; tests supply the "provided" one)."""
    import random

    rng = random.Random(dict_id)
    pool = WORDS_EN + WORDS_ZH
    samples = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 6))).encode() for _ in range(400)]
    return zstandard.train_dictionary(2048, samples, dict_id=dict_id, threads=1, k=64, d=8).as_bytes()


def _compress(text: str, how: str) -> tuple[bytes, int]:
    data = text.encode("utf-8")
    if how == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data), 4  # plain zstd, TEXT
    dict_id = DICT_PROVIDED if how == "dict" else DICT_MISSING
    zdict = zstandard.ZstdCompressionDict(zstd_dictionary(dict_id))
    return zstandard.ZstdCompressor(level=3, dict_data=zdict).compress(data), 2  # dictionary, TEXT


# -- the conversations --------------------------------------------------------------------------

class Builder:
    """Builds every chat's messages (showcase messages at fixed times plus seeded filler)."""

    def __init__(self, ctx: SampleContext) -> None:
        self.rng = ctx.rng
        self.chats: dict[str, list[Msg]] = {}
        self.stickers: dict[str, bytes] = {}
        self._svr = 7_100_000_000_000_000_000

    def svrid(self) -> int:
        self._svr += self.rng.randint(1_000, 90_000_000)
        return self._svr

    def add(self, chat: str, msg: Msg) -> Msg:
        msg.svrid = msg.svrid or self.svrid()
        self.chats.setdefault(chat, []).append(msg)
        return msg

    def filler(self, chat: str, count: int, members: tuple[str, ...] = (), zh: float = 0.5,
               compress: str = "") -> None:
        span = (SAMPLE_NOW - timedelta(days=3) - START).total_seconds()
        for _ in range(count):
            when = START + timedelta(seconds=int(self.rng.random() * span))
            pool = WORDS_ZH if self.rng.random() < zh else WORDS_EN
            des = 0 if self.rng.random() < 0.45 else 1
            sender = self.rng.choice(members) if members and des == 1 else ""
            self.add(chat, Msg(when, des, 1, self.rng.choice(pool), sender, compress=compress))

    def image(self, chat: str, when: datetime, des: int, variants: str, sender: str = "",
              color: tuple[int, int, int] = (40, 90, 160), data: bytes | None = None) -> Msg:
        c = md5(chat)
        full = data or jpeg(96, 72, color, when.strftime("%m-%d"))
        hd = jpeg(320, 240, color, when.strftime("%Y-%m-%d"), quality=92)
        thumb = jpeg(32, 24, color)
        media = []
        if "h" in variants:
            media.append((f"Img/{c}/{{id}}.pic_hd", hd))
        if "f" in variants:
            media.append((f"Img/{c}/{{id}}.pic", full))
        if "t" in variants:
            media.append((f"Img/{c}/{{id}}.pic_thum", thumb))
        body = P.image(md5(str(when)), len(full), sender if des else OWNER)
        return self.add(chat, Msg(when, des, 3, body, sender, media))

    def voice(self, chat: str, when: datetime, des: int, seconds: float, sender: str = "", amr: bool = False) -> Msg:
        data = amr_voice(int(seconds * 50)) if amr else silk_voice(seconds, 220 + int(seconds * 40))
        body = P.voice(int(seconds * 1000), len(data), sender or (OWNER if des == 0 else chat), 0 if amr else 4)
        return self.add(chat, Msg(when, des, 34, body, sender, [(f"Audio/{md5(chat)}/{{id}}.aud", data)]))


def _conversations(ctx: SampleContext) -> Builder:
    b = Builder(ctx)
    mum, fam, lily = MUM.username, FAMILY_GROUP, LILY.username

    # Mum (message_1): every media type, a pat, a call, a forwarded chat, recent rows only in the -wal
    b.filler(mum, 470, zh=0.8)
    b.add(mum, Msg(_t("2024-03-02 11:15:00"), 1, 1, "早点休息[微笑] Don't forget your coat /::)"))
    b.image(mum, _t("2024-03-02 11:16:05"), 1, "hft", color=(200, 60, 60))
    b.image(mum, _t("2024-03-02 11:16:40"), 1, "ft", color=(60, 160, 60))
    b.image(mum, _t("2024-03-02 11:17:10"), 1, "t", color=(60, 60, 200))
    b.image(mum, _t("2024-03-02 11:17:30"), 1, "", color=(90, 90, 90))
    b.voice(mum, _t("2024-03-02 11:20:00"), 1, 4.2)
    b.voice(mum, _t("2024-03-02 11:21:00"), 1, 2.0, amr=True)
    b.add(mum, Msg(_t("2024-03-02 11:25:00"), 0, 43, P.video(15, 4_218_000, OWNER, md5("v1")),
                   media=[(f"Video/{md5(mum)}/{{id}}.mp4", mp4(15)),
                          (f"Video/{md5(mum)}/{{id}}.video_thum", jpeg(90, 160, (20, 20, 20)))]))
    b.add(mum, Msg(_t("2024-03-02 11:30:00"), 1, 49, P.pat_app(mum, OWNER, f'"${{{mum}}}" 拍了拍我', mum, 1)))
    b.add(mum, Msg(_t("2024-03-02 20:00:00"), 0, 50, P.voip(1, 4, 125)))
    history_items = [
        {"datatype": "1", "dataid": "a1", "name": "爸爸", "user": DAD.username, "time": "2024-03-01 19:20",
         "text": "周六回家吃饭"},
        {"datatype": "2", "dataid": "a2", "name": "奶奶", "user": GRANDMA.username, "time": "2024-03-01 19:22",
         "datafmt": "jpg"},
        {"datatype": "1", "dataid": "a3", "name": "爸爸", "user": DAD.username, "time": "2024-03-01 19:23",
         "text": "好的，六点到"},
    ]
    b.add(mum, Msg(_t("2024-03-03 09:00:00"), 0, 49, P.chat_history("群聊的聊天记录", history_items, OWNER),
                   media=[(f"OpenData/{md5(mum)}/{{id}}/a2.jpg", jpeg(80, 60, (220, 180, 40), "dumplings"))]))
    b.add(mum, Msg(_t("2024-04-29 08:10:00"), 1, 1, "Did you get home safe?", fate="wal-deleted"))
    for i, text in enumerate(("明天降温，记得带伞", "Ok mum, will do [OK]", "周末视频？", "好呀 Sunday 8pm",
                              "爱你[爱心]")):
        b.add(mum, Msg(_t("2024-04-30 18:00:00") + timedelta(minutes=i), i % 2, 1, text, fate="wal"))

    # 家人群 (message_1): 5 members, sender prefixes, red packet, pat, invite, recall, quote
    members = tuple(u for u, _ in FAMILY_MEMBERS if u != OWNER)
    b.add(fam, Msg(_t("2023-09-30 12:00:00"), 1, 10002,
                   P.invite_template(mum, "妈妈", [(UNCLE.username, "陈建国"), (GRANDMA.username, "奶奶")])))
    b.filler(fam, 420, members, zh=0.95)
    b.add(fam, Msg(_t("2024-02-09 20:00:00"), 1, 49, P.red_packet("恭喜发财，大吉大利", DAD.username), DAD.username))
    b.add(fam, Msg(_t("2024-02-09 20:01:00"), 1, 1, "谢谢老爸[抱拳][红包]", MUM.username))
    b.add(fam, Msg(_t("2024-02-09 20:02:00"), 1, 10002,
                   P.pat_sysmsg(DAD.username, mum, fam, f'"${{{DAD.username}}}" 拍了拍 "${{{mum}}}"')))
    stick = md5("sticker-1")
    b.stickers[stick] = gif((250, 120, 0))
    b.add(fam, Msg(_t("2024-02-09 20:03:00"), 1, 47, P.sticker(stick, UNCLE.username, fam)))  # no prefix
    b.image(fam, _t("2024-02-09 20:05:00"), 1, "hft", GRANDMA.username, (150, 30, 200))
    b.add(fam, Msg(_t("2024-02-10 10:00:00"), 1, 1, "初一去哪里拜年？", UNCLE.username,
                   svrid=7_200_000_000_000_000_001))
    b.add(fam, Msg(_t("2024-02-10 10:05:00"), 1, 49, P.quote(
        "先去奶奶家", 1, 7_200_000_000_000_000_001, fam, UNCLE.username, "二叔", "初一去哪里拜年？", mum, 1707559200),
        mum))
    b.add(fam, Msg(_t("2024-02-10 10:06:00"), 1, 10000, '"二叔" 撤回了一条消息'))
    for i, text in enumerate(("周日的饭店订好了", "几点？", "中午十二点")):
        b.add(fam, Msg(_t("2024-04-30 19:00:00") + timedelta(minutes=i), 1, 1, text, members[i % 3], fate="wal"))

    # Lily (message_1): transfer, quote, location, recall, call, deleted rows in free space
    b.filler(lily, 330, zh=0.2)
    b.add(lily, Msg(_t("2024-03-08 18:00:00"), 1, 1, "Dinner on Friday?", svrid=7_300_000_000_000_000_001))
    b.add(lily, Msg(_t("2024-03-08 18:02:00"), 0, 49, P.quote(
        "Yes, 7pm works!", 1, 7_300_000_000_000_000_001, lily, lily, "Lily Wang", "Dinner on Friday?", OWNER,
        1709920800)))
    b.add(lily, Msg(_t("2024-03-09 21:30:00"), 1, 49, P.transfer("￥520.00", "dinner", 1, lily, OWNER,
                                                                    "1000050001202403092130")))
    b.add(lily, Msg(_t("2024-03-09 21:31:00"), 0, 49, P.transfer("￥520.00", "dinner", 3, lily, OWNER,
                                                                    "1000050001202403092130")))
    b.add(lily, Msg(_t("2024-03-10 14:00:00"), 1, 48, P.location(31.230416, 121.473701, "上海市黄浦区人民大道",
                                                                  "人民广场", lily)))
    b.add(lily, Msg(_t("2024-03-10 14:05:00"), 1, 10002, P.revoke(lily, '"Lily Wang" 撤回了一条消息', 1)))
    b.add(lily, Msg(_t("2024-03-10 20:00:00"), 0, 50, P.voip(0, 1, 0)))
    b.add(lily, Msg(_t("2024-03-11 09:00:00"), 1, 1, "I'll bring the photos tomorrow", fate="deleted"))
    b.add(lily, Msg(_t("2024-03-11 09:01:00"), 0, 1, "门禁密码是 4821", fate="deleted"))
    b.add(lily, Msg(_t("2024-03-11 09:02:00"), 1, 1, "See you at the station", fate="deleted"))
    # Two photos Lily sent, then deleted: the first row is still carvable, the second row is gone for good
    # but its files were left in Img/ (a leftover file the extractor turns back into a message).
    kept, lost = jpeg(96, 72, (230, 120, 170), "kept"), jpeg(96, 72, (120, 200, 230), "lost")
    b.add(lily, Msg(_t("2024-03-11 09:03:00"), 1, 3, P.image(md5("lily-kept"), len(kept), lily),
                    media=[(f"Img/{md5(lily)}/{{id}}.pic", kept),
                           (f"Img/{md5(lily)}/{{id}}.pic_thum", jpeg(32, 24, (230, 120, 170)))],
                    fate="deleted", svrid=7_300_000_000_000_000_011))
    b.add(lily, Msg(_t("2024-03-11 09:04:00"), 1, 3, P.image(md5("lily-lost"), len(lost), lily),
                    media=[(f"Img/{md5(lily)}/{{id}}.pic_hd", jpeg(320, 240, (120, 200, 230), "lost", quality=92)),
                           (f"Img/{md5(lily)}/{{id}}.pic_thum", jpeg(32, 24, (120, 200, 230)))],
                    fate="gone", svrid=7_300_000_000_000_000_012))

    # message_2: work, friends, the hiking group
    zhang = ZHANG.username
    b.filler(zhang, 240, zh=0.9)
    b.add(zhang, Msg(_t("2024-04-02 10:00:00"), 1, 49, P.file("Q2 budget review.pdf", 0, "pdf", md5("pdf"), zhang),
                     media=[(f"OpenData/{md5(zhang)}/{{id}}.pdf", pdf("Q2 budget review"))]))
    b.add(zhang, Msg(_t("2024-04-02 10:05:00"), 1, 49, P.link(
        "如何高效开会：十条建议", "管理者必读", "https://mp.weixin.qq.com/s?__biz=MzA5NjM4&mid=2650&idx=1",
        zhang, OFFICIAL_NAME, OFFICIAL),
        media=[(f"OpenData/{md5(zhang)}/{{id}}.pic_thum", jpeg(60, 60, (0, 120, 120)))]))
    sam = SAM.username
    b.filler(sam, 145, zh=0.05)
    b.add(sam, Msg(_t("2024-01-15 12:00:00"), 1, 42, P.contact_card(TOM.username, TOM.nickname, TOM.alias,
                                                                     "Berlin", "Germany")))
    b.voice(sam, _t("2024-01-15 12:03:00"), 0, 3.0)
    hike = HIKING_GROUP
    hikers = tuple(u for u, _ in HIKING_MEMBERS if u != OWNER)
    b.filler(hike, 290, hikers, zh=0.3)
    b.add(hike, Msg(_t("2024-04-20 07:00:00"), 1, 48, P.location(30.2431, 120.1503, "杭州市西湖区龙井路", "龙井村",
                                                                 KAI.username), KAI.username))
    b.add(hike, Msg(_t("2024-04-20 07:01:00"), 1, 1, "Meeting point 👆 see you at 8!", MARTA.username))
    shared = jpeg(120, 90, (10, 140, 60), "summit")
    b.image(hike, _t("2024-04-20 15:00:00"), 1, "f", TOM.username, data=shared)
    b.add(hike, Msg(_t("2024-04-20 15:10:00"), 1, 99, "<msg><unknownfeature version=\"3\"/></msg>", SAM.username))
    tom = TOM.username
    b.filler(tom, 145, zh=0.0)
    b.image(tom, _t("2024-04-20 16:00:00"), 0, "f", data=shared)  # the same photo forwarded: one file in `photos`

    # MM.sqlite (old layout): Dad, Grandma, File Transfer
    dad = DAD.username
    b.add(dad, Msg(_t("2023-09-20 08:00:00"), 1, 10000, "你已添加了老陈，现在可以开始聊天了。"))
    b.filler(dad, 190, zh=0.9)
    wxgf = b"wxgf" + bytes(range(60)) * 4
    b.add(dad, Msg(_t("2024-04-01 08:00:00"), 1, 3, P.image(md5("wxgf"), len(wxgf)),
                   media=[(f"Img/{md5(dad)}/{{id}}.pic", wxgf)]))
    grandma = GRANDMA.username
    b.filler(grandma, 75, zh=1.0)
    b.voice(grandma, _t("2024-04-05 10:00:00"), 1, 6.5)
    fh = FILEHELPER.username
    b.filler(fh, 35, zh=0.3)
    b.add(fh, Msg(_t("2024-01-05 09:00:00"), 0, 49, P.file("passport scan.pdf", 245_760, "pdf", md5("pp"), OWNER)))
    b.image(fh, _t("2024-01-05 09:01:00"), 0, "hf", color=(240, 240, 240))

    # message_3 (WeChat 8.0.5x compression): plain zstd, dictionary zstd, missing dictionary
    jun = JUN.username
    b.filler(jun, 140, zh=0.6, compress="zstd")
    b.add(jun, Msg(_t("2024-04-12 12:00:00"), 1, 49, P.mini_program("今晚吃什么？外卖满30减15", "美团外卖",
                                                                     "wx2c348cf579062e56", "pages/index/index.html",
                                                                     jun), compress="zstd"))
    b.add(jun, Msg(_t("2024-04-12 12:05:00"), 1, 1, "这家店的小龙虾很好吃[色]", compress="zstd"))
    mei = MEI.username
    b.filler(mei, 145, zh=0.8, compress="dict")
    b.add(mei, Msg(_t("2024-04-14 20:00:00"), 1, 1, "周末一起去看电影吧[愉快]", compress="dict"))
    priya = PRIYA.username
    b.filler(priya, 95, zh=0.0, compress="missing-dict")
    b.add(priya, Msg(_t("2024-04-16 09:00:00"), 1, 1, "The visa appointment is on May 3rd", compress="missing-dict"))
    b.add(priya, Msg(_t("2024-04-16 09:02:00"), 1, 3, P.image(md5("priya"), 2048, ""), compress="missing-dict",
                     media=[(f"Img/{md5(priya)}/{{id}}.pic", jpeg(64, 64, (255, 140, 0), "visa"))]))
    b.add(priya, Msg(_t("2024-04-28 22:00:00"), 1, 1, "Safe travels, text me when you land ✈️", compress="missing-dict"))
    landlord = LANDLORD.username
    b.filler(landlord, 55, zh=0.9)
    b.add(landlord, Msg(_t("2024-04-25 09:00:00"), 0, 49, P.transfer("￥3,800.00", "May rent", 1, OWNER, landlord,
                                                                       "1000050001202404250900")))
    b.add(STRANGER, Msg(_t("2024-04-27 13:13:00"), 1, 1,
                        "恭喜您获得微信红包！Claim your red packet now: http://weixin-pay.example.top/redpacket?id=1"))

    # official account (Brand/BrandMsg.db)
    for i, (title, des) in enumerate((("iPhone battery tips for 2024", "Five settings that save power"),
                                      ("WeChat Pay abroad: what changed", "Linking foreign cards"),
                                      ("How to back up your phone", "Local and cloud options compared"))):
        for j in range(13):
            b.add(OFFICIAL, Msg(_t("2024-01-01 08:00:00") + timedelta(days=i * 30 + j * 2), 1, 49, P.link(
                f"{title} ({j + 1})", des, f"https://mp.weixin.qq.com/s/{md5(title)[:12]}{j}", OFFICIAL,
                OFFICIAL_NAME, OFFICIAL)))

    # QR codes forwarded into the family group: a real group invite and a fake red-packet page
    b.image(fam, _t("2024-04-28 19:00:00"), 1, "f", UNCLE.username,
            data=qr_screenshot("https://weixin.qq.com/g/AbCdEfGh1234", "Hiking group"))
    b.image(fam, _t("2024-04-28 19:02:00"), 1, "f", UNCLE.username,
            data=qr_screenshot("http://weixin-pay.example.top/redpacket?id=2", "Scan to claim 88 yuan"))
    return b


# -- databases ---------------------------------------------------------------------------------

MM_COLUMNS = ("TableVer", "MesLocalID", "MesSvrID", "CreateTime", "Message", "Status", "ImgStatus", "Type", "Des")
SHARD_COLUMNS = ("CreateTime", "Des", "ImgStatus", "MesLocalID", "MesSvrID", "Message", "Status", "TableVer", "Type")
_TYPES = {"TableVer": "INTEGER DEFAULT 1", "MesLocalID": "INTEGER PRIMARY KEY AUTOINCREMENT",
          "MesSvrID": "INTEGER DEFAULT 0", "CreateTime": "INTEGER DEFAULT 0", "Message": "TEXT",
          "Status": "INTEGER DEFAULT 0", "ImgStatus": "INTEGER DEFAULT 0", "Type": "INTEGER", "Des": "INTEGER",
          "WCDB_CT_Message": "INTEGER DEFAULT NULL"}

SHARDS: dict[str, tuple[str, ...]] = {
    "DB/MM.sqlite": (DAD.username, GRANDMA.username, FILEHELPER.username),
    "DB/message_1.sqlite": (MUM.username, FAMILY_GROUP, LILY.username),
    "DB/message_2.sqlite": (ZHANG.username, SAM.username, HIKING_GROUP, TOM.username),
    "DB/message_3.sqlite": (JUN.username, MEI.username, PRIYA.username, LANDLORD.username, STRANGER),
    "Brand/BrandMsg.db": (OFFICIAL,),
}


def _row(msg: Msg, chat: str, columns: tuple[str, ...]) -> tuple[object, ...]:
    body = f"{msg.sender}:\n{msg.body}" if msg.sender and chat.endswith("@chatroom") else msg.body
    message: object = body
    marker = None
    if msg.compress:
        message, marker = _compress(body, msg.compress)
    values = {"TableVer": 1, "MesLocalID": msg.local_id, "MesSvrID": msg.svrid,
              "CreateTime": int(msg.when.timestamp()), "Message": message, "Status": 2 if msg.des == 0 else 4,
              "ImgStatus": 2 if msg.type in (3, 43) else 1, "Type": msg.type, "Des": msg.des,
              "WCDB_CT_Message": marker}
    return tuple(values[c] for c in columns)


def _chat_db(ctx: SampleContext, name: str, chats: dict[str, list[Msg]]) -> list[SampleFile]:
    path = ctx.scratch_path(f"wechat/{name}")
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    columns = MM_COLUMNS if not name.startswith("DB/message_") else SHARD_COLUMNS
    if name.endswith("message_3.sqlite"):
        columns = (*columns, "WCDB_CT_Message")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA secure_delete=0")  # WeChat leaves freed bytes in place
    conn.execute("PRAGMA wal_autocheckpoint=0")
    marks = ",".join("?" * len(columns))

    def insert(fates: tuple[str, ...]) -> None:
        conn.execute("BEGIN")
        for chat, msgs in chats.items():
            rows = [_row(m, chat, columns) for m in msgs if m.fate in fates]
            conn.executemany(f"INSERT INTO Chat_{md5(chat)} ({','.join(columns)}) VALUES ({marks})", rows)
        conn.execute("COMMIT")

    def delete(fate: str) -> None:
        conn.execute("BEGIN")
        for chat, msgs in chats.items():
            ids = [(m.local_id,) for m in msgs if m.fate == fate]
            conn.executemany(f"DELETE FROM Chat_{md5(chat)} WHERE MesLocalID=?", ids)
        conn.execute("COMMIT")

    for chat in chats:
        h = md5(chat)
        cols = ", ".join(f"{c} {_TYPES[c]}" for c in columns)
        conn.execute(f"CREATE TABLE Chat_{h}({cols})")
        conn.execute(f"CREATE INDEX Chat_{h}_Index ON Chat_{h}(MesSvrID)")
        conn.execute(f"CREATE INDEX Chat_{h}_Index2 ON Chat_{h}(CreateTime)")
        conn.execute(f"CREATE TABLE ChatExt2_{h}(MesLocalID INTEGER PRIMARY KEY, ConIntRes1 INTEGER DEFAULT 0,"
                     " ConStrRes1 TEXT, ConStrRes2 TEXT)")
    if name == "DB/MM.sqlite":  # friend requests (Hello_ tables) live in MM.sqlite
        from reclaim.sample.content.wechat_social import add_hello_tables

        add_hello_tables(conn)
    insert(("live", "deleted"))
    delete("deleted")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    insert(("wal-deleted",))
    delete("wal-deleted")
    insert(("wal",))
    files = [SampleFile(DOMAIN, f"{ROOT}/{name}", path.read_bytes())]
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        files.append(SampleFile(DOMAIN, f"{ROOT}/{name}-wal", wal.read_bytes()))
    conn.close()
    return files


def _contact_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("wechat/WCDB_Contact.sqlite")
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Friend(userName TEXT PRIMARY KEY, type INTEGER DEFAULT 0, certificationFlag INTEGER"
                 " DEFAULT 0, imgStatus INTEGER DEFAULT 0, encodeUserName TEXT, dbContactLocal BLOB,"
                 " dbContactOther BLOB, dbContactRemark BLOB, dbContactHeadImage BLOB, dbContactProfile BLOB,"
                 " dbContactSocial BLOB, dbContactChatRoom BLOB, dbContactBrand BLOB, dbContactEncryptSecret BLOB)")
    conn.execute("CREATE TABLE OpenIMContact(userName TEXT PRIMARY KEY, type INTEGER, dbContactRemark BLOB)")

    def person_row(p: Person, kind: int, cert: int = 0, room: bytes = b"") -> tuple[object, ...]:
        remark = pb((1, p.nickname), (2, p.alias), (3, p.remark), (4, p.remark.lower().replace(" ", "")),
                    (5, "".join(w[:1] for w in p.remark.split()).lower()), (6, p.nickname.lower()))
        head = pb((1, 0), (2, f"http://wx.qlogo.cn/mmhead/ver_1/{md5(p.username)[:20]}/132"),
                  (3, f"http://wx.qlogo.cn/mmhead/ver_1/{md5(p.username)[:20]}/0"))
        profile = pb((1, p.sex), (2, "CN" if p.province else ""), (3, p.province), (4, p.city), (5, p.signature))
        return (p.username, kind, cert, 3, "", b"", b"", remark, head, profile, b"", room, b"", b"")

    rows = [person_row(Person(OWNER, OWNER_NAME, "", OWNER_ALIAS, "Shanghai", "", 1), 3)]
    rows += [person_row(p, 3) for p in FRIENDS]
    rows += [person_row(p, 4 if p is not UNCLE else 0) for p in STRANGERS]
    rows.append(person_row(PROMO, 0))
    rows.append(person_row(Person(OFFICIAL, OFFICIAL_NAME, "", "dailytechnews"), 3, cert=24))
    for group, name, members in ((FAMILY_GROUP, FAMILY_NAME, FAMILY_MEMBERS), (HIKING_GROUP, HIKING_NAME,
                                                                              HIKING_MEMBERS)):
        room = pb((1, ";".join(u for u, _ in members)), (2, members[1][0]), (6, P.room_data(list(members))))
        rows.append(person_row(Person(group, name), 2, room=room))
    conn.executemany(f"INSERT INTO Friend VALUES ({','.join('?' * 14)})", rows)
    conn.commit()
    conn.close()
    return path.read_bytes()


def _session_files(ctx: SampleContext, b: Builder) -> list[SampleFile]:
    path = ctx.scratch_path("wechat/session.db")
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE SessionAbstract(UsrName TEXT PRIMARY KEY, CreateTime INTEGER, unreadcount INTEGER,"
                 " ConIntRes1 INTEGER, ConStrRes1 TEXT, ConStrRes2 TEXT)")
    out = []
    names = {p.username: p.nickname for p in (*FRIENDS, *STRANGERS, PROMO)}
    names.update({FAMILY_GROUP: FAMILY_NAME, HIKING_GROUP: HIKING_NAME, OFFICIAL: OFFICIAL_NAME})
    for chat, msgs in b.chats.items():
        if chat == OFFICIAL:
            continue
        last = max((m for m in msgs if m.fate in ("live", "wal")), key=lambda m: (m.when, m.local_id))
        h = md5(chat)
        rel = f"/session/data/{h[:2]}/{h[2:]}"
        conn.execute("INSERT INTO SessionAbstract VALUES (?,?,?,?,?,?)",
                     (chat, int(last.when.timestamp()), 0, 0, rel, ""))
        text = last.body if last.type == 1 else ""
        data = pb((1, pb((1, pb((1, chat), (4, names.get(chat, chat)))))),
                  (2, pb((2, last.local_id), (3, last.type), (4, 4), (7, int(last.when.timestamp())),
                         (8, chat if last.des else OWNER), (9, OWNER if last.des else chat),
                         (10, last.sender), (11, text), (12, last.svrid))))
        out.append(SampleFile(DOMAIN, f"{ROOT}{rel}", data, mtime=last.when))
    conn.commit()
    conn.close()
    out.append(SampleFile(DOMAIN, f"{ROOT}/session/session.db", path.read_bytes()))
    return out


def _fts_db(ctx: SampleContext, b: Builder) -> bytes:
    path = ctx.scratch_path("wechat/fts_message.db")
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE fts_username_id(UsrName TEXT PRIMARY KEY, usernameid INTEGER)")
    for n in range(4):
        conn.execute(f"CREATE VIRTUAL TABLE fts5_message_table_{n} USING fts5(usernameid UNINDEXED,"
                     " MesLocalID UNINDEXED, CreateTime UNINDEXED, AMessage)")
    for number, (chat, msgs) in enumerate(sorted(b.chats.items()), 1):
        conn.execute("INSERT INTO fts_username_id VALUES (?,?)", (chat, number))
        rows = [(number, m.local_id, int(m.when.timestamp()), m.body) for m in msgs
                if m.type == 1 and not m.body.startswith(("The visa", "Safe travels")) and m.fate != "wal"]
        conn.executemany(f"INSERT INTO fts5_message_table_{number % 4}(usernameid, MesLocalID, CreateTime,"
                         " AMessage) VALUES (?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return path.read_bytes()


def _account_files() -> Iterator[SampleFile]:
    record = pb((1, OWNER), (2, OWNER_ALIAS), (3, OWNER_NAME))
    yield SampleFile(DOMAIN, "Documents/LoginInfo2.dat", pb((1, varint(len(record)) + record), (2, 1)))
    yield SampleFile(DOMAIN, f"{ROOT}/mmsetting.archive", keyed_archive({
        "UsrName": OWNER, "NickName": OWNER_NAME, "AliasName": OWNER_ALIAS, "Sex": 1, "City": "Shanghai",
        "Signature": "Back up your phone!",
        "new_dicsetting": {"headimgurl": "http://wx.qlogo.cn/mmhead/ver_1/alexchen/132",
                           "headhdimgurl": "http://wx.qlogo.cn/mmhead/ver_1/alexchen/0"}}))
    data = mmkv({"86": OWNER, "87": OWNER_ALIAS, "88": OWNER_NAME,
                 "headimgurl": "http://wx.qlogo.cn/mmhead/ver_1/alexchen/132"})
    yield SampleFile(DOMAIN, f"Documents/MMappedKV/mmsetting.archive.{OWNER}", data)
    yield SampleFile(DOMAIN, f"Documents/MMappedKV/mmsetting.archive.{OWNER}.crc", bytes(36))
    yield SampleFile(DOMAIN, "Documents/00000000000000000000000000000000/mmsetting.archive", b"")
    yield SampleFile(DOMAIN, "Library/Preferences/com.tencent.xin.plist", plistlib.dumps(
        {"prevStartupVersions": WECHAT_VERSIONS, "FrameCellDataVersion": "V7"}, fmt=plistlib.FMT_BINARY))


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """Every WeChat file of the sample backup."""
    b = _conversations(ctx)
    for msgs in b.chats.values():
        msgs.sort(key=lambda m: (m.when, m.fate == "wal"))
        for local_id, msg in enumerate(msgs, 1):
            msg.local_id = local_id
    yield from _account_files()
    for name, chats in SHARDS.items():
        yield from _chat_db(ctx, name, {c: b.chats[c] for c in chats})
    yield SampleFile(DOMAIN, f"{ROOT}/DB/WCDB_Contact.sqlite", _contact_db(ctx))
    yield from _session_files(ctx, b)
    yield SampleFile(DOMAIN, f"{ROOT}/fts/fts_message.db", _fts_db(ctx, b))
    for msgs in b.chats.values():
        for msg in msgs:
            for template, data in msg.media:
                yield SampleFile(DOMAIN, f"{ROOT}/{template.format(id=msg.local_id)}", data, mtime=msg.when)
    # A voice message of a conversation with 二叔 that was deleted whole: no table, only the file.
    yield SampleFile(DOMAIN, f"{ROOT}/Audio/{md5(UNCLE.username)}/{LEFTOVER_VOICE_ID}.aud",
                     silk_voice(3.5, 300), mtime=_t("2024-02-11 09:30:00"))
    for sticker_md5, data in b.stickers.items():
        yield SampleFile(DOMAIN, f"Library/WechatPrivate/{ACCOUNT}/emoticonPIC/{sticker_md5}.pic", data)
    # Profile pictures, named by the md5 of the username: the shared container's session copy, and the app's
    # HD (the owner's) and compressed (Dad's) copies.
    yield SampleFile(GROUP_DOMAIN, f"share/{ACCOUNT}/session/headImg/{md5(MUM.username)}.pic",
                     jpeg(64, 64, (230, 150, 150), "Mum"))
    for username, suffix, colour in ((OWNER, "pic_hd", (120, 170, 230)), (DAD.username, "pic_compressed",
                                                                          (150, 200, 150))):
        m = md5(username)
        yield SampleFile(DOMAIN, f"Library/WechatPrivate/{ACCOUNT}/HeadImg/0/{m[:2]}/{m[2:]}.{suffix}",
                         jpeg(96, 96, colour, "avatar"))


def chats() -> dict[str, str]:
    """Chat username -> the database file (relative to the account folder) that holds it."""
    return {chat: name for name, chat_list in SHARDS.items() for chat in chat_list}
