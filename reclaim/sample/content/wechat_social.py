"""WeChat Favorites, Moments and friend requests of the sample account.

``Library/WechatPrivate/<H>/Favorites/fav.db`` holds one favorite of each type
(text, image, voice, video, link, location, file, chat record, note) with their
files under ``Favorites/Data/<md5[0:2]>/<md5[-2:]>/`` (the video's file is left
out, as a phone that cleared its cache would), and one favorite deleted with
``secure_delete`` off so its bytes stay in the page. ``Documents/<H>/wc/wc005_008.db``
caches Moments posts as NSKeyedArchiver buffers (the owner's in
``MyWC01_<H>``, friends' in ``MyWC01_<md5(friend)>``), one of them deleted.
The ``Hello_<md5>`` friend-request tables are written into ``DB/MM.sqlite`` by
:func:`add_hello_tables`, called from the main WeChat sample. Deterministic:
no random numbers are drawn (the shared RNG sequence of other modules is untouched).
"""

from __future__ import annotations

import plistlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from reclaim.sample.content._wechat_media import jpeg, pdf, silk_voice
from reclaim.sample.content._wechat_people import (
    FAMILY_GROUP,
    HIKING_GROUP,
    KAI,
    LILY,
    MUM,
    OWNER,
    SAM,
    TOM,
    ZHANG,
    md5,
)
from reclaim.sample.model import SampleContext, SampleFile

DOMAIN = "AppDomain-com.tencent.xin"
ACCOUNT = md5(OWNER)
FAV_ROOT = f"Library/WechatPrivate/{ACCOUNT}/Favorites"
NEW_PERSON = "wxid_zoe5r2k8w"  # a stranger who asked to be added (not in the contact list)

__all__ = ["add_hello_tables", "files"]


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# -- Favorites ---------------------------------------------------------------------------------

def _data_path(full_md5: str, ext: str) -> str:
    return f"{FAV_ROOT}/Data/{full_md5[:2]}/{full_md5[-2:]}/{full_md5}.{ext}"


def _source(from_user: str, chat: str, when: int, link: str = "") -> str:
    return (f'<source sourcetype="1" sourceid="{when}"><fromusr>{from_user}</fromusr><tousr>{OWNER}</tousr>'
            f'<realchatname>{chat}</realchatname><createtime>{when}</createtime>'
            + (f"<link>{link}</link>" if link else "") + "</source>")


def _item(datatype: int, dataid: str, *, fmt: str = "", full: str = "", thumb: str = "", desc: str = "",
          title: str = "", size: int = 0, src_name: str = "", src_user: str = "", src_time: str = "") -> str:
    parts = [f"<datafmt>{fmt}</datafmt>" if fmt else "", f"<fullmd5>{full}</fullmd5>" if full else "",
             f"<thumbfullmd5>{thumb}</thumbfullmd5>" if thumb else "", f"<datadesc>{desc}</datadesc>" if desc else "",
             f"<datatitle>{title}</datatitle>" if title else "", f"<fullsize>{size}</fullsize>" if size else "",
             f"<datasrcname>{src_name}</datasrcname>" if src_name else "",
             f"<datasrctime>{src_time}</datasrctime>" if src_time else "",
             f"<dataitemsource><fromusr>{src_user}</fromusr></dataitemsource>" if src_user else ""]
    return f'<dataitem datatype="{datatype}" dataid="{dataid}">{"".join(parts)}</dataitem>'


def _favitem(ftype: int, source: str, *, title: str = "", desc: str = "", items: tuple[str, ...] = (),
             extra: str = "") -> str:
    datalist = f'<datalist count="{len(items)}">{"".join(items)}</datalist>' if items else ""
    return (f'<favitem type="{ftype}">{source}' + (f"<title>{title}</title>" if title else "")
            + (f"<desc>{desc}</desc>" if desc else "") + datalist + extra + "</favitem>")


#: favorites' files: name -> bytes (their MD5s name the files, as WeChat's fullmd5 does)
FAV_IMAGE = jpeg(160, 120, (30, 110, 200), "West Lake")
FAV_IMAGE_THUMB = jpeg(40, 30, (30, 110, 200))
FAV_PDF = pdf("Lease agreement 2024")
FAV_VOICE = silk_voice(2.5, 300)
FAV_VIDEO_THUMB = jpeg(64, 36, (10, 10, 10), "clip")


def _md5b(data: bytes) -> str:
    import hashlib

    return hashlib.md5(data).hexdigest()


def favorites() -> list[tuple[int, int, int, str, str, str]]:
    """The favorites as ``(LocalId, Type, Time, FromUsr, RealChatName, Xml)`` rows (the deleted one last)."""
    img, thumb, doc, voice = _md5b(FAV_IMAGE), _md5b(FAV_IMAGE_THUMB), _md5b(FAV_PDF), _md5b(FAV_VOICE)
    video, video_thumb = md5("fav-video-not-kept"), _md5b(FAV_VIDEO_THUMB)
    mum, lily, zhang, fam = MUM.username, LILY.username, ZHANG.username, FAMILY_GROUP
    rows: list[tuple[int, int, int, str, str, str]] = []

    def add(ftype: int, when: str, from_user: str, chat: str, xml: str) -> None:
        rows.append((len(rows) + 1, ftype, _ts(when), from_user, chat, xml))

    t = _ts("2024-02-10 08:00:00")
    add(1, "2024-02-10 08:00:00", mum, mum, _favitem(1, _source(mum, mum, t), desc="记得按时吃药，每天两次"))
    t = _ts("2024-03-02 11:40:00")
    add(2, "2024-03-02 11:40:00", mum, mum, _favitem(2, _source(mum, mum, t), items=(
        _item(2, "img1", fmt="jpg", full=img, thumb=thumb, size=len(FAV_IMAGE)),)))
    t = _ts("2024-03-05 19:00:00")
    add(3, "2024-03-05 19:00:00", mum, mum, _favitem(3, _source(mum, mum, t), items=(
        _item(3, "voice1", fmt="silk", full=voice, size=len(FAV_VOICE)),)))
    t = _ts("2024-03-12 21:00:00")
    add(4, "2024-03-12 21:00:00", lily, lily, _favitem(4, _source(lily, lily, t), items=(
        _item(4, "vid1", fmt="mp4", full=video, thumb=video_thumb, size=3_145_728),)))
    url = "https://mp.weixin.qq.com/s/hz-hiking-routes"
    t = _ts("2024-04-02 10:30:00")
    add(5, "2024-04-02 10:30:00", zhang, zhang, _favitem(
        5, _source(zhang, zhang, t, url), title="Ten hiking routes around Hangzhou",
        desc="From easy walks to full-day treks",
        extra="<weburlitem><pagetitle>Ten hiking routes around Hangzhou</pagetitle>"
              "<pagethumb_url>https://mmbiz.qpic.cn/hz/0</pagethumb_url></weburlitem>"))
    t = _ts("2024-03-10 14:10:00")
    add(6, "2024-03-10 14:10:00", lily, lily, _favitem(6, _source(lily, lily, t), extra=(
        "<locitem><lat>31.230416</lat><lng>121.473701</lng><label>上海市黄浦区人民大道</label>"
        "<poiname>人民广场</poiname></locitem>")))
    t = _ts("2024-04-25 09:05:00")
    add(8, "2024-04-25 09:05:00", zhang, zhang, _favitem(8, _source(zhang, zhang, t), title="Lease 2024.pdf", items=(
        _item(8, "file1", fmt="pdf", full=doc, title="Lease 2024.pdf", size=len(FAV_PDF)),)))
    t = _ts("2024-02-10 12:00:00")
    add(14, "2024-02-10 12:00:00", mum, fam, _favitem(14, _source(mum, fam, t), title="家人群的聊天记录", items=(
        _item(1, "c1", desc="初一去哪里拜年？", src_name="二叔", src_time="2024-02-10 10:00"),
        _item(1, "c2", desc="先去奶奶家", src_name="妈妈", src_time="2024-02-10 10:05"),
        _item(2, "c3", fmt="jpg", full=img, src_name="奶奶", src_time="2024-02-10 10:07"))))
    t = _ts("2024-04-18 22:00:00")
    add(18, "2024-04-18 22:00:00", OWNER, OWNER, _favitem(18, _source(OWNER, OWNER, t), title="Packing list", items=(
        _item(1, "n1", desc="Boots, rain jacket, 2L water, snacks, headlamp"),)))
    t = _ts("2024-04-20 18:00:00")
    add(1, "2024-04-20 18:00:00", lily, lily, _favitem(1, _source(lily, lily, t),
                                                        desc="The spare key is under the blue flower pot"))
    return rows


#: the favorite the owner removed (its row is deleted from fav.db; its bytes stay in the page)
DELETED_FAVORITE = "The spare key is under the blue flower pot"


def _fav_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("wechat/fav.db")
    for suffix in ("", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA secure_delete=0")
    conn.execute("CREATE TABLE FavoritesItemTable(LocalId INTEGER PRIMARY KEY, Type INTEGER, Time INTEGER,"
                 " FromUsr TEXT, ToUsr TEXT, RealChatName TEXT, SourceType INTEGER, SourceId TEXT, Xml TEXT,"
                 " Status INTEGER DEFAULT 0, UpdateTime INTEGER DEFAULT 0)")
    conn.execute("CREATE INDEX FavoritesItemTable_Time ON FavoritesItemTable(Time)")
    rows = favorites()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO FavoritesItemTable(LocalId, Type, Time, FromUsr, ToUsr, RealChatName, SourceType,"
                     " SourceId, Xml, UpdateTime) VALUES (?,?,?,?,?,?,1,?,?,?)",
                     [(i, ft, t, f, OWNER, c, str(t), x, t) for i, ft, t, f, c, x in rows])
    conn.execute("COMMIT")
    conn.execute("DELETE FROM FavoritesItemTable WHERE LocalId=?", (rows[-1][0],))
    conn.close()
    return path.read_bytes()


def _fav_files() -> Iterator[SampleFile]:
    yield SampleFile(DOMAIN, _data_path(_md5b(FAV_IMAGE), "jpg"), FAV_IMAGE)
    yield SampleFile(DOMAIN, _data_path(_md5b(FAV_IMAGE_THUMB), "fav_thumb"), FAV_IMAGE_THUMB)
    yield SampleFile(DOMAIN, _data_path(_md5b(FAV_PDF), "pdf"), FAV_PDF)
    yield SampleFile(DOMAIN, _data_path(_md5b(FAV_VOICE), "silk"), FAV_VOICE)
    yield SampleFile(DOMAIN, _data_path(_md5b(FAV_VIDEO_THUMB), "fav_thumb"), FAV_VIDEO_THUMB)
    # the video itself is not kept (phones clear big favorite files): it is listed as missing


# -- Moments -----------------------------------------------------------------------------------

class Obj:
    """An archived Objective-C object: its class and its keys."""

    def __init__(self, cls: str, **values: Any) -> None:
        self.cls, self.values = cls, values


def archive(root: Obj) -> bytes:
    """An NSKeyedArchiver binary plist of nested objects: strings by reference, numbers inline, as iOS writes."""
    objects: list[Any] = ["$null"]
    classes: dict[str, plistlib.UID] = {}

    def class_uid(name: str, chain: tuple[str, ...]) -> plistlib.UID:
        if name not in classes:
            objects.append({"$classname": name, "$classes": [name, *chain, "NSObject"]})
            classes[name] = plistlib.UID(len(objects) - 1)
        return classes[name]

    def ref(value: Any) -> Any:
        if value is None:
            return plistlib.UID(0)
        if isinstance(value, bool | int | float):
            return value
        index = len(objects)
        objects.append(None)
        if isinstance(value, str):
            objects[index] = value
        elif isinstance(value, list):
            items = [ref(v) for v in value]
            objects[index] = {"NS.objects": items, "$class": class_uid("NSMutableArray", ("NSArray",))}
        else:
            body = {k: ref(v) for k, v in value.values.items()}
            body["$class"] = class_uid(value.cls, ())
            objects[index] = body
        return plistlib.UID(index)

    top = ref(root)
    return plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": top},
                           "$objects": objects}, fmt=plistlib.FMT_BINARY, sort_keys=False)


def _url(url: str, kind: int = 1) -> Obj:
    return Obj("WCUrl", url=url, type=kind, md5=md5(url), token="", videomd5="")


def _user(kind: int, user: str, nick: str, when: str, content: str = "", cid: int = 0, ref: str = "",
          deleted: bool = False) -> Obj:
    return Obj("WCUserComment", type=kind, username=user, nickname=nick, createTime=_ts(when), content=content,
               commentID=str(cid) if cid else "", refCommentID="", refUserName=ref, bDeleted=1 if deleted else 0,
               isLikeCommentFlag=0)


def _post(tid: int, user: str, nick: str, when: str, text: str, ctype: int, *, title: str = "", desc: str = "",
          link: str = "", media: list[Obj] | None = None, location: Obj | None = None,
          likes: list[Obj] | None = None, comments: list[Obj] | None = None, music: Obj | None = None) -> Obj:
    likes, comments = likes or [], comments or []
    content = Obj("WCContentItem", type=ctype, title=title, desc=desc, linkUrl=link, mediaList=media or [],
                  username=user, createtime=_ts(when))
    return Obj("WCDataItem", tid=str(tid), username=user, nickname=nick, createtime=_ts(when), contentDesc=text,
               contentDescScene=0, isPrivate=0, type=1, contentObj=content, locationInfo=location,
               likeUsers=likes, commentUsers=comments, withUsers=[], realLikeCount=len(likes),
               realCommentCount=sum(1 for c in comments if not c.values["bDeleted"]), wcmusicInfo=music,
               sourceNickName="")


def moments() -> list[tuple[str, str, Obj]]:
    """The cached posts as ``(table owner, FromUser, post)``; the last one is deleted from the cache."""
    lily, mum, sam, tom, zhang = LILY.username, MUM.username, SAM.username, TOM.username, ZHANG.username
    photos = [Obj("WCMediaItem", type=2, title="", dataUrl=_url(f"https://szmmsns.qpic.cn/mmsns/bund{i}/0"),
                  lowBandUrl=_url(f"https://szmmsns.qpic.cn/mmsns/bund{i}/150")) for i in (1, 2)]
    bund = _post(
        14_120_000_000_000_000_001, OWNER, "Alex Chen", "2024-04-21 11:30:00", "Sunset at the Bund 🌇", 1,
        media=photos,
        location=Obj("WCLocationInfo", location_latitude="31.2400", location_longitude="121.4900", poiName="外滩",
                     poiAddress="上海市黄浦区中山东一路", city="上海"),
        likes=[_user(1, mum, "妈妈", "2024-04-21 11:35:00"), _user(1, lily, "Lily Wang", "2024-04-21 12:00:00")],
        comments=[_user(2, mum, "妈妈", "2024-04-21 11:36:00", "好漂亮！注意安全", 1),
                  _user(2, lily, "Lily Wang", "2024-04-21 12:01:00", "Wow, when was this?", 2),
                  _user(2, OWNER, "Alex Chen", "2024-04-21 12:05:00", "Yesterday evening!", 3, ref=lily),
                  _user(2, sam, "Sam Taylor", "2024-04-21 12:30:00", "oops, wrong post", 4, deleted=True)])
    article = _post(14_120_000_000_000_000_002, lily, "Lily Wang", "2024-04-22 08:15:00", "Worth a read ☕", 3,
                    title="The science of a perfect espresso", desc="Grind, pressure, temperature",
                    link="https://mp.weixin.qq.com/s/espresso-science",
                    likes=[_user(1, OWNER, "Alex Chen", "2024-04-22 09:00:00")])
    song = _post(14_120_000_000_000_000_003, lily, "Lily Wang", "2024-04-23 21:00:00", "On repeat", 4,
                 title="Moon River", desc="Audrey Hepburn", link="https://y.qq.com/n/ryqq/songDetail/moonriver")
    video = _post(14_120_000_000_000_000_004, sam, "Sam Taylor", "2024-04-24 17:45:00", "Summit! 🏔", 15,
                  media=[Obj("WCMediaItem", type=6, title="", dataUrl=_url("https://vweixinf.tc.qq.com/summit.mp4", 6),
                             lowBandUrl=_url("https://szmmsns.qpic.cn/mmsns/summit/150"))],
                  comments=[_user(2, tom, "Tom Becker", "2024-04-24 18:00:00", "What a view!", 1)])
    text = _post(14_120_000_000_000_000_005, zhang, "张伟", "2024-04-26 07:30:00", "周一例会改到下午两点", 2)
    gone = _post(14_120_000_000_000_000_006, OWNER, "Alex Chen", "2024-04-27 23:50:00",
                 "Can't sleep. Thinking about moving to Hangzhou", 2)
    return [(OWNER, OWNER, bund), (lily, lily, article), (lily, lily, song), (OWNER, lily, article),
            (sam, sam, video), (zhang, zhang, text), (OWNER, OWNER, gone)]


def _wc_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("wechat/wc005_008.db")
    for suffix in ("", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA secure_delete=0")
    posts = moments()
    tables = dict.fromkeys(md5(owner) for owner, _, _ in posts)
    for h in tables:
        conn.execute(f"CREATE TABLE MyWC01_{h}(Id TEXT, FromUser TEXT, MALocalId INTEGER, GroupHint INTEGER,"
                     " Buffer BLOB)")
    conn.execute("CREATE TABLE MyWC_Message01(Id INTEGER PRIMARY KEY, FromUser TEXT, from_nickname TEXT,"
                 " CreateTime INTEGER, Buffer BLOB)")
    conn.execute("BEGIN")
    for owner, from_user, post in posts:
        conn.execute(f"INSERT INTO MyWC01_{md5(owner)}(Id, FromUser, MALocalId, GroupHint, Buffer)"
                     " VALUES (?,?,0,0,?)", (post.values["tid"], from_user, archive(post)))
    conn.execute("COMMIT")
    owner, _, gone = posts[-1]
    conn.execute(f"DELETE FROM MyWC01_{md5(owner)} WHERE Id=?", (gone.values["tid"],))
    conn.close()
    return path.read_bytes()


# -- friend requests (Hello_ tables in DB/MM.sqlite) -------------------------------------------

def _verify(user: str, nick: str, content: str, scene: int, *, alias: str = "", room: str = "",
            city: str = "", province: str = "") -> str:
    return (f'<msg fromusername="{user}" encryptusername="v3_{md5(user)[:24]}@stranger" fromnickname="{nick}"'
            f' content="{content}" fullpy="{nick.lower()}" shortpy="" imagestatus="3" scene="{scene}"'
            f' country="CN" province="{province}" city="{city}" sign="" percard="1" sex="1" alias="{alias}"'
            f' weibo="" albumflag="0" albumstyle="0" albumbgimgid="" snsflag="1" snsbgimgid="" snsbgobjectid="0"'
            f' mhash="" mfullhash="" bigheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/{md5(user)[:16]}/0"'
            f' smallheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/{md5(user)[:16]}/132" ticket="v4_{md5(nick)[:20]}"'
            f' opcode="2" googlecontact="" qrticket="" chatroomusername="{room}" sourceusername=""'
            f' sourcenickname="" sharecardusername="" sharecardnickname="" cardversion="" extflag="0">'
            '<brandlist count="0" ver="0"></brandlist></msg>')


def hello_rows() -> dict[str, list[tuple[int, str, str, int, int]]]:
    """Requester -> rows ``(CreateTime, Message, userName, Type, Des)`` of their ``Hello_`` table."""
    return {
        KAI.username: [
            (_ts("2024-04-20 20:00:00"), _verify(KAI.username, "Kai", "Hi Alex, I'm Kai from the hiking club 🏔", 14,
                                                 room=HIKING_GROUP), KAI.username, 37, 1),
            (_ts("2024-04-20 20:10:00"), "Sure! See you on the next hike", KAI.username, 1, 0),
        ],
        TOM.username: [
            (_ts("2024-01-02 09:00:00"), _verify(TOM.username, "Tom Becker", "Hi, it's Tom from the trip to Huangshan",
                                                 14, alias="tombecker", room=HIKING_GROUP, city="Berlin"),
             TOM.username, 37, 1),
        ],
        NEW_PERSON: [
            (_ts("2024-04-29 15:30:00"), _verify(NEW_PERSON, "Recruiter Zoe", "Hello, I found you by your number. "
                                                 "Are you open to new roles?", 15, city="Shenzhen",
                                                 province="Guangdong"), NEW_PERSON, 37, 1),
        ],
    }


def add_hello_tables(conn: sqlite3.Connection) -> None:
    """Create and fill the ``Hello_<md5(requester)>`` tables in an open ``MM.sqlite``."""
    for user, rows in hello_rows().items():
        table = f"Hello_{md5(user)}"
        conn.execute(f"CREATE TABLE {table}(TableVer INTEGER DEFAULT 1, MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " MesSvrID INTEGER DEFAULT 0, CreateTime INTEGER DEFAULT 0, Message TEXT, Status INTEGER"
                     " DEFAULT 0, ImgStatus INTEGER DEFAULT 0, Type INTEGER, Des INTEGER, userName TEXT,"
                     " opCode INTEGER DEFAULT 0, sayHelloStatus INTEGER DEFAULT 0)")
        conn.executemany(f"INSERT INTO {table}(CreateTime, Message, Type, Des, userName, opCode, Status)"
                         " VALUES (?,?,?,?,?,2,?)", [(t, m, ty, d, u, 2 if d == 0 else 4) for t, m, u, ty, d in rows])


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """Favorites (database and files) and the Moments cache of the sample account."""
    yield SampleFile(DOMAIN, f"{FAV_ROOT}/fav.db", _fav_db(ctx))
    yield from _fav_files()
    yield SampleFile(DOMAIN, f"Documents/{ACCOUNT}/wc/wc005_008.db", _wc_db(ctx))
